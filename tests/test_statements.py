"""Statements (codes/statements.py) give what their querysets give, in one query, with each
call's own values."""

import pytest
from django.db.models import Count, Model
from django.db.models.signals import post_init

from codes.models import BaseUnit, CptCode, CptModifier, Icd10Code, Modifier, Payer, published
from codes.statements import KeptRows, Statement, _plain

pytestmark = pytest.mark.django_db

BY_CODE = Statement(lambda code: Modifier.objects.filter(code=code))
LINKS = Statement(
    lambda id: (
        CptModifier.objects.filter(published("cpt__"), modifier_id=id)
        .select_related("cpt")
        .order_by("cpt__code")
    )
)
BY_CODES = Statement(lambda codes: Icd10Code.objects.filter(code__in=codes))


def fields(record) -> dict:
    return {f.attname: getattr(record, f.attname) for f in record._meta.concrete_fields}


def test_a_statement_gives_the_querysets_records_with_each_calls_values(content):
    for code in ("QS", "QK", "AA"):
        (record,) = BY_CODE(code=code)
        assert fields(record) == fields(Modifier.objects.get(code=code))
    assert BY_CODE(code="ZZ") == []


def test_related_records_come_with_them_in_one_query(content, django_assert_num_queries):
    modifier = Modifier.objects.get(code="QS")
    expected = list(modifier.cpt_links.filter(published("cpt__")).order_by("cpt__code"))
    assert expected
    with django_assert_num_queries(1):
        links = LINKS(id=modifier.pk)
        titles = [link.cpt.title for link in links]
    assert [fields(link) for link in links] == [fields(link) for link in expected]
    assert titles == [link.cpt.title for link in expected]


def test_a_missing_one_to_one_reads_as_missing(content):
    with_rule = Statement(
        lambda slug: Payer.objects.select_related("anesthesia_rule").filter(slug=slug)
    )
    for payer in Payer.objects.all():
        (found,) = with_rule(slug=payer.slug)
        assert hasattr(found, "anesthesia_rule") == hasattr(payer, "anesthesia_rule")


def test_lists_of_every_length_and_annotations(content):
    codes = list(Icd10Code.objects.values_list("code", flat=True)[:5])
    for length in (1, 3, 5):
        assert {c.code for c in BY_CODES(codes=codes[:length])} == set(codes[:length])
    assert BY_CODES(codes=[]) == []
    counted = Statement(
        lambda code: Modifier.objects.filter(code=code).annotate(n=Count("cpt_links"))
    )
    (record,) = counted(code="QS")
    assert record.n == Modifier.objects.get(code="QS").cpt_links.count()


def test_what_a_statement_cannot_hold_is_refused():
    with pytest.raises(ValueError, match="as they are"):
        Statement(lambda name: Modifier.objects.filter(name__icontains=name))(name="x")
    with pytest.raises(TypeError):
        Statement(lambda code: Modifier.objects.filter(code=code).values("code"))(code="QS")
    with pytest.raises(TypeError):
        Statement(lambda code: Modifier.objects.filter(code=code).prefetch_related("cpt_links"))(
            code="QS"
        )
    with pytest.raises(TypeError):
        BY_CODE(code=None)
    with pytest.raises(TypeError):
        BY_CODE(name="QS")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_each_thread_compiles_with_its_own_connection():
    """A compiled statement holds a connection (its rows' converters are the connection's): a
    thread never uses another thread's."""
    import threading

    from django.db import connections

    statement = Statement(lambda code: Modifier.objects.filter(code=code))
    assert statement(code="ZZ") == []
    seen = {}

    def other_thread():
        try:
            seen["rows"] = statement(code="ZZ")
            (compiled,) = statement.local.compiled.values()
            seen["own"] = compiled.compiler.connection is connections["default"]
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert seen == {"rows": [], "own": True}
    (compiled,) = statement.local.compiled.values()
    assert compiled.compiler.connection is connections["default"]


def test_values_lists_come_as_the_queryset_gives_them(content):
    codes = sorted(Icd10Code.objects.values_list("code", flat=True)[:4])
    flat = Statement(
        lambda codes: Icd10Code.objects.filter(code__in=codes).values_list("code", flat=True)
    )
    pairs = Statement(
        lambda codes: Icd10Code.objects.filter(code__in=codes).values_list("code", "billable")
    )
    assert sorted(flat(codes=codes)) == codes
    expected = Icd10Code.objects.filter(code__in=codes).values_list("code", "billable")
    assert sorted(pairs(codes=codes)) == sorted(expected)
    assert all(type(billable) is bool for _, billable in pairs(codes=codes))  # converted


def test_kept_rows_give_what_their_querysets_give(content, django_assert_num_queries):
    """Rows kept by key: instances with their prefetched relations, values() dictionaries of a
    union, nothing for an empty queryset (and no query); a full store starts afresh."""
    kept = KeptRows(size=2)
    codes = Icd10Code.objects.listed().order_by("-code")[:3]
    rows = kept.rows(codes, "codes")
    assert [fields(row) for row in rows] == [fields(row) for row in codes]
    with django_assert_num_queries(0):
        assert [row.chapter for row in rows] == [row.chapter for row in codes]
    index = CptCode.objects.index_rows().union(BaseUnit.objects.index_rows(), all=True)
    index = index.order_by("-has_article", "code")[:5]
    assert kept.rows(index, "index") == list(index) != []
    with django_assert_num_queries(0):
        assert kept.rows(Modifier.objects.none(), "none") == []
    assert len(kept.local.compiled) == 1  # the third key emptied the store
    # The same key runs its SQL again: a change shows.
    Icd10Code.objects.filter(pk=rows[0].pk).update(description="Changed")
    assert kept.rows(codes, "codes")[0].description == "Changed"


def test_instances_are_made_as_from_db_makes_them(content, monkeypatch):
    """Kept rows set their fields straight into each instance: the same values, the same state
    and deferred fields as Django's from_db; a model with a listener of post_init (or its own
    __init__) goes through from_db, so the listener hears of every instance."""
    kept = KeptRows()
    rows = Icd10Code.objects.listed().only("code", "description", "chapter").order_by("code")[:3]
    made, expected = kept.rows(rows, "made"), list(rows)
    (compiled,) = kept.local.compiled.values()
    assert compiled.plain
    for mine, django in zip(made, expected, strict=True):
        assert type(mine) is Icd10Code
        assert {k: v for k, v in vars(mine).items() if k != "_state"} == {
            k: v for k, v in vars(django).items() if k != "_state"
        }
        assert (mine._state.adding, mine._state.db) == (False, "default")
        assert mine.get_deferred_fields() == django.get_deferred_fields() != set()
        assert mine.chapter == django.chapter  # a foreign key follows
    seen = []

    def heard(sender, instance, **kwargs):
        seen.append(instance.code)

    post_init.connect(heard, sender=Icd10Code)
    try:
        kept.rows(rows, "made")
    finally:
        post_init.disconnect(heard, sender=Icd10Code)
    assert seen == [row.code for row in expected]
    # A model of its own __init__ is made by it.
    monkeypatch.setattr(Icd10Code, "__init__", lambda self, *args: Model.__init__(self, *args))
    assert not _plain(Icd10Code, ["code"])


def test_related_records_are_made_as_from_db_makes_them(content):
    """select_related's records (statements.PlainPopulator), through two relations, one of
    them empty, and a reverse one-to-one: the same fields and state as Django's, each cached on
    both sides as Django caches it; a listener of post_init hears of every one."""
    from codes.models import PlaceOfService
    from codes.statements import PlainPopulator

    CptModifier.objects.filter(pk=CptModifier.objects.order_by("pk")[0].pk).update(
        cpt=CptCode.objects.create(code="99999", title="No place", status="draft")
    )
    rows = CptModifier.objects.select_related("cpt__place_of_service").order_by("pk")
    kept = KeptRows()
    made, expected = kept.rows(rows, "related"), list(rows)
    (compiled,) = kept.local.compiled.values()
    assert [type(one) for one in compiled.related] == [PlainPopulator]
    assert compiled.related[0].related and type(compiled.related[0].related[0]) is PlainPopulator

    def plain(record):
        return {k: v for k, v in vars(record).items() if k != "_state"}

    places = set()
    for mine, django in zip(made, expected, strict=True):
        with pytest.MonkeyPatch.context() as patched:  # no query may be needed to follow them
            patched.setattr(CptCode.objects, "get", lambda **kw: pytest.fail("queried"))
            assert plain(mine.cpt) == plain(django.cpt)
            assert (mine.cpt._state.adding, mine.cpt._state.db) == (False, "default")
            place = mine.cpt.place_of_service
        assert (place and plain(place)) == (
            django.cpt.place_of_service and plain(django.cpt.place_of_service)
        )
        places.add(place)
    assert None in places and len(places) > 1
    payers = Statement(
        lambda slug: Payer.objects.select_related("anesthesia_rule").filter(slug=slug)
    )
    (medicare,) = payers(slug="medicare")
    assert medicare.anesthesia_rule.payer is medicare  # the reverse one-to-one, both ways
    seen = []

    def heard(sender, instance, **kwargs):
        seen.append(instance.code)

    post_init.connect(heard, sender=PlaceOfService)
    try:
        kept.rows(rows, "related")
    finally:
        post_init.disconnect(heard, sender=PlaceOfService)
    assert sorted(seen) == sorted(p.code for p in places if p)
