"""Django's SQLite backend, with each statement's conversion to SQLite's placeholders kept
(`base.py`). settings.py uses it whenever DATABASE_URL names an SQLite file."""
