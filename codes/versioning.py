"""The content version: one row that database triggers bump on every change to the content.

Cached pages are stored under the version and answer conditional requests with it
(codes/caching.py). Triggers, not model signals, so that bulk updates, deletes, fixtures and the
raw-SQL import count too. The row is written with an upsert, so a flushed table starts counting
again by itself.

Migration 0005_content_version made the counter, and 0006 its notification on PostgreSQL
(codes/version_listener.py). The triggers sit on the tables of every kind of content that
belongs to the version (codes/kinds.py) and are installed after each migrate (codes/derived.py).
"""

# Raw SQL: every cached page runs it, and the ORM took three times as long (0.56 ms against
# 0.18 ms on PostgreSQL) to build the same query.
VERSION_SQL = {
    "sqlite": "SELECT number, (julianday(changed_at) - 2440587.5) * 86400.0 "
    "FROM codes_contentversion WHERE id = 1",
    "postgresql": "SELECT number, extract(epoch FROM changed_at) "
    "FROM codes_contentversion WHERE id = 1",
}
BUMP = {
    "sqlite": "INSERT INTO codes_contentversion (id, number, changed_at) "
    "VALUES (1, 1, strftime('%Y-%m-%d %H:%M:%f', 'now')) ON CONFLICT (id) DO UPDATE SET "
    "number = number + 1, changed_at = excluded.changed_at",
    "postgresql": "INSERT INTO codes_contentversion (id, number, changed_at) "
    "VALUES (1, 1, clock_timestamp()) ON CONFLICT (id) DO UPDATE SET "
    "number = codes_contentversion.number + 1, changed_at = excluded.changed_at",
}
# What `drop` removes: the triggers on the content tables (not 0006's notification, which sits
# on the counter itself).
INSTALLED = {
    "sqlite": "SELECT 'DROP TRIGGER ' || name FROM sqlite_master "
    "WHERE type = 'trigger' AND name LIKE 'codes_version_codes_%'",
    "postgresql": "SELECT 'DROP TRIGGER ' || tgname || ' ON ' || tgrelid::regclass FROM pg_trigger "
    "WHERE tgname LIKE 'codes_version_codes_%'",
}


def read_version(cursor, vendor: str) -> tuple[int, float] | None:
    """(number, Unix time of the last change), or None when the counter is missing."""
    cursor.execute(VERSION_SQL[vendor])
    row = cursor.fetchone()
    return (row[0], float(row[1])) if row else None


def trigger_statements(vendor: str, tables: list[str]) -> list[str]:
    if vendor == "sqlite":  # no statement triggers: one bump per row
        return [
            f"CREATE TRIGGER codes_version_{table}_{event.lower()} AFTER {event} ON {table} "
            f"BEGIN {BUMP['sqlite']}; END"
            for table in tables
            for event in ("INSERT", "UPDATE", "DELETE")
        ]
    function = (
        "CREATE OR REPLACE FUNCTION codes_version_bump() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN {BUMP['postgresql']}; RETURN NULL; END $$"
    )
    return [function] + [
        f"CREATE TRIGGER codes_version_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION codes_version_bump()"
        for table in tables
    ]
