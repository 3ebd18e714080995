"""django-tables2 tables, one per listing; each is named by its section's heading or by its
caption (templates/django/_table.html). Cells write counts, money and units with codes/numbers.py;
downloads get the raw values."""

import copy
from functools import lru_cache

import django_tables2 as tables
from django.conf import settings
from django.db.models import QuerySet
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django_tables2.data import TableQuerysetData

from . import dates, markup, numbers, pageparts, tablehtml
from .models import (
    Confidence,
    ConversionFactor,
    CptCode,
    Icd10Code,
    Modifier,
    Payer,
    PlaceOfService,
    PolicyUpdate,
    ProviderTaxonomy,
)
from .paths import code_url
from .templating import sources

UNVERIFIED = '{} <span class="flag" title="From one secondary source or recalled">unverified</span>'


# Cells' classes (static/css/site.css): on a phone, a long title or description (TEXT) wraps at
# the width of a line and a note or source (PROSE) at that of a short paragraph; others (codes,
# figures, dates, short names) do not wrap.
TEXT = {"td": {"class": "text"}}
PROSE = {"td": {"class": "wrap"}}


def flag_unverified(text, record):
    return format_html(UNVERIFIED, text) if record.is_unverified else text


def unverified_text(text, unverified: bool) -> str:
    """The same mark in a download: words, not markup."""
    return f"{text} (unverified)" if unverified else text


class Columns(dict):
    """A table class's columns. django-tables2 deep-copies them for each table it makes, so that
    one table's changes cannot reach another's; a copy of each column does as much (the tables
    here set a column's options when they declare it, never after), at a fifth of the cost: the
    deep copies took 0.1 ms a table."""

    def __deepcopy__(self, memo):
        return {name: _copy(column) for name, column in self.items()}


def _copy(column):
    """`copy.copy(column)` for a column, whose class defines no copying of its own: a new
    instance with the same attributes, without copy's reduce protocol (a quarter of the
    time)."""
    kind = type(column)
    if kind.__reduce_ex__ is not object.__reduce_ex__ or hasattr(kind, "__copy__"):
        return copy.copy(column)
    new = object.__new__(kind)
    new.__dict__.update(column.__dict__)
    return new


@lru_cache(maxsize=1024)
def _caption_id(caption: str) -> str:
    """The id of a table's caption: the same captions come back page after page."""
    return f"{slugify(caption) or 'table'}-caption"


class KeptOrderingData(TableQuerysetData):
    """A queryset's rows for a table, with `ordering` (the columns by which the queryset is
    already ordered, which django-tables2 works out for every table it makes: 25-50 µs) kept by
    table class, columns and the queryset's order."""

    KEPT: dict = {}

    @property
    def ordering(self):
        table = self.table
        key = (type(table), tuple(table.columns.names()), tuple(self.data.query.order_by))
        try:
            return self.KEPT[key]
        except KeyError:
            pass
        except TypeError:  # an ordering by an expression that cannot be a key
            return super().ordering
        if len(self.KEPT) >= 1024:
            self.KEPT.clear()
        found = self.KEPT[key] = super().ordering
        return found


class Table(tables.Table):
    """A table with a caption: `Table(rows, caption="…")`. A page that shows it under a heading
    names it by that heading instead, `{{ table.labelled_by("heading-id").as_html(request) }}`,
    so that screen readers do not read the section's name twice; the caption then names only
    its pages' navigation."""

    caption = ""
    heading_id = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.base_columns = Columns(cls.base_columns)

    def __init__(self, data=None, *args, caption: str = "", **kwargs):
        if isinstance(data, QuerySet):
            data = KeptOrderingData(data)
        super().__init__(data, *args, **kwargs)
        self.caption = caption or self.caption
        pageparts.made(self)  # released once its page is written

    def release(self):
        """Take back what refers to the table from its parts (codes/pageparts.py): django-tables2
        gives its data, its rows (and its page's), its columns and each column a reference to
        the table, and each column the table's render_/value_/order_ methods, bound to it. The
        table cannot be rendered again."""
        parts = [self.data, self.rows]
        page = getattr(self, "page", None)
        if page is not None:  # not `if page`: a page's length is that of its rows, read
            parts.append(page.object_list)
        for part in parts:
            part.__dict__.pop("table", None)
        self.columns.__dict__.pop("_table", None)
        for bound in self.columns.columns.values():
            for name in ("_table", "render", "value", "order"):
                bound.__dict__.pop(name, None)

    def labelled_by(self, heading_id: str) -> "Table":
        self.heading_id = heading_id
        return self

    @property
    def name_id(self) -> str:
        """The id of what names the table: its section's heading, or its caption."""
        return self.heading_id or _caption_id(self.caption)

    def as_html(self, request):
        """The table as templates/django/_table.html writes it, written in Python
        (codes/tablehtml.py: the template took 0.3 ms a row). A table with a template of its
        own (Meta.template_name) is rendered by it."""
        if self.template_name != settings.DJANGO_TABLES2_TEMPLATE:
            return super().as_html(request)
        return tablehtml.render(self, request)

    class Meta:
        attrs = {"class": "data"}
        empty_text = "None recorded yet."

    def export_values(self):
        """The header, then each row's values, as django-tables2 exports them (codes/exports.py).
        A table of tens of thousands of rows reads them straight from the database instead."""
        return self.as_values()


NO_ARTICLE = mark_safe('<span class="flag">No article yet</span>')
SERVICE_TYPES = dict(CptCode.ServiceType.choices)


class FigureColumn(tables.Column):
    """A count, an amount or units (`write`, from codes/numbers.py), right-aligned; the raw
    value in downloads."""

    def __init__(self, *args, write=numbers.number, **kwargs):
        kwargs.setdefault("attrs", {"td": {"class": "number"}})
        super().__init__(*args, **kwargs)
        self.write = write

    def render(self, value):
        return self.write(value)

    def value(self, value):
        return value


class DateColumn(tables.Column):
    """A date as the pages write it, 3 Mar 2026 (Django's date format `j M Y`); an empty one as
    the column's default; downloads get the same text. Written here rather than with
    django-tables2's DateColumn, which renders a Django template for every cell (90 µs each)
    and takes the format as its first argument, where every other column takes its heading:
    `DateColumn("Last reviewed")` read the heading as a format and broke the payer page with a
    500 once an editor recorded a review date."""

    def __init__(self, *args, format="j M Y", **kwargs):
        super().__init__(*args, **kwargs)
        self.format = format

    def render(self, value):
        return dates.date(value, self.format)


class CptCodeTable(Table):
    """The CPT codes readers can open: published articles, and anesthesia codes without an
    article (rows of INDEX_COLUMNS, codes/models/payment.py)."""

    code = tables.Column(
        "Code", linkify=lambda record: code_url("codes:cpt-detail", record["code"])
    )
    title = tables.Column("Title", empty_values=(), attrs=TEXT)
    service_type = tables.Column("Service type", order_by=("service_type", "code"))
    section = tables.Column("Section", order_by=("section", "code"))
    base_units = FigureColumn("Base units", write=numbers.units, order_by=("base_units", "code"))
    place_of_service = tables.Column(
        "Typical place of service",
        accessor="pos_code",
        linkify=lambda record: code_url("codes:pos-detail", record["pos_code"]),
        order_by=("pos_code", "code"),
    )

    class Meta(Table.Meta):
        sequence = ("code", "title", "service_type", "section", "base_units", "place_of_service")

    def render_title(self, value, record):
        return value if record["has_article"] else NO_ARTICLE

    def value_title(self, value, record):
        return value if record["has_article"] else "No article yet"

    def render_service_type(self, value):
        return SERVICE_TYPES.get(value, value)

    def value_service_type(self, value):
        return SERVICE_TYPES.get(value, value)

    def render_place_of_service(self, value, record):
        return f"{value} {record['pos_name']}"

    def value_place_of_service(self, value, record):
        return f"{value} {record['pos_name']}"


class ReferenceTable(Table):
    """Index of a code set; `cpt_count` comes from `annotate(cpt_count=Count("cpt_links"))`."""

    cpt_count = FigureColumn("CPT codes linked")

    class Meta(Table.Meta):
        pass


class ModifierTable(ReferenceTable):
    code = tables.Column("Modifier", linkify=True)
    name = tables.Column("Meaning")
    code_set = tables.Column("Code set", order_by=("code_set", "code"))
    kind = tables.Column("Kind", order_by=("kind", "code"))

    class Meta(Table.Meta):
        model = Modifier
        fields = ("code", "name", "code_set", "kind", "cpt_count")

    def render_name(self, value, record):
        return flag_unverified(value, record)

    def value_name(self, value, record):
        return unverified_text(value, record.is_unverified)


class TaxonomyTable(ReferenceTable):
    code = tables.Column("Taxonomy code", linkify=True)
    grouping = tables.Column("Grouping", order_by=("grouping", "code"))
    classification = tables.Column("Classification", order_by=("classification", "code"))
    specialization = tables.Column(
        "Specialization", default="", order_by=("specialization", "code")
    )

    class Meta(Table.Meta):
        model = ProviderTaxonomy
        fields = ("code", "grouping", "classification", "specialization", "cpt_count")


def render_billable(value) -> str:
    return "Billable" if value else "Header, not billable"


class Icd10Table(Table):
    code = tables.Column("ICD-10-CM code", linkify=True)
    description = tables.Column("Description", attrs=TEXT)
    billable = tables.Column("Billable", order_by=("billable", "code"))
    chapter = tables.Column("Chapter", order_by=("chapter__position", "code"), attrs=TEXT)

    class Meta(Table.Meta):
        model = Icd10Code
        fields = ("code", "description", "billable", "chapter")

    def render_description(self, value, record):
        return flag_unverified(value, record)

    def value_description(self, value, record):
        return unverified_text(value, record.is_unverified)

    def render_billable(self, value):
        return render_billable(value)

    def render_chapter(self, value):
        return value.description

    def value_chapter(self, value):
        return value.description

    def order_chapter(self, queryset, is_descending):
        """By chapter, then code, as the column's `order_by` says, but by the rows' own
        chapter_id when the chapters' ids run in their order (`chapters_numbered_in_order`):
        then the rows come in order from the index of chapter and code, where joining each
        row's chapter to sort by its position read and sorted all 98,000 (50 ms a page, 150
        deep)."""
        if not Icd10Code.objects.chapters_numbered_in_order():
            return queryset, False  # django-tables2 orders by the column's order_by
        keys = ("-chapter_id", "-code") if is_descending else ("chapter_id", "code")
        return queryset.order_by(*keys), True

    def export_values(self):
        """The values `as_values` gives, read a few thousand rows at a time straight from the
        database: the whole ICD-10-CM (98,000 rows) in seconds and constant memory, where
        django-tables2's rows took 11 s and 255 MB (bench/README.md)."""
        yield [str(column.header) for column in self.columns]
        rows = self.data.data.prefetch_related(None)
        columns = ("code", "description", "confidence", "billable", "chapter__description")
        medium = Confidence.MEDIUM
        for code, text, sure, billable, chapter in rows.values_list(*columns).iterator(2000):
            yield (code, unverified_text(text, sure == medium), render_billable(billable), chapter)


class Icd10ChildTable(Table):
    """The entries one level down in the tabular list, in its order."""

    code = tables.Column("Code", linkify=True)
    description = tables.Column("Description", attrs=TEXT)
    kind = tables.Column("Kind")
    billable = tables.Column("Billable")

    class Meta(Table.Meta):
        model = Icd10Code
        fields = ("code", "description", "kind", "billable")
        orderable = False

    def render_billable(self, value):
        return render_billable(value)


class PayerTable(ReferenceTable):
    name = tables.Column("Payer", linkify=True)

    class Meta(Table.Meta):
        model = Payer
        fields = ("name", "cpt_count")


class PlaceOfServiceTable(ReferenceTable):
    code = tables.Column("POS code", linkify=True)
    name = tables.Column("Name")

    class Meta(Table.Meta):
        model = PlaceOfService
        fields = ("code", "name", "cpt_count")


# Pages of a modifier, taxonomy, diagnosis or payer list the CPT codes linked to them.


class NoteColumn(tables.Column):
    """A link's note, written in Markdown by editors (codes/markup.py); an empty one shows the
    column's default."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", PROSE)
        super().__init__(*args, **kwargs)

    def render(self, value):
        return markup.render_note(value)

    def value(self, value):
        return value


class LinkedCptTable(Table):
    cpt = tables.Column(
        "CPT code", accessor="cpt__code", linkify=lambda record: record.cpt.get_absolute_url()
    )
    title = tables.Column("Title", accessor="cpt__title", attrs=TEXT)

    class Meta(Table.Meta):
        orderable = False
        empty_text = "No CPT code on this site links to it yet."


class ModifierCptTable(LinkedCptTable):
    usage = NoteColumn("How it applies", default="")

    class Meta(LinkedCptTable.Meta):
        pass


class TaxonomyCptTable(LinkedCptTable):
    note = NoteColumn("Role", default="")

    class Meta(LinkedCptTable.Meta):
        pass


class DiagnosisCptTable(LinkedCptTable):
    rationale = NoteColumn("Why it supports the procedure", default="")

    class Meta(LinkedCptTable.Meta):
        pass


class PayerCptTable(LinkedCptTable):
    coverage_note = NoteColumn("Coverage note", default="No coverage note recorded yet.")
    last_reviewed = DateColumn("Last reviewed", default="—")

    class Meta(LinkedCptTable.Meta):
        pass


class PlaceOfServiceCptTable(Table):
    code = tables.Column("CPT code", linkify=True)
    title = tables.Column("Title", attrs=TEXT)

    class Meta(Table.Meta):
        orderable = False
        empty_text = "No CPT code on this site has it as its typical place of service."


class PolicyUpdateTable(Table):
    """The site-wide list of policy updates, newest first unless sorted otherwise."""

    date = DateColumn("Date", order_by=("date", "pk"))
    cpt = tables.Column(
        "CPT code",
        accessor="cpt__code",
        linkify=lambda record: f"{record.cpt.get_absolute_url()}#policy-updates",
    )
    payer = tables.Column("Payer", linkify=True, order_by=("payer__name", "-date"))
    summary = tables.Column("Update", orderable=False, attrs=PROSE)
    reference = tables.Column(
        "Reference", orderable=False, empty_values=("",), default="—", attrs=PROSE
    )

    class Meta(Table.Meta):
        model = PolicyUpdate
        fields = ("date", "cpt", "payer", "summary", "reference")
        empty_text = "No policy updates recorded yet."

    def render_reference(self, record):
        return sources(record.reference)

    def value_reference(self, record):
        return record.reference  # exports: the text as written


class ConversionFactorTable(Table):
    """Conversion factors by payer and period, the latest first."""

    payer = tables.Column("Payer", linkify=True, order_by=("payer__name", "-effective_from"))
    label = tables.Column("Period", order_by=("effective_from", "payer__name"))
    effective_from = DateColumn("From")
    effective_to = DateColumn("To", default="Open")
    clinicians = tables.Column("Clinicians", order_by=("clinicians", "-effective_from"))
    amount = tables.Column("Dollars per unit", attrs={"td": {"class": "number"}})
    source = tables.Column("Source", orderable=False, empty_values=("",), default="—", attrs=PROSE)

    class Meta(Table.Meta):
        model = ConversionFactor
        fields = ("payer", "label", "effective_from", "effective_to", "clinicians", "amount")
        empty_text = "No conversion factor recorded yet."

    def render_amount(self, value, record):
        return flag_unverified(numbers.rate(value), record)

    def value_amount(self, value, record):
        return unverified_text(value, record.is_unverified)

    def render_source(self, record):
        return sources(record.source)

    def value_source(self, record):
        return record.source


class EstimateStepTable(Table):
    """Every step of an estimate, payer by payer: the estimator's download."""

    payer = tables.Column("Payer")
    step = tables.Column("Step")
    value = tables.Column("Value")
    unit = tables.Column("Unit")
    counted = tables.Column("Counted")
    working = tables.Column("Working")
    rule = tables.Column("Rule")
    source = tables.Column("Source")

    class Meta(Table.Meta):
        orderable = False


class LookupTable(Table):
    """A list of codes looked up at once (codes/lookup.py Row), in the order typed: each code
    once with the number of times it was typed; a token of two kinds (23, a modifier and a
    place of service) has a row for each; a code not found says why, in words.

    Rendered like every table, by codes/tablehtml.py (django-tables2's own template took 75 ms
    for 200 rows); downloads are django-tables2's."""

    typed = tables.Column("Typed")
    count = FigureColumn("Times")
    code = tables.Column("Code", linkify=lambda record: record.url or None, default="—")
    label = tables.Column("What it is")
    title = tables.Column("Title", attrs=TEXT)
    billable = tables.Column("Billable", default="—")

    class Meta(Table.Meta):
        orderable = False
        empty_text = "No code was looked up."

    def render_label(self, value, record):
        return format_html('<span class="flag">{}</span>', value) if record.problem else value

    def render_title(self, value, record):
        return flag_unverified(value, record)

    def value_title(self, value, record):
        return unverified_text(value, record.is_unverified)
