"""Every public page kind is valid HTML, as the Nu Html Checker (vnu.jar, run with java) reads it.

The pages are fetched with the test client, saved to tests/artifacts/html/ and checked in one java
run (java starts in seconds; once per page would take a minute). The editors' pages in the admin
are checked too, signed in.
"""

import json
import shutil
import subprocess

import pytest

from .conftest import ARTIFACTS, BROWSER_TOOLS, PAGE_KINDS, prepare_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

VNU = BROWSER_TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"


def check_html(files) -> list[dict]:
    """The checker's messages about `files`: errors, and warnings as type "info"."""
    java = shutil.which("java")
    if java is None or not VNU.exists():
        pytest.fail(
            "The HTML check needs java (`sudo apt-get install default-jre-headless`) and "
            f"{VNU} (`make test` installs it with npm ci).",
            pytrace=False,
        )
    run = subprocess.run(
        [java, "-jar", str(VNU), "--format", "json", "--stdout", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return json.loads(run.stdout)["messages"]


def test_every_page_kind_is_valid_html(client, content, editor, cpt_00620, request):
    folder = ARTIFACTS / "html"
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    admin_pages = {
        "admin-login": "/admin/login/",
        "admin-index": "/admin/",
        "admin-cpt-change": f"/admin/codes/cptcode/{cpt_00620.pk}/change/",
        "admin-icd10-search": "/admin/codes/icd10code/?q=stenosis",
    }
    for kind, path in {**PAGE_KINDS, **admin_pages}.items():
        prepare_page(kind, request)
        if kind == "admin-index":
            client.force_login(editor)
        response = client.get(path)
        assert response.status_code == (404 if kind == "not-found" else 200), kind
        files.append(folder / f"{kind}.html")
        files[-1].write_bytes(response.content)
    errors = [
        f"{message['url'].rsplit('/', 1)[-1]}:{message.get('lastLine')}: {message['message']}"
        for message in check_html(files)
        if message["type"] != "info" and not django_admin_widget(message)
    ]
    assert errors == []


def django_admin_widget(message) -> bool:
    """The one error in Django's own admin markup: its autocomplete widget writes an empty
    <option> for an optional field (AutocompleteMixin.optgroups), which select2 needs."""
    return message["url"].rsplit("/", 1)[-1].startswith("admin-") and message["message"] == (
        "Element “option” without attribute “label” must not be empty."
    )


def test_the_checker_finds_an_error(tmp_path):
    # The page above passes only if the checker reads the files and reports what it finds.
    broken = tmp_path / "broken.html"
    broken.write_text(
        '<!DOCTYPE html><html lang="en"><head><title>x</title></head><body><p><div>x</div></p>'
    )
    messages = check_html([broken])
    assert [m["type"] for m in messages] == ["error"]
