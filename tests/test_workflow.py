"""Draft, in review, published, archived: who sees an article, who may move it, what publishing
records; the reader-facing dates, change log and policy updates."""

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from codes.models import (
    ArticleSection,
    ChangeLogEntry,
    CptCode,
    CptModifier,
    Modifier,
    Payer,
    PlaceOfService,
    PolicyUpdate,
)

from .conftest import make_cpt
from .test_admin import change_form_data

pytestmark = pytest.mark.django_db

Status = CptCode.Status
UNPUBLISHED = [Status.DRAFT, Status.REVIEW, Status.ARCHIVED]
SECRET = "Quokkalike embargoed wording"
# Not an anesthesia code: without a published article it has no page at all (an anesthesia code
# has its base-units page: tests/test_published.py).
HIDDEN = "10021"


@pytest.fixture
def hidden(content):
    """An article linked to a modifier, a place of service and a payer, with a word that only it
    has; its status is set by each test."""
    cpt = make_cpt(
        code=HIDDEN,
        title="Hidden test article",
        service_type=CptCode.ServiceType.SURGERY,
        section="Surgery › General",
        place_of_service_id=None,
    )
    cpt.place_of_service = PlaceOfService.objects.get(code="21")
    cpt.save()
    ArticleSection.objects.create(cpt=cpt, heading="Summary", slug="summary", body=SECRET)
    CptModifier.objects.create(cpt=cpt, modifier=Modifier.objects.get(code="QS"))
    PolicyUpdate.objects.create(
        cpt=cpt,
        payer=Payer.objects.get(slug="aetna"),
        date=datetime.date(2026, 3, 1),
        summary="Hidden policy change",
    )
    return cpt


def set_status(cpt, status):
    CptCode.objects.filter(pk=cpt.pk).update(status=status)


def public_pages(client):
    urls = [
        "/",
        "/codes/",
        "/modifiers/QS/",
        "/places-of-service/21/",
        "/policy-updates/",
        f"/search/?q={SECRET.split()[0]}",
        f"/search/?q={HIDDEN[:4]}",
    ]
    return {url: client.get(url).content.decode() for url in urls}


@pytest.mark.parametrize("status", UNPUBLISHED)
def test_readers_never_see_an_unpublished_article(client, hidden, status):
    set_status(hidden, status)
    assert client.get(f"/codes/{HIDDEN}/").status_code == 404
    for url, page in public_pages(client).items():
        assert HIDDEN not in page, url
        assert "Hidden policy change" not in page, url
    # An exact code does not jump to it either.
    assert client.get(f"/search/?q={HIDDEN}").status_code == 200


def test_readers_see_the_article_everywhere_once_published(client, hidden):
    set_status(hidden, Status.PUBLISHED)
    assert client.get(f"/codes/{HIDDEN}/").status_code == 200
    pages = public_pages(client)
    for url in ["/", "/codes/", "/modifiers/QS/", "/places-of-service/21/"]:
        assert HIDDEN in pages[url], url
    assert HIDDEN in pages[f"/search/?q={HIDDEN[:4]}"]
    assert "Hidden policy change" in pages["/policy-updates/"]
    assert HIDDEN in pages[f"/search/?q={SECRET.split()[0]}"]
    assert client.get(f"/search/?q={HIDDEN}")["Location"] == f"/codes/{HIDDEN}/"


def test_counts_of_linked_codes_leave_out_unpublished_articles(client, hidden):
    counts = {}
    for status in [Status.PUBLISHED, Status.DRAFT]:
        set_status(hidden, status)
        page = client.get("/modifiers/").content.decode()
        row = page[page.index('href="/modifiers/QS/"') :]
        counts[status] = int(row.split('class="number">', 1)[1].split("<", 1)[0])
    assert counts[Status.PUBLISHED] == counts[Status.DRAFT] + 1


def test_a_related_code_links_to_the_page_readers_may_open(client, cpt_00620):
    """00640 is an anesthesia code: before its article is published its page is the code's own
    (base units), never the draft."""
    assert cpt_00620.related_codes.filter(code="00640").exists()  # in the seed article
    draft = make_cpt(code="00640", title=SECRET, status=Status.DRAFT)
    assert 'href="/codes/00640/"' in client.get("/codes/00620/").content.decode()
    page = client.get("/codes/00640/").content.decode()
    assert "No article yet" in page and SECRET not in page
    set_status(draft, Status.PUBLISHED)
    assert SECRET in client.get("/codes/00640/").content.decode()


def test_groups_split_writing_from_publishing(db):
    editors = Group.objects.get(name="Editors").permissions.values_list("codename", flat=True)
    reviewers = Group.objects.get(name="Reviewers").permissions.values_list("codename", flat=True)
    assert "publish_cptcode" not in editors and "publish_cptcode" in reviewers
    assert set(editors) < set(reviewers)
    assert "view_historicalcptcode" in editors
    assert "change_historicalcptcode" not in editors  # history is written by saves only


def test_the_model_lets_editors_move_drafts_only(editor, reviewer, content):
    cpt = make_cpt(status=Status.DRAFT)
    cpt.set_status(Status.REVIEW, editor)
    assert cpt.status == Status.REVIEW
    for status in [Status.PUBLISHED, Status.ARCHIVED]:
        with pytest.raises(PermissionDenied, match="Only reviewers"):
            cpt.set_status(status, editor)
    cpt.set_status(Status.PUBLISHED, reviewer)
    assert cpt.published_by == "reviewer" and cpt.last_reviewed == timezone.localdate()
    assert timezone.now() - cpt.published_at < datetime.timedelta(minutes=1)
    assert not cpt.editable_by(editor) and cpt.editable_by(reviewer)
    with pytest.raises(PermissionDenied):
        cpt.set_status(Status.DRAFT, editor)  # nor take it off the site


def admin_post(client, cpt, **changes):
    data = change_form_data(cpt) | changes
    return client.post(reverse("admin:codes_cptcode_change", args=[cpt.pk]), data)


def test_an_editor_submits_for_review_but_cannot_publish(client, editor, content):
    cpt = make_cpt(status=Status.DRAFT)
    client.force_login(editor)
    page = client.get(reverse("admin:codes_cptcode_change", args=[cpt.pk])).content.decode()
    assert 'value="review"' in page and 'value="published"' not in page
    response = admin_post(client, cpt, status=Status.PUBLISHED)
    assert response.status_code == 200
    # Publishing is not among an editor's choices: the form refuses it.
    assert "not one of the available choices" in str(
        response.context["adminform"].form.errors["status"]
    )
    assert admin_post(client, cpt, status=Status.REVIEW).status_code == 302
    cpt.refresh_from_db()
    assert cpt.status == Status.REVIEW and cpt.published_at is None


def test_an_editor_cannot_change_a_published_article(client, editor, cpt_00620):
    client.force_login(editor)
    url = reverse("admin:codes_cptcode_change", args=[cpt_00620.pk])
    page = client.get(url).content.decode()
    assert 'name="title"' not in page  # shown read-only
    response = admin_post(client, cpt_00620, title="Changed without review")
    assert response.status_code == 403
    cpt_00620.refresh_from_db()
    assert cpt_00620.title != "Changed without review"


def test_a_reviewer_publishes_and_the_change_log_records_it(client, reviewer, content):
    cpt = make_cpt(status=Status.REVIEW)
    client.force_login(reviewer)
    assert admin_post(client, cpt, status=Status.PUBLISHED).status_code == 302
    cpt.refresh_from_db()
    assert cpt.status == Status.PUBLISHED and cpt.published_by == "reviewer"
    assert [e.summary for e in cpt.change_log.all()] == ["First published"]
    # A later publication needs a note for readers.
    set_status(cpt, Status.REVIEW)
    cpt.refresh_from_db()
    response = admin_post(client, cpt, status=Status.PUBLISHED)
    assert "Say what changed" in str(response.context["adminform"].form.errors)
    response = admin_post(client, cpt, status=Status.PUBLISHED, change_note="Added Aetna policy")
    assert response.status_code == 302
    assert [e.summary for e in cpt.change_log.all()] == ["Added Aetna policy", "First published"]
    page = client.get(f"/codes/{cpt.code}/").content.decode()
    assert "Added Aetna policy" in page
    assert page.index("Added Aetna policy") < page.index("First published")  # same day: later first


def test_the_preview_is_for_editors_only_and_marked(client, editor, hidden):
    set_status(hidden, Status.DRAFT)
    url = reverse("codes:cpt-preview", args=[HIDDEN])
    assert client.get(url)["Location"].startswith("/accounts/login/")
    outsider = User.objects.create_user("outsider", password="x-long-password-1")
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(editor)
    response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Preview of a draft article" in page and "Readers do not see it" in page
    assert SECRET in page
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-cache" in response["Cache-Control"] and "ETag" not in response
    # Readers still get the 404 page, even after an editor's preview.
    client.logout()
    assert client.get(f"/codes/{HIDDEN}/").status_code == 404


def test_the_article_shows_review_and_update_dates(client, cpt_00620):
    page = client.get("/codes/00620/").content.decode()
    assert "Not yet reviewed" in page
    assert '<time datetime="2026-11-29">29 Nov 2026</time>' in page  # the fixture's date
    CptCode.objects.filter(pk=cpt_00620.pk).update(last_reviewed=datetime.date(2026, 11, 30))
    page = client.get("/codes/00620/").content.decode()
    assert '<dt>Last reviewed</dt><dd><time datetime="2026-11-30">30 Nov 2026</time>' in page


def test_saving_a_part_updates_the_articles_date(cpt_00620):
    before = cpt_00620.updated_at
    section = cpt_00620.sections.first()
    section.body += " Revised."
    section.save()
    cpt_00620.refresh_from_db()
    assert cpt_00620.updated_at > before
    later = cpt_00620.updated_at
    section.delete()
    cpt_00620.refresh_from_db()
    assert cpt_00620.updated_at > later


def test_policy_updates_show_newest_first_with_sources(client, cpt_00620):
    aetna, cigna = Payer.objects.get(slug="aetna"), Payer.objects.get(slug="cigna-health")
    for payer, day, summary in [
        (aetna, datetime.date(2025, 1, 1), "Oldest change"),
        (cigna, datetime.date(2026, 6, 1), "Newest change"),
        (aetna, datetime.date(2025, 9, 1), "Middle change"),
    ]:
        PolicyUpdate.objects.create(
            cpt=cpt_00620,
            payer=payer,
            date=day,
            summary=summary,
            reference="https://example.org/policy/1",
        )
    page = client.get("/codes/00620/").content.decode()
    section = page[page.index('id="policy-updates"') : page.index('id="related-codes"')]
    order = [section.index(s) for s in ["Newest change", "Middle change", "Oldest change"]]
    assert order == sorted(order)
    assert '<time datetime="2026-06-01">1 Jun 2026</time>' in section
    assert 'href="https://example.org/policy/1"' in section

    listing = client.get("/policy-updates/").content.decode()
    order = [listing.index(s) for s in ["Newest change", "Middle change", "Oldest change"]]
    assert order == sorted(order)
    only_aetna = client.get("/policy-updates/?payer=aetna").content.decode()
    assert "Oldest change" in only_aetna and "Newest change" not in only_aetna
    recent = client.get("/policy-updates/?since=2025-06-01").content.decode()
    assert "Middle change" in recent and "Oldest change" not in recent
    bad = client.get("/policy-updates/?since=not-a-date&payer=nobody")
    assert bad.status_code == 200 and "Enter a valid date" in bad.content.decode()
    exported = client.get("/policy-updates/?_export=csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    assert rows[0][:4] == ["Date", "CPT code", "Payer", "Update"]
    assert rows[1][1:4] == ["00620", cigna.name, "Newest change"]
    assert rows[1][4] == "https://example.org/policy/1"  # the reference as written


def test_the_change_log_lists_entries_newest_first(client, cpt_00620):
    ChangeLogEntry.objects.create(cpt=cpt_00620, date=datetime.date(2026, 1, 5), summary="Older")
    ChangeLogEntry.objects.create(cpt=cpt_00620, date=datetime.date(2026, 2, 5), summary="Newer")
    page = client.get("/codes/00620/").content.decode()
    log = page[page.index('id="change-log"') :]
    assert log.index("Newer") < log.index("Older")
    assert '<time datetime="2026-02-05">5 Feb 2026</time>: Newer' in log


def test_create_editor_makes_a_reviewer_on_request(db):
    out = io.StringIO()
    call_command(
        "create_editor",
        "ravi",
        "--reviewer",
        "--password-stdin",
        stdin=io.StringIO("correct-horse-battery\n"),
        stdout=out,
    )
    user = User.objects.get(username="ravi")
    assert list(user.groups.values_list("name", flat=True)) == ["Reviewers"]
    assert user.has_perm(CptCode.PUBLISH_PERMISSION)
    assert "Created reviewer ravi" in out.getvalue()


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("who", ["anonymous", "editor", "reviewer"])
def test_who_sees_an_article_of_each_status(client, request, hidden, status, who):
    """The public page shows published articles to everyone and nothing else to anyone; the
    preview shows every status to editors and reviewers, and sends others to sign in."""
    set_status(hidden, status)
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    public = client.get(f"/codes/{HIDDEN}/")
    assert public.status_code == (200 if status == Status.PUBLISHED else 404)
    preview = client.get(reverse("codes:cpt-preview", args=[HIDDEN]))
    if who == "anonymous":
        assert preview.status_code == 302 and "/accounts/login/" in preview["Location"]
    else:
        assert preview.status_code == 200 and SECRET in preview.content.decode()
        assert f"Preview of a {Status(status).label.lower()} article" in preview.content.decode()


def test_the_section_filter_lists_sections_of_published_articles_only(client, hidden):
    CptCode.objects.filter(pk=hidden.pk).update(section="Embargoed section")
    for status in UNPUBLISHED:
        set_status(hidden, status)
        assert "Embargoed section" not in client.get("/codes/").content.decode()
    set_status(hidden, Status.PUBLISHED)
    assert "Embargoed section" in client.get("/codes/").content.decode()
