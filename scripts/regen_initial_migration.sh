#!/usr/bin/env bash
# Until the first release, the initial migration is regenerated from the models whenever they change.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f engine/migrations/versions/0001_initial_schema.py
mv engine/migrations/versions/0002_append_only_audit.py "$tmp/"
DATABASE_URL="sqlite:///$tmp/gen.sqlite" .venv/bin/alembic -c alembic.ini revision --autogenerate \
  -m "initial schema" --rev-id 0001 >/dev/null
mv "$tmp/0002_append_only_audit.py" engine/migrations/versions/
sed -i -e 's/^Revises: $/Revises: (none)/' -e '/# ### .* ###/d' engine/migrations/versions/0001_initial_schema.py
.venv/bin/ruff check --fix --quiet engine/migrations/versions/0001_initial_schema.py
rm -rf "$tmp"
echo "regenerated engine/migrations/versions/0001_initial_schema.py"
