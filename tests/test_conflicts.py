"""No lost edits: a save based on an older version is refused, in the model and in the admin.

In the admin, two editors open the same article; the second to save gets the page back with
who changed what since, their own typing still in the form, and nothing saved. Saving again
after reading it replaces the other editor's changes (the form comes back on their version).
"""

import html

import pytest
from django.contrib.messages import get_messages
from django.db import transaction
from django.test import Client
from django.urls import reverse

from codes.admin import CptCodeAdmin
from codes.locking import EditConflict
from codes.models import ArticleSection, CptCode, CptModifier, Modifier

from .test_admin import CHANGE_00620, change_form_data, modifier_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(cpt_00620):
    """00620 as a draft, which editors may change."""
    CptCode.objects.filter(pk=cpt_00620.pk).update(status=CptCode.Status.DRAFT)
    cpt_00620.refresh_from_db()
    return cpt_00620


@pytest.fixture
def two_editors(editor, reviewer):
    first, second = Client(), Client()
    first.force_login(editor)
    second.force_login(reviewer)
    return first, second


def row(data: dict, prefix: str, pk: int) -> str:
    """The form prefix of the row of `pk` in an inline, e.g. "sections-2"."""
    index = next(
        k for k, v in data.items() if k.startswith(f"{prefix}-") and k.endswith("-id") and v == pk
    )
    return index[: -len("-id")]


def errors_of(response) -> str:
    """Every error on the re-rendered change page: the article's form and each inline row's."""
    texts = [str(response.context["adminform"].form.errors)]
    for formset in response.context["inline_admin_formsets"]:
        texts += [str(form.errors) for form in formset.formset.forms]
    return html.unescape(" ".join(texts))


def test_a_save_based_on_an_older_version_raises_and_keeps_the_first_save(cpt_00620):
    first = ArticleSection.objects.get(cpt=cpt_00620, slug="clinical-context")
    second = ArticleSection.objects.get(pk=first.pk)
    first.body = "The first editor's text."
    first.save()
    second.body = "The second editor's text."
    with pytest.raises(EditConflict, match="changed since version 1"), transaction.atomic():
        second.save()
    first.refresh_from_db()
    assert first.body == "The first editor's text." and first.version == 2


def test_a_save_of_a_deleted_link_raises(cpt_00620):
    link = cpt_00620.modifier_links.first()
    stale = CptModifier.objects.get(pk=link.pk)
    link.delete()
    stale.usage = "Edited after it was deleted."
    with pytest.raises(EditConflict), transaction.atomic():
        stale.save()
    assert not CptModifier.objects.filter(pk=link.pk).exists()


def test_the_change_page_carries_the_versions_it_shows(client, editor, draft):
    client.force_login(editor)
    body = client.get(reverse(CHANGE_00620, args=[draft.pk])).content.decode()
    assert 'name="version" value="1"' in body
    assert 'name="sections-0-version" value="1"' in body
    assert 'name="modifier_links-0-version" value="1"' in body


def test_the_second_editor_is_told_who_changed_the_article_and_what(two_editors, draft):
    first, second = two_editors
    url = reverse(CHANGE_00620, args=[draft.pk])
    first.get(url), second.get(url)
    opened = change_form_data(draft)
    assert first.post(url, opened | {"title": "Title by the first editor"}).status_code == 302

    response = second.post(url, opened | {"title": "Title by the second editor"})
    assert response.status_code == 200
    errors = errors_of(response)
    assert "editor changed this CPT code" in errors
    assert "Title: “" in errors and "Title by the first editor" in errors
    assert "Saving again replaces their changes" in errors
    form = response.context["adminform"].form
    assert form["title"].value() == "Title by the second editor"  # the typing is kept
    draft.refresh_from_db()
    assert draft.title == "Title by the first editor"


def test_a_conflict_in_a_section_saves_nothing_of_the_page(two_editors, draft):
    first, second = two_editors
    url = reverse(CHANGE_00620, args=[draft.pk])
    opened = change_form_data(draft)
    section = draft.sections.get(slug="clinical-context")
    at = row(opened, "sections", section.pk)
    mine = opened | {f"{at}-body": "The first editor's clinical context."}
    assert first.post(url, mine).status_code == 302

    theirs = opened | {
        f"{at}-heading": "Clinical context, renamed",
        "title": "A title change on the same page",
    }
    response = second.post(url, theirs)
    assert response.status_code == 200
    errors = errors_of(response)
    assert "editor changed this article section" in errors
    assert "Body:" in errors and "first editor's clinical context" in errors
    section.refresh_from_db()
    draft.refresh_from_db()
    assert section.heading != "Clinical context, renamed"
    assert section.body == "The first editor's clinical context."
    assert draft.title != "A title change on the same page"  # the article rolled back too


def test_a_conflict_in_a_link_is_explained(two_editors, draft):
    first, second = two_editors
    url = reverse(CHANGE_00620, args=[draft.pk])
    opened = change_form_data(draft)
    link = draft.modifier_links.first()
    at = row(opened, "modifier_links", link.pk)
    assert first.post(url, opened | {f"{at}-usage": "Usage by the first."}).status_code == 302

    response = second.post(url, opened | {f"{at}-usage": "Usage by the second."})
    assert response.status_code == 200
    errors = errors_of(response)
    assert "editor changed this modifier of a CPT code" in errors and "Usage:" in errors
    link.refresh_from_db()
    assert link.usage == "Usage by the first."


def test_saving_again_after_reading_the_conflict_replaces_their_changes(two_editors, draft):
    first, second = two_editors
    url = reverse(CHANGE_00620, args=[draft.pk])
    opened = change_form_data(draft)
    section = draft.sections.get(slug="clinical-context")
    at = row(opened, "sections", section.pk)
    assert first.post(url, opened | {f"{at}-body": "Theirs."}).status_code == 302
    response = second.post(url, opened | {f"{at}-body": "Mine.", "title": "My title"})
    assert response.status_code == 200

    # The page came back with the versions moved on: sending it again is a deliberate save.
    formset = next(
        f.formset
        for f in response.context["inline_admin_formsets"]
        if f.formset.prefix == "sections"
    )
    again = opened | {f"{at}-body": "Mine.", "title": "My title"}
    again["version"] = response.context["adminform"].form["version"].value()
    again[f"{at}-version"] = formset.forms[int(at.rsplit("-", 1)[1])]["version"].value()
    assert again[f"{at}-version"] == "2"
    assert second.post(url, again).status_code == 302
    section.refresh_from_db()
    draft.refresh_from_db()
    assert section.body == "Mine." and draft.title == "My title"
    assert section.history.latest().history_user.username == "reviewer"


def test_an_untouched_row_changed_by_another_editor_is_not_a_conflict_when_unchanged(
    two_editors, draft
):
    # The first editor changes only a section; the second, who opened the page before, saves
    # the article with the section as it now is: nothing of the first editor's is overwritten.
    first, second = two_editors
    url = reverse(CHANGE_00620, args=[draft.pk])
    opened = change_form_data(draft)
    section = draft.sections.get(slug="clinical-context")
    at = row(opened, "sections", section.pk)
    assert first.post(url, opened | {f"{at}-body": "New body."}).status_code == 302
    response = second.post(url, opened | {f"{at}-body": "New body.", "title": "Second's title"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.title == "Second's title"


def test_a_row_deleted_by_another_editor_is_explained_and_can_be_dropped(two_editors, draft):
    first, second = two_editors
    url = reverse(CHANGE_00620, args=[draft.pk])
    opened = change_form_data(draft)
    section = draft.sections.get(slug="clinical-context")
    at = row(opened, "sections", section.pk)
    assert first.post(url, opened | {f"{at}-DELETE": "on"}).status_code == 302

    mine = opened | {f"{at}-body": "Edited while it was being deleted.", "title": "Mine"}
    response = second.post(url, mine)
    assert response.status_code == 200
    assert "Another editor deleted this article section" in errors_of(response)
    assert "Edited while it was being deleted." in response.content.decode()  # still shown
    assert not ArticleSection.objects.filter(pk=section.pk).exists()

    fresh = CptCode.objects.get(pk=draft.pk)
    mine |= {"version": fresh.version, f"{at}-DELETE": "on"}
    assert second.post(url, mine).status_code == 302
    assert CptCode.objects.get(pk=draft.pk).title == "Mine"
    assert not ArticleSection.objects.filter(pk=section.pk).exists()


def test_a_conflict_found_only_when_saving_ends_in_a_message_and_saves_nothing(
    client, editor, draft, monkeypatch
):
    # Another save between the form's check and the write: the model refuses it (EditConflict),
    # the admin's transaction undoes the article's save, and the editor reads why.
    def conflicting_save_related(self, request, form, formsets, change):
        raise EditConflict(draft, draft.version)

    monkeypatch.setattr(CptCodeAdmin, "save_related", conflicting_save_related)
    client.force_login(editor)
    url = reverse(CHANGE_00620, args=[draft.pk])
    response = client.post(url, change_form_data(draft) | {"title": "Never saved"})
    assert response.status_code == 302 and response.url == url
    message = str(next(iter(get_messages(response.wsgi_request))))
    assert "changed since version 1 was opened; nothing was saved" in message
    draft.refresh_from_db()
    assert draft.title != "Never saved" and draft.version == 1


def test_a_reference_record_form_refuses_an_older_version(two_editors, content):
    first, second = two_editors
    modifier = Modifier.objects.get(code="QS")
    url = reverse("admin:codes_modifier_change", args=[modifier.pk])
    opened = modifier_form_data(modifier)
    assert first.post(url, opened | {"note": "The first editor's note."}).status_code == 302
    response = second.post(url, opened | {"name": "The second editor's name"})
    assert response.status_code == 200
    errors = str(response.context["adminform"].form.errors)
    assert "editor changed this modifier" in errors and "Note:" in errors
    modifier.refresh_from_db()
    assert (
        modifier.note == "The first editor's note." and modifier.name != "The second editor's name"
    )
