#!/usr/bin/env bash
# Brings up what the tests need: PostgreSQL and Chromium. Under CI=true a missing part is fatal.
set -uo pipefail

fail() {
  echo "services: $*" >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
  echo "services: continuing (the tests that need it will fail with the reason)" >&2
}

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }

if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "services: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
fi
pg_up || fail "PostgreSQL is not reachable at 127.0.0.1:5432"

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "services: installing Chromium from Debian"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || fail "could not install chromium"
  else
    fail "Chromium is missing: run 'apt-get install chromium' as root"
  fi
fi
[ -x /usr/bin/chromium ] || fail "Chromium is not at /usr/bin/chromium"

# The official PDFs are set in DejaVu Serif (every Vietnamese glyph); italics come from the extra package.
if [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf ] || \
   [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSerif-Italic.ttf ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "services: installing the DejaVu fonts from Debian"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core fonts-dejavu-extra \
      >/dev/null) || fail "could not install fonts-dejavu-core"
  else
    fail "DejaVu fonts are missing: run 'apt-get install fonts-dejavu-core fonts-dejavu-extra' as root"
  fi
fi
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf ] || fail "DejaVu Serif is not installed"

command -v npm >/dev/null 2>&1 || fail "npm is missing (apt-get install npm): it installs htmx for the web app"
exit 0
