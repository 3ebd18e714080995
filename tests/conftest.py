import functools
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.core.management import call_command

from codes.models import CptCode, Icd10Code
from codes.version_listener import stop_listener

FIXTURE_FILES = sorted(Path(settings.FIXTURE_DIRS[0]).glob("*.json"))
SEED = (
    Path(__file__).parent / "data" / "seed_00620.txt"
)  # copy of shared/seeds/000_b56d1f9a7e32f63c.txt

# Every kind of public page, named as its screenshots and saved HTML are (tests/artifacts/).
PAGE_KINDS = {
    "home": "/",
    "cpt-article": "/codes/00620/",
    "cpt-index": "/codes/",
    "modifier-index": "/modifiers/",
    "taxonomy-index": "/taxonomies/",
    "icd10-chapters": "/icd10/",
    "icd10-index": "/icd10/codes/",
    "payer-index": "/payers/",
    "pos-index": "/places-of-service/",
    "modifier": "/modifiers/QS/",
    "taxonomy": "/taxonomies/207L00000X/",
    "icd10": "/icd10/M48.04/",
    # A code with the tabular list's notes, its own and inherited, and a 7th character (the
    # `icd10_notes` fixture: PAGE_FIXTURES).
    "icd10-notes": "/icd10/S32.010A/",
    "payer": "/payers/aetna/",
    "pos": "/places-of-service/21/",
    "anesthesia-code": "/codes/00670/",
    "estimate": "/codes/00620/estimate/?minutes=176&ps=P3&modifiers=QK+QX&payer=medicare"
    "&payer=aetna&dos=2026-03-02",
    "estimate-errors": "/codes/00670/estimate/?minutes=1441&modifiers=QZ+QK&payer=medicare"
    "&dos=2026-03-02",
    "conversion-factors": "/conversion-factors/",
    "claim-check": "/check/?code=00620&modifiers=QK+QX+P3&diagnoses=M48.04+M54.6+M99.9"
    "&taxonomy=207L00000X&pos=11&payer=Medicare&dos=2026-03-02&minutes=176"
    "&lines=00620%7CAA+P3%7CM48.04%7C207L00000X%7C21%7CMedicare%7C2026-03-02%7C176%0A"
    "01996%7CQX%7CR52%7C%7C21%7Cmedicare%7C2026-03-02%7C60",
    "claim-check-errors": "/check/?code=%3Cb%3E&taxonomy=207Q00000Y&payer=Acme&minutes=abc",
    "lookup": "/lookup/?codes=00620+QX+M48.04+M4804+21%2C+23%3B+207L00000X%0D%0A00670+99999"
    "+%3Cb%3E",
    "lookup-form": "/lookup/",
    "policy-updates": "/policy-updates/",
    "search": "/search/?q=stenosis+thoracic",
    "search-one-kind": "/search/?q=stenosis&kind=icd10",
    "search-no-results": "/search/?q=qqqqqqqqqq",
    "search-empty": "/search/?q=",
    "not-found": "/codes/99999/",
}
# What a page kind needs besides the shipped content: a fixture, by name.
PAGE_FIXTURES = {"icd10-notes": "icd10_notes"}


def prepare_page(kind: str, request) -> None:
    """Set up what the page of `kind` shows besides the shipped content (PAGE_FIXTURES)."""
    if kind in PAGE_FIXTURES:
        request.getfixturevalue(PAGE_FIXTURES[kind])


# Screenshots and the HTML the validator read, for a person to look at; not in git.
ARTIFACTS = Path(__file__).parent / "artifacts"
# axe-core and the Nu Html Checker, installed from tests/browser/package-lock.json by `make test`.
BROWSER_TOOLS = Path(__file__).parent / "browser" / "node_modules"


@pytest.fixture(autouse=True)
def plain_static_storage(settings):
    # The manifest storage needs `collectstatic`; tests render templates without it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    # Large downloads are kept in files (codes/exports.py): each test has its own folder.
    settings.EXPORT_DIR = tmp_path / "exports"


@pytest.fixture(autouse=True)
def empty_cache():
    # Rolled-back test transactions can bring a content version back (codes/caching.py).
    cache.clear()


@pytest.fixture(autouse=True)
def no_version_listener_left():
    # On PostgreSQL a page outside a transaction (the live server, transactional tests) starts
    # the listener, whose session would keep pytest-django from dropping the test database.
    yield
    stop_listener()


@pytest.fixture
def content(db):
    """The shipped fixtures, loaded as `make run` loads them."""
    call_command("loaddata", *FIXTURE_FILES, verbosity=0)


@functools.cache
def tabular_list():
    """The whole ICD-10-CM tabular list as the import reads it (3 s): read once per run."""
    from codes.management.commands import import_icd10cm

    return import_icd10cm.tabular_list()


@pytest.fixture
def icd10_notes(db, monkeypatch):
    """S32.010A and the entries above it (chapter 19, S30-S39, S32, ...), imported with their
    notes and the 7th-character table as the import writes them."""
    from codes.management.commands import import_icd10cm

    wanted = {"19", "S30-S39", "S32", "S32.0", "S32.01", "S32.010", "S32.010A", "S32.010B"}
    nodes = [n for n in tabular_list() if n.code in wanted]
    monkeypatch.setattr(import_icd10cm, "tabular_list", lambda: nodes)
    call_command("import_icd10cm", stdout=io.StringIO())


@pytest.fixture
def cpt_00620(content):
    return CptCode.objects.get(code="00620")


@pytest.fixture
def editor(db):
    user = User.objects.create_user("editor", password="a-long-editor-password", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def reviewer(db):
    user = User.objects.create_user("reviewer", password="a-long-reviewer-password", is_staff=True)
    user.groups.add(Group.objects.get(name="Reviewers"))
    return user


def make_cpt(**overrides) -> CptCode:
    fields = {
        "code": "00640",
        "title": "Test code",
        "service_type": CptCode.ServiceType.ANESTHESIOLOGY,
        "section": "Anesthesia › Spine and Spinal Cord",
        "status": CptCode.Status.PUBLISHED,
    } | overrides
    return CptCode.objects.create(**fields)


def make_icd10(code: str, **overrides) -> Icd10Code:
    return Icd10Code.objects.create(
        **({"code": code, "description": f"Diagnosis {code}"} | overrides)
    )
