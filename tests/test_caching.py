"""Whole-page caching: pages come from the cache until the content changes, whatever changed it,
and answer conditional requests with 304."""

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse

from codes.models import ArticleSection, ContentVersion, Icd10Code, Modifier, ProviderTaxonomy

from .conftest import FIXTURE_FILES, make_cpt

pytestmark = pytest.mark.django_db

ARTICLE = reverse("codes:cpt-detail", args=["00620"])


def test_a_page_comes_from_the_cache_until_the_content_changes(
    client, cpt_00620, django_assert_num_queries
):
    first = client.get(ARTICLE)
    # The second time: only the content version is read.
    with django_assert_num_queries(1):
        second = client.get(ARTICLE)
    assert second.content == first.content
    section = cpt_00620.sections.get(slug="clinical-context")
    section.body = "A sentence the editor just wrote."
    section.save()
    assert "A sentence the editor just wrote." in client.get(ARTICLE).content.decode()


def test_an_admin_save_shows_on_the_cached_page_at_once(admin_client, client, content):
    url = reverse("codes:modifier-detail", args=["QS"])
    assert "Monitored anesthesia care service" in client.get(url).content.decode()
    modifier = Modifier.objects.get(code="QS")
    change = reverse("admin:codes_modifier_change", args=[modifier.pk])
    form = {
        "code": "QS",
        "code_set": modifier.code_set,
        "name": "Monitored anesthesia care, as edited",
        "kind": modifier.kind,
        "description": modifier.description,
        "when_to_use": modifier.when_to_use,
        "payment_effect": modifier.payment_effect,
        "source": modifier.source,
        "confidence": modifier.confidence,
        "note": modifier.note,
    }
    assert admin_client.post(change, form).status_code == 302
    assert "Monitored anesthesia care, as edited" in client.get(url).content.decode()


def test_bulk_updates_deletes_and_loads_reach_cached_pages(client, content):
    index = reverse("codes:modifier-list")
    assert "moribund" in client.get(index).content.decode()
    Modifier.objects.filter(code="P5").update(name="Physical status: renamed in bulk")
    assert "renamed in bulk" in client.get(index).content.decode()
    Modifier.objects.filter(code="P5").delete()
    assert "renamed in bulk" not in client.get(index).content.decode()
    call_command("loaddata", *FIXTURE_FILES, verbosity=0)
    assert "moribund" in client.get(index).content.decode()


def test_search_results_are_cached_and_follow_the_index(client, content):
    search = reverse("codes:search")
    assert "Nothing matches" in client.get(search, {"q": "quokka"}).content.decode()
    Icd10Code.objects.filter(code="M54.6").update(description="Quokka pain")
    assert 'href="/icd10/M54.6/"' in client.get(search, {"q": "quokka"}).content.decode()


def test_pages_answer_conditional_requests_with_304(client, cpt_00620):
    first = client.get(ARTICLE)
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert "no-cache" in first["Cache-Control"] and "private" not in first["Cache-Control"]
    assert client.get(ARTICLE, headers={"if-none-match": etag}).status_code == 304
    assert client.get(ARTICLE, headers={"if-modified-since": last_modified}).status_code == 304

    # Preconditions that fail are answered 412, whichever header states them.
    assert client.get(ARTICLE, headers={"if-match": '"0.0"'}).status_code == 412
    past = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert client.get(ARTICLE, headers={"if-unmodified-since": past}).status_code == 412
    assert client.get(ARTICLE, headers={"if-match": etag}).status_code == 200

    ArticleSection.objects.filter(cpt=cpt_00620).update(body="Changed.")
    changed = client.get(ARTICLE, headers={"if-none-match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_pages_are_private_when_the_site_requires_a_login(client, cpt_00620, settings):
    settings.SITE_REQUIRE_LOGIN = True
    client.force_login(
        apps.get_model("auth", "User").objects.create_user("reader", password="x" * 20)
    )
    assert "private" in client.get(ARTICLE)["Cache-Control"]


def test_errors_and_redirects_are_not_cached(client, content):
    missing = reverse("codes:cpt-detail", args=["10021"])  # not an anesthesia code: no page
    assert client.get(missing).status_code == 404
    make_cpt(code="10021", title="A new surgery code", service_type="surgery")
    assert client.get(missing).status_code == 200
    assert client.get("/icd10/m4804/").status_code == 301


def test_without_the_counter_nothing_is_cached_and_the_next_change_restores_it(
    client, cpt_00620, django_assert_num_queries
):
    ContentVersion.objects.all().delete()
    client.get(ARTICLE)
    with django_assert_num_queries(3):  # version (missing), then the article's two queries
        response = client.get(ARTICLE)
    assert "ETag" not in response
    cpt_00620.sections.filter(slug="clinical-context").update(body="Counted again.")
    assert ContentVersion.objects.get().number == 1
    assert "Counted again." in client.get(ARTICLE).content.decode()


def test_the_version_read_through_the_driver_is_the_one_django_reads(cpt_00620):
    from django.db import connection

    from codes.caching import current_version
    from codes.versioning import read_version

    assert not connection.queries_logged  # so the driver's cursor answers
    with connection.cursor() as cursor:
        assert current_version() == read_version(cursor, connection.vendor)
    before = current_version()
    cpt_00620.sections.filter(slug="clinical-context").update(body="Read again.")
    assert current_version()[0] == before[0] + 1
    ContentVersion.objects.all().delete()
    assert current_version() is None


def test_a_database_error_in_the_version_read_is_djangos_own(monkeypatch, cpt_00620):
    from django.db import OperationalError, connections

    from codes.caching import current_version

    db = connections["default"]
    db.ensure_connection()

    class Gone:
        def cursor(self):
            raise db.Database.OperationalError("the database went away")

    with monkeypatch.context() as patched:  # undone before the test's transaction is
        patched.setattr(db, "connection", Gone())
        with pytest.raises(OperationalError, match="went away"):
            current_version()


def test_the_version_read_opens_again_a_kept_connection_that_fails_its_health_check(
    monkeypatch, cpt_00620
):
    from django.db import connections

    from codes.caching import current_version

    db = connections["default"]
    expected = current_version()
    closed = []
    with monkeypatch.context() as patched:
        patched.setattr(db, "health_check_enabled", True)
        patched.setattr(db, "health_check_done", False)  # a new request's first query
        patched.setattr(db, "is_usable", lambda: False)  # the server went away meanwhile
        patched.setattr(db, "close", lambda: closed.append(db.connection))
        assert current_version() == expected
    assert closed  # closed, to be opened again, rather than a 503


def test_pages_are_served_when_the_shared_cache_is_down(client, cpt_00620, settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing answers
        }
    }
    response = client.get(ARTICLE)
    assert response.status_code == 200 and "Anesthesia for" in response.content.decode()
    assert "Page cache unavailable" in caplog.text


def test_a_new_taxonomy_grouping_appears_in_the_filter_after_a_save(client, content):
    url = reverse("codes:taxonomy-list")
    assert "A grouping saved just now" not in client.get(url).content.decode()
    taxonomy = ProviderTaxonomy.objects.first()
    taxonomy.grouping = "A grouping saved just now"
    taxonomy.save()
    assert '<option value="A grouping saved just now"' in client.get(url).content.decode()


def test_per_version_keeps_a_bounded_number_of_values_for_one_version():
    from codes.caching import PerVersion

    reads = []
    kept = PerVersion(size=2)

    def read(key):
        return lambda: reads.append(key) or f"value of {key}"

    for key in ("a", "b", "a", "c", "a"):
        assert kept.get("1.0", key, read(key)) == f"value of {key}"
    assert reads == ["a", "b", "c", "a"]  # "a" was the oldest when "c" came
    kept.get("2.0", "c", read("c"))  # a new version reads afresh
    kept.get(None, "c", read("c"))  # and an unknown one always
    assert reads == ["a", "b", "c", "a", "c", "c"]
