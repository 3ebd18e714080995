import io

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from codes import kinds
from codes.models import ArticleSection, CptCode, Icd10Code

pytestmark = pytest.mark.django_db

CHANGE_00620 = "admin:codes_cptcode_change"


def inline_management(prefix: str, total: int, initial: int) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


INLINE_PREFIXES = [
    "sections",
    "modifier_links",
    "taxonomy_links",
    "diagnosis_links",
    "payer_links",
    "policy_updates",
    "related_codes",
    "change_log",
]


def no_inline_rows() -> dict:
    return {
        key: value
        for prefix in INLINE_PREFIXES
        for key, value in inline_management(prefix, 0, 0).items()
    }


def change_form_data(cpt: CptCode, **overrides) -> dict:
    """The change form of a CPT code as the browser would post it, unchanged: with the version
    of the article and of each row as the page was opened (codes/admin.py VersionedForm)."""
    data = {
        "version": cpt.version,
        "code": cpt.code,
        "title": cpt.title,
        "service_type": cpt.service_type,
        "section": cpt.section,
        "place_of_service": cpt.place_of_service_id or "",
        "status": cpt.status,
        "last_reviewed": cpt.last_reviewed or "",
    }
    inlines = {
        "sections": (
            cpt.sections.all(),
            ["position", "level", "kind", "heading", "slug", "body"],
        ),
        "modifier_links": (cpt.modifier_links.all(), ["position", "modifier", "usage"]),
        "taxonomy_links": (cpt.taxonomy_links.all(), ["position", "taxonomy", "note"]),
        "diagnosis_links": (cpt.diagnosis_links.all(), ["position", "icd10", "rationale"]),
        "payer_links": (
            cpt.payer_links.all(),
            ["position", "payer", "coverage_note", "policy_reference", "last_reviewed"],
        ),
        "related_codes": (cpt.related_codes.all(), ["position", "code", "description", "source"]),
        "policy_updates": (cpt.policy_updates.all(), ["date", "payer", "summary", "reference"]),
        "change_log": (cpt.change_log.all(), ["date", "summary"]),
    }
    for prefix, (rows, fields) in inlines.items():
        rows = list(rows)
        data |= inline_management(prefix, len(rows), len(rows))
        for i, row in enumerate(rows):
            data[f"{prefix}-{i}-id"] = row.pk
            data[f"{prefix}-{i}-cpt"] = cpt.pk
            data[f"{prefix}-{i}-version"] = row.version
            for field in fields:
                value = getattr(row, field + "_id", None) or getattr(row, field)
                data[f"{prefix}-{i}-{field}"] = "" if value is None else value
    return data | overrides


def modifier_form_data(modifier) -> dict:
    """A modifier's change form as the browser would post it, unchanged."""
    fields = ["code", "code_set", "name", "kind", "description", "when_to_use"]
    fields += ["payment_effect", "source", "confidence", "note"]
    return {"version": modifier.version} | {field: getattr(modifier, field) for field in fields}


def test_anonymous_user_is_sent_to_the_login_page(client, cpt_00620):
    response = client.get(reverse(CHANGE_00620, args=[cpt_00620.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_a_user_outside_staff_cannot_open_the_admin(client, cpt_00620):
    user = User.objects.create_user("reader", password="a-long-reader-password")
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    response = client.get(reverse(CHANGE_00620, args=[cpt_00620.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_editors_group_can_edit_every_model_registered_in_the_admin(db):
    perms = set(Group.objects.get(name="Editors").permissions.values_list("codename", flat=True))
    registered = [model for model in admin.site._registry if model._meta.app_label == "codes"]
    assert len(registered) == len(kinds.KINDS)
    for model in registered:
        if not kinds.for_model(model).editors:  # written by an import; only superusers see it
            assert not {p for p in perms if p.endswith(f"_{model._meta.model_name}")}
            continue
        for action in ["add", "change", "delete", "view"]:
            assert f"{action}_{model._meta.model_name}" in perms
        assert f"view_historical{model._meta.model_name}" in perms
        assert f"change_historical{model._meta.model_name}" not in perms
    assert "change_user" not in perms and "publish_cptcode" not in perms


def test_reviewer_sees_the_article_with_its_inlines(client, reviewer, cpt_00620):
    client.force_login(reviewer)
    response = client.get(reverse(CHANGE_00620, args=[cpt_00620.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    for prefix in [
        "sections",
        "modifier_links",
        "taxonomy_links",
        "diagnosis_links",
        "payer_links",
    ]:
        assert f'name="{prefix}-TOTAL_FORMS"' in body
    assert "Clinical Context" in body
    assert 'class="admin-autocomplete' in body
    assert "/admin/r/" in body  # "view on site"


def test_a_reviewer_changes_a_section_and_readers_see_it(client, reviewer, cpt_00620):
    client.force_login(reviewer)
    section = cpt_00620.sections.get(slug="clinical-context")
    data = change_form_data(cpt_00620)
    index = next(i for i, s in enumerate(cpt_00620.sections.all()) if s.pk == section.pk)
    data[f"sections-{index}-body"] = "Revised clinical context for thoracic cases."
    response = client.post(reverse(CHANGE_00620, args=[cpt_00620.pk]), data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    client.logout()
    page = client.get(reverse("codes:cpt-detail", args=["00620"])).content.decode()
    assert "Revised clinical context for thoracic cases." in page


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"code": "0062"}, "code", "five characters"),
        ({"code": "0062X"}, "code", "five characters"),
        ({"title": ""}, "title", "This field is required."),
    ],
)
def test_invalid_input_shows_the_error_and_saves_nothing(
    client, reviewer, cpt_00620, overrides, field, message
):
    client.force_login(reviewer)
    data = change_form_data(cpt_00620, **overrides)
    data["sections-0-body"] = "This edit must not be saved."
    response = client.post(reverse(CHANGE_00620, args=[cpt_00620.pk]), data)
    assert response.status_code == 200
    assert message in str(response.context["adminform"].form.errors[field])
    cpt_00620.refresh_from_db()
    assert cpt_00620.code == "00620" and cpt_00620.title
    assert not ArticleSection.objects.filter(body="This edit must not be saved.").exists()


def test_a_duplicate_code_is_refused(client, editor, cpt_00620):
    client.force_login(editor)
    response = client.post(
        reverse("admin:codes_cptcode_add"),
        {
            "code": "00620",
            "title": "Duplicate",
            "service_type": "anesthesiology",
            "section": "Anesthesia",
            **no_inline_rows(),
        },
    )
    assert response.status_code == 200
    assert "already exists" in str(response.context["adminform"].form.errors)
    assert CptCode.objects.filter(code="00620").count() == 1


def test_a_duplicate_diagnosis_link_is_refused(client, reviewer, cpt_00620):
    client.force_login(reviewer)
    data = change_form_data(cpt_00620)
    data |= inline_management("diagnosis_links", 3, 2)
    data |= {
        "diagnosis_links-2-cpt": cpt_00620.pk,
        "diagnosis_links-2-position": "3",
        "diagnosis_links-2-icd10": data["diagnosis_links-0-icd10"],
        "diagnosis_links-2-rationale": "again",
    }
    response = client.post(reverse(CHANGE_00620, args=[cpt_00620.pk]), data)
    assert response.status_code == 200
    assert cpt_00620.diagnosis_links.count() == 2


def test_autocomplete_finds_diagnoses_for_an_editor(client, editor, content):
    client.force_login(editor)
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "term": "thoracic",
            "app_label": "codes",
            "model_name": "cptdiagnosis",
            "field_name": "icd10",
        },
    )
    assert response.status_code == 200
    texts = [item["text"] for item in response.json()["results"]]
    assert "M48.04 Spinal stenosis, thoracic region" in texts


def test_admin_code_list_searches_by_code_and_title(client, editor, content):
    client.force_login(editor)
    response = client.get(reverse("admin:codes_cptcode_changelist"), {"q": "thoracic"})
    assert "00620" in response.content.decode()
    response = client.get(reverse("admin:codes_cptcode_changelist"), {"q": "lumbar"})
    assert response.context["cl"].result_count == 0


def test_create_editor_makes_a_staff_user_in_the_editors_group(db):
    out = io.StringIO()
    call_command(
        "create_editor",
        "maria",
        "--password-stdin",
        stdin=io.StringIO("correct-horse-battery\n"),
        stdout=out,
    )
    user = User.objects.get(username="maria")
    assert user.is_staff and not user.is_superuser
    assert user.groups.filter(name="Editors").exists()
    assert user.check_password("correct-horse-battery")
    assert "Created editor maria" in out.getvalue()


def test_create_editor_refuses_a_weak_password(db):
    with pytest.raises(CommandError):
        call_command("create_editor", "maria", "--password-stdin", stdin=io.StringIO("123\n"))
    assert not User.objects.filter(username="maria").exists()


def test_icd10_change_form_shows_the_tree_read_only(client, editor, db):
    from .test_icd10 import make_tree

    make_tree()
    client.force_login(editor)
    code = Icd10Code.objects.get(code="M48.04")
    response = client.get(reverse("admin:codes_icd10code_change", args=[code.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="parent"' not in body and 'name="description"' in body
    assert "M48.0 Spinal stenosis" in body


def test_admin_code_list_filters_by_service_type(client, editor, content):
    client.force_login(editor)
    url = reverse("admin:codes_cptcode_changelist")
    assert (
        client.get(url, {"service_type__exact": "anesthesiology"}).context["cl"].result_count == 1
    )
    assert client.get(url, {"service_type__exact": "surgery"}).context["cl"].result_count == 0
