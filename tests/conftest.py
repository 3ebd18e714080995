from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.core.management import call_command

from codes.models import CptCode, Icd10Code

FIXTURE_FILES = sorted(Path(settings.FIXTURE_DIRS[0]).glob("*.json"))
SEED = (
    Path(__file__).parent / "data" / "seed_00620.txt"
)  # copy of shared/seeds/000_b56d1f9a7e32f63c.txt


@pytest.fixture(autouse=True)
def plain_static_storage(settings):
    # The manifest storage needs `collectstatic`; tests render templates without it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def empty_cache():
    # Rolled-back test transactions can bring a content version back (codes/caching.py).
    cache.clear()


@pytest.fixture
def content(db):
    """The shipped fixtures, loaded as `make run` loads them."""
    call_command("loaddata", *FIXTURE_FILES, verbosity=0)


@pytest.fixture
def cpt_00620(content):
    return CptCode.objects.get(code="00620")


@pytest.fixture
def editor(db):
    user = User.objects.create_user("editor", password="a-long-editor-password", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def make_cpt(**overrides) -> CptCode:
    fields = {
        "code": "00640",
        "title": "Test code",
        "service_type": CptCode.ServiceType.ANESTHESIOLOGY,
        "section": "Anesthesia › Spine and Spinal Cord",
    } | overrides
    return CptCode.objects.create(**fields)


def make_icd10(code: str, **overrides) -> Icd10Code:
    return Icd10Code.objects.create(
        **({"code": code, "description": f"Diagnosis {code}"} | overrides)
    )
