"""Every module that declares tables is imported here, so Alembic and the tests see the whole schema."""
