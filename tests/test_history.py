"""History of every content change: who, when, what (readably), and reverting an article with
all its parts in one recorded action (codes/history.py, the CPT code's history page)."""

import datetime
import html
import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from codes import history
from codes.models import ArticleSection, CptCode, CptModifier, Modifier, Payer, PolicyUpdate

from .test_admin import CHANGE_00620, change_form_data, inline_management, modifier_form_data
from .test_conflicts import row

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(cpt_00620):
    CptCode.objects.filter(pk=cpt_00620.pk).update(status=CptCode.Status.DRAFT)
    cpt_00620.refresh_from_db()
    return cpt_00620


def edit_article(client, cpt, **changes):
    """Post the article's change page with `changes` (form keys and values), as opened now."""
    response = client.post(reverse(CHANGE_00620, args=[cpt.pk]), change_form_data(cpt) | changes)
    assert response.status_code == 302, response.context["errors"] if response.context else ""


def edit_with_parts(client, cpt):
    """One admin save: a section changed, a modifier link deleted, a policy update added.
    Returns the section, the link and the payer of the update."""
    data = change_form_data(cpt)
    section = cpt.sections.get(slug="clinical-context")
    link = cpt.modifier_links.first()
    payer = Payer.objects.get(slug="aetna")
    data[f"{row(data, 'sections', section.pk)}-body"] = "A rewritten clinical context."
    data[f"{row(data, 'modifier_links', link.pk)}-DELETE"] = "on"
    data |= inline_management("policy_updates", 1, 0) | {
        "policy_updates-0-cpt": cpt.pk,
        "policy_updates-0-date": "2026-10-01",
        "policy_updates-0-payer": payer.pk,
        "policy_updates-0-summary": "Prior authorization is no longer required.",
        "policy_updates-0-reference": "",
    }
    response = client.post(reverse(CHANGE_00620, args=[cpt.pk]), data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    return section, link, payer


def test_an_admin_edit_records_who_changed_the_article_and_its_section(client, editor, draft):
    client.force_login(editor)
    section = draft.sections.get(slug="clinical-context")
    data = change_form_data(draft)
    edit_article(
        client,
        draft,
        title="Anesthesia for thoracic spine procedures",
        **{f"{row(data, 'sections', section.pk)}-body": "New clinical context."},
    )
    article = draft.history.latest()
    assert article.history_user == editor and article.history_type == "~"
    assert article.title == "Anesthesia for thoracic spine procedures"
    latest = section.history.latest()
    assert latest.history_user == editor and latest.body == "New clinical context."
    # The state loaded from the fixture was recorded first, so the edit can be compared with it.
    before = section.history.earliest()
    assert before.history_change_reason == history.BASELINE_REASON
    assert [c.field for c in history.changes_between(before, latest)] == ["Body"]


def test_changes_read_as_an_editor_would_say_them(cpt_00620):
    link = cpt_00620.modifier_links.first()
    old = CptModifier.objects.get(pk=link.pk)
    other = Modifier.objects.exclude(pk=link.modifier_id).exclude(cpt_links__cpt=cpt_00620).first()
    link.modifier = other
    link.save()
    [change] = history.changes_between(old, link)
    assert change.field == "Modifier"
    assert (change.old, change.new) == (str(old.modifier), str(other))

    modifier = Modifier.objects.get(code="QS")
    before = Modifier.objects.get(pk=modifier.pk)
    before.description = "Anesthesia care in which the provider watches the patient " * 3
    modifier.kind = Modifier.Kind.PRICING
    modifier.description = before.description + "Reported with the anesthesia code."
    changes = {c.field: c for c in history.changes_between(before, modifier)}
    assert (changes["Kind"].old, changes["Kind"].new) == ("Informational", "Pricing")
    words = changes["Description"]
    assert "<ins>Reported with the anesthesia code.</ins>" in words.new_html
    assert len(words.new_html) < len(modifier.description)  # unchanged words elided
    assert "→" in str(words) and "Reported with the anesthesia code." in str(words)


def test_a_long_text_diff_escapes_what_was_typed(cpt_00620):
    section = cpt_00620.sections.first()
    before = ArticleSection.objects.get(pk=section.pk)
    section.body = section.body + " <script>alert(1)</script>"
    [change] = history.changes_between(before, section)
    assert "<script>" not in change.new_html and "&lt;script&gt;" in change.new_html


def test_the_history_page_shows_each_version_with_its_parts(client, editor, draft):
    client.force_login(editor)
    edit_with_parts(client, draft)
    response = client.get(reverse("admin:codes_cptcode_history", args=[draft.pk]))
    page = response.content.decode()
    body = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert response.status_code == 200
    assert "by editor (current)" in body
    assert "Article section “00620: Clinical Context” changed" in body
    assert "<ins>" in page  # the section's new words
    assert "Modifier of a CPT code “00620 with" in body and " deleted" in body
    assert "Policy update “00620, Aetna, 2026-10-01: Prior authorization" in body
    assert "Revert the article to the version of" in body


def test_a_revert_restores_changed_deleted_and_added_parts_and_is_recorded(
    client, editor, reviewer, draft
):
    client.force_login(editor)
    history.record_article_baseline(draft)
    before = draft.history.latest()
    body_before = draft.sections.get(slug="clinical-context").body
    section, link, payer = edit_with_parts(client, draft)
    update = PolicyUpdate.objects.get(cpt=draft)

    plan = history.revert_article(draft, before.history_id, reviewer)

    assert {a.kind for a in plan.actions} == {"restore", "recreate", "delete"}
    section.refresh_from_db()
    assert section.body == body_before and section.version == 3
    restored = CptModifier.objects.get(pk=link.pk)
    assert restored.modifier_id == link.modifier_id and restored.usage == link.usage
    assert not PolicyUpdate.objects.filter(pk=update.pk).exists()
    reason = f"Reverted to the version of {before.history_date.astimezone():%Y-%m-%d %H:%M}"
    for record in [
        draft.history.latest(),
        section.history.latest(),
        restored.history.latest(),
        PolicyUpdate.history.filter(id=update.pk).latest(),
    ]:
        assert record.history_user == reviewer
        assert record.history_change_reason.startswith(reason)
    assert draft.history.latest().history_change_reason.startswith(reason)
    # Reverted again to the version the editor made: the revert is itself a version.
    versions = history.article_versions(CptCode.objects.get(pk=draft.pk))
    assert versions[0].reason.startswith("Reverted") and versions[1].user == editor


def test_a_revert_keeps_the_articles_status(client, editor, reviewer, draft):
    client.force_login(editor)
    history.record_article_baseline(draft)
    before = draft.history.latest()
    edit_article(client, draft, title="A new title", status=CptCode.Status.REVIEW)
    history.revert_article(draft, before.history_id, reviewer)
    draft.refresh_from_db()
    assert draft.title != "A new title" and draft.status == CptCode.Status.REVIEW


def test_a_revert_is_refused_when_a_linked_record_was_deleted(client, editor, draft):
    client.force_login(editor)
    history.record_article_baseline(draft)
    before = draft.history.latest()
    section, link, payer = edit_with_parts(client, draft)
    modifier = link.modifier
    modifier.delete()  # possible now that no article links to it
    changed_body = ArticleSection.objects.get(pk=section.pk).body

    with pytest.raises(history.RevertRefused) as refused:
        history.revert_article(draft, before.history_id, editor)

    [problem] = refused.value.problems
    assert f"{modifier.code} {modifier.name} (deleted) no longer exists" in problem
    assert ArticleSection.objects.get(pk=section.pk).body == changed_body
    assert PolicyUpdate.objects.filter(cpt=draft).count() == 1
    assert not CptModifier.objects.filter(pk=link.pk).exists()
    assert not draft.history.filter(history_change_reason__startswith="Reverted").exists()


def test_the_revert_page_shows_what_changes_and_reverts_on_post(client, editor, draft):
    client.force_login(editor)
    history.record_article_baseline(draft)
    before = draft.history.latest()
    section, link, payer = edit_with_parts(client, draft)
    url = reverse("admin:codes_cptcode_revert", args=[draft.pk, before.history_id])

    page = html.unescape(client.get(url).content.decode())
    assert "What the revert changes" in page
    assert "re-created (deleted since)" in page and "deleted (added since)" in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert ArticleSection.objects.get(pk=section.pk).body == "A rewritten clinical context."

    response = client.post(url)
    assert response.status_code == 302
    assert response.url == reverse("admin:codes_cptcode_history", args=[draft.pk])
    assert CptModifier.objects.filter(pk=link.pk).exists()
    assert ArticleSection.objects.get(pk=section.pk).body != "A rewritten clinical context."


def test_the_revert_page_explains_what_it_cannot_restore(client, editor, draft):
    client.force_login(editor)
    history.record_article_baseline(draft)
    before = draft.history.latest()
    section, link, payer = edit_with_parts(client, draft)
    link.modifier.delete()
    url = reverse("admin:codes_cptcode_revert", args=[draft.pk, before.history_id])
    page = client.get(url).content.decode()
    assert "This version cannot be restored" in page and "no longer exists" in page
    assert 'type="submit"' not in page.split('id="content-main"')[1]
    assert client.post(url).status_code == 200
    assert ArticleSection.objects.get(pk=section.pk).body == "A rewritten clinical context."


def test_only_those_who_may_change_the_article_may_revert_it(client, editor, reviewer, draft):
    client.force_login(reviewer)
    history.record_article_baseline(draft)
    before = draft.history.latest()
    edit_article(client, draft, title="Published title", status=CptCode.Status.PUBLISHED)
    client.force_login(editor)
    url = reverse("admin:codes_cptcode_revert", args=[draft.pk, before.history_id])
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert CptCode.objects.get(pk=draft.pk).title == "Published title"


def test_the_state_of_an_article_at_a_moment(client, editor, draft):
    client.force_login(editor)
    history.record_article_baseline(draft)
    moment = draft.history.latest().history_date
    edit_with_parts(client, draft)
    state = history.article_as_of(draft, moment)
    assert len(state.parts[CptModifier]) == 2 and state.parts[PolicyUpdate] == {}
    later = history.article_as_of(draft, moment + datetime.timedelta(days=1))
    assert len(later.parts[CptModifier]) == 1 and len(later.parts[PolicyUpdate]) == 1


def test_a_reference_record_reverts_through_its_history_form(client, editor, content):
    client.force_login(editor)
    modifier = Modifier.objects.get(code="QS")
    url = reverse("admin:codes_modifier_change", args=[modifier.pk])
    form = modifier_form_data(modifier)
    edited = form | {"name": "Renamed by the editor", "kind": "pricing"}
    assert client.post(url, edited).status_code == 302
    first = modifier.history.earliest()

    listing = client.get(reverse("admin:codes_modifier_history", args=[modifier.pk]))
    text = html.unescape(listing.content.decode())
    assert "Informational" in text and "Pricing" in text  # labels, not stored values

    revert = reverse("admin:codes_modifier_simple_history", args=[modifier.pk, first.pk])
    page = client.get(revert).content.decode()
    assert 'name="version" value="2"' in page  # based on the current version
    response = client.post(revert, form | {"version": 2})
    assert response.status_code == 302
    modifier.refresh_from_db()
    assert modifier.name == form["name"] and modifier.version == 3
    latest = modifier.history.latest()
    assert latest.history_change_reason.startswith("Reverted to the version of")
    assert latest.history_user == User.objects.get(username="editor")


def history_pages(client, editor, reviewer, cpt) -> dict:
    """The editors' new pages, each in the state worth checking: an article's history, a revert
    to confirm, a revert refused, a conflict, and a reference record's history and revert."""
    client.force_login(editor)
    history.record_article_baseline(cpt)
    before = cpt.history.latest()
    opened = change_form_data(cpt)
    section, link, payer = edit_with_parts(client, cpt)
    modifier = Modifier.objects.get(code="G8")
    revert = reverse("admin:codes_cptcode_revert", args=[cpt.pk, before.history_id])
    pages = {
        "admin-cpt-history": reverse("admin:codes_cptcode_history", args=[cpt.pk]),
        "admin-cpt-revert": revert,
    }
    responses = {kind: client.get(url) for kind, url in pages.items()}
    client.force_login(reviewer)
    at = row(opened, "sections", section.pk)
    responses["admin-cpt-conflict"] = client.post(
        reverse(CHANGE_00620, args=[cpt.pk]), opened | {f"{at}-body": "Theirs."}
    )
    modifier.name += ", renamed"
    modifier.save()
    responses["admin-modifier-history"] = client.get(
        reverse("admin:codes_modifier_history", args=[modifier.pk])
    )
    responses["admin-modifier-revert"] = client.get(
        reverse(
            "admin:codes_modifier_simple_history",
            args=[modifier.pk, modifier.history.earliest().pk],
        )
    )
    CptModifier.objects.filter(pk=link.pk).delete()
    Modifier.objects.filter(pk=link.modifier_id).delete()
    client.force_login(editor)
    responses["admin-cpt-revert-refused"] = client.get(revert)
    return responses


@pytest.mark.browser
def test_the_history_pages_are_valid_html(client, editor, reviewer, draft):
    from .conftest import ARTIFACTS
    from .test_html import check_html, django_admin_widget

    folder = ARTIFACTS / "html"
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for kind, response in history_pages(client, editor, reviewer, draft).items():
        assert response.status_code == 200, kind
        files.append(folder / f"{kind}.html")
        files[-1].write_bytes(response.content)
    errors = [
        f"{message['url'].rsplit('/', 1)[-1]}:{message.get('lastLine')}: {message['message']}"
        for message in check_html(files)
        if message["type"] != "info" and not django_admin_widget(message)
    ]
    assert errors == []


def test_a_part_cannot_be_reverted_alone_through_its_own_history_form(client, editor, cpt_00620):
    # Parts change on their article's page, where its status decides who may: the per-record
    # revert form of a section is for viewing only.
    section = cpt_00620.sections.first()
    section.body = "Changed."
    section.save()
    client.force_login(editor)
    url = reverse(
        "admin:codes_articlesection_simple_history", args=[section.pk, section.history.latest().pk]
    )
    assert client.get(url).status_code == 200
    response = client.post(url, {"version": 2, "body": "Reverted by an editor."})
    assert response.status_code == 403
    section.refresh_from_db()
    assert section.body == "Changed."
