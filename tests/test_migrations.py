"""Every migration of the app reverses and applies again, on the database the suite runs on (a
scratch database of the same engine, in a child process), and the derived objects (search
index, triggers, the editors' rights) come back after the last migrate (codes/derived.py)."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import dj_database_url
import psycopg
import pytest
from django.db import connection

from codes import kinds

ROOT = Path(__file__).parent.parent
# Every kind editors keep: add, change, delete, view, view its history; and publishing articles.
REVIEWER_RIGHTS = sum(kind.editors for kind in kinds.KINDS) * 5 + 1
pytestmark = pytest.mark.django_db


@pytest.fixture
def scratch_database(tmp_path):
    """The URL of an empty database of the suite's engine."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    url = os.environ["DATABASE_URL"]
    name = f"cptref_migrations_{uuid.uuid4().hex[:8]}"
    server = dj_database_url.parse(url)
    admin = {"host": server["HOST"], "port": server["PORT"] or 5432, "user": server["USER"]}
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def manage(url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SECRET_KEY": "migrations-test"}
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_every_migration_reverses_and_applies_again(scratch_database):
    url = scratch_database
    manage(url, "migrate", "--noinput", "-v0")
    manage(url, "loaddata", *sorted(str(p) for p in (ROOT / "fixtures").glob("*.json")))
    manage(url, "migrate", "codes", "0007", "--noinput", "-v0")  # groups, search, concurrency
    manage(url, "migrate", "--noinput", "-v0")
    manage(url, "migrate", "codes", "zero", "--noinput", "-v0")
    manage(url, "migrate", "--noinput", "-v0")
    manage(url, "loaddata", *sorted(str(p) for p in (ROOT / "fixtures").glob("*.json")))
    out = manage(url, "shell", "--no-imports", "-c", CHECK)
    # 105 code-set records and the article; 275 anesthesia codes without an article.
    assert out.split() == ["381", "True", str(REVIEWER_RIGHTS), "True"], out


# After the last migrate: the index holds every record, the fingerprint is the kinds', both groups
# have their rights, and the content version counts.
CHECK = """
from django.contrib.auth.models import Group
from django.db import connection

from codes import kinds
from codes import derived
from codes.models import ContentVersion, SearchEntry
print(SearchEntry.objects.count())
print(derived.installed_fingerprint(connection) == derived.fingerprint(connection.vendor))
print(Group.objects.get(name="Reviewers").permissions.count())
print(ContentVersion.objects.get().number > 1)
"""
