"""Persistence: engine and sessions, models, migrations, data-scope filters."""
