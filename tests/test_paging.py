"""Pages deep in an index are read from a bookmark (codes/paging.py): the same rows, in the same
order, as the database gives past an OFFSET, on every page, for each order it reads this way."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Value

from codes import paging
from codes.caching import PerVersion
from codes.models import ConversionFactor, CptCode, Icd10Code

pytestmark = pytest.mark.django_db

ORDERS = [
    ("description",),
    ("-description",),
    ("position", "code"),
    ("-position", "-description"),
    ("billable", "description"),  # from bookmarks on PostgreSQL only
    ("-billable", "-code"),
]


@pytest.fixture
def codes(db):
    """61 entries whose descriptions and positions repeat (ties only the primary key or the code
    breaks), billable or not."""
    Icd10Code.objects.bulk_create(
        Icd10Code(
            code=f"Z{n:02d}.{n % 7}",
            description=f"Entry of group {n % 4}",
            billable=n % 3 != 0,
            kind=Icd10Code.Kind.CODE,
            position=n // 5,
        )
        for n in range(61)
    )
    return Icd10Code.objects.filter(code__startswith="Z")


@pytest.fixture
def shallow(monkeypatch):
    """Bookmarks from the 10th row on, one every 7 rows, none kept yet."""
    monkeypatch.setattr(paging, "DEEP_FROM", 10)
    monkeypatch.setattr(paging, "STEP", 7)
    monkeypatch.setattr(paging, "BOOKMARKS", PerVersion(size=64))


def test_an_order_of_the_models_columns_ends_with_its_primary_key_unless_it_is_whole():
    rows = Icd10Code.objects.all()
    assert paging.whole_order(rows.order_by("description")) == ["description", "pk"]
    assert paging.whole_order(rows.order_by("-description")) == ["-description", "-pk"]
    assert paging.whole_order(rows.order_by("-position", "-description")) == [
        "-position",
        "-description",
        "-pk",
    ]
    # A unique column gives every row its place already.
    assert paging.whole_order(rows) == ["code"]  # the model's own order
    assert paging.whole_order(rows.order_by("position", "code")) == ["position", "code"]
    assert paging.whole_order(rows.order_by("description", "pk")) == ["description", "pk"]


@pytest.mark.parametrize(
    "rows",
    [
        Icd10Code.objects.order_by("position", "-code"),  # two ways at once
        Icd10Code.objects.order_by("chapter__position"),  # through a relation
        Icd10Code.objects.order_by("chapter"),  # a relation, by its model's order
        Icd10Code.objects.annotate(n=Value(1)).order_by("n"),  # an annotation
        Icd10Code.objects.values("code").order_by("code"),  # dictionaries
        ConversionFactor.objects.order_by("effective_to"),  # a column that may be null
        CptCode.objects.index_rows().union(CptCode.objects.index_rows()).order_by("code"),
    ],
    ids=["mixed", "path", "relation", "annotation", "values", "nullable", "union"],
)
def test_other_orders_are_read_as_django_reads_them(rows):
    assert paging.whole_order(rows) is None
    page = rows[10:20]
    assert paging.page_rows(page, "rows", "1.0") == (page, ("rows", 10, 20))


def test_a_boolean_is_read_from_a_bookmark_where_the_database_compares_rows_whole():
    rows = Icd10Code.objects.order_by("-billable", "-code")
    whole = ["-billable", "-code"] if connection.features.supports_tuple_lookups else None
    assert paging.whole_order(rows) == whole
    assert connection.features.supports_tuple_lookups is (connection.vendor == "postgresql")


@pytest.mark.parametrize("order", ORDERS)
def test_every_page_is_the_page_past_its_offset(codes, shallow, order):
    whole_order = paging.whole_order(codes.order_by(*order))
    if whole_order is None:  # a boolean on SQLite: the page is read as it was given
        page = codes.order_by(*order)[20:25]
        assert paging.page_rows(page, order, "1.0") == (page, (order, 20, 25))
        return
    expected_rows = list(codes.order_by(*whole_order))
    assert len({row.description for row in expected_rows}) == 4  # ties in every order
    for start in range(0, 66, 5):
        queryset, key = paging.page_rows(codes.order_by(*order)[start : start + 5], order, "1.0")
        assert list(queryset) == expected_rows[start : start + 5], (order, start)
        assert (len(key) == 4) == (10 <= start < 61)  # a bookmark from the 10th row on


def test_bookmarks_are_read_once_per_content_version_and_block(
    codes, shallow, django_assert_num_queries
):
    order = ("description",)
    with django_assert_num_queries(2):  # the bookmark of rows 14-20, then the page
        list(paging.page_rows(codes.order_by(*order)[15:20], order, "1.0")[0])
    with django_assert_num_queries(1):  # the same block: its bookmark is known
        list(paging.page_rows(codes.order_by(*order)[17:19], order, "1.0")[0])
    with django_assert_num_queries(2):  # another version: read again
        list(paging.page_rows(codes.order_by(*order)[15:20], order, "2.0")[0])


def test_a_deep_page_of_the_icd10_index_is_the_page_django_reads(
    client, codes, shallow, monkeypatch
):
    addresses = [
        f"/icd10/codes/?sort={sort}&per_page=5&page={page}"
        for sort in ("description", "-description", "billable", "-code")
        for page in (2, 3, 9, 12, 13)
    ]
    with monkeypatch.context() as patched:
        patched.setattr(paging, "DEEP_FROM", 10**9)  # OFFSET all the way
        offset = {address: client.get(address).content for address in addresses}
    cache.clear()
    assert {address: client.get(address).content for address in addresses} == offset
    assert b"Z59.3" in offset["/icd10/codes/?sort=description&per_page=5&page=13"]  # the last
