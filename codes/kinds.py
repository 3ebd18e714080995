"""Every kind of content the site holds, declared once.

A kind names its model and says, in one place, everything else the site does with it: its public
index (title, table, filters, export, link in the header), its search document, whether its
changes count for the content version (cached pages), how `export_content` backs it up, its
admin, and the rights editors and reviewers get on it. Everything else reads this registry: the
URLs and views of the indexes, the header, the search index and its triggers, the content-version
triggers, the editors' groups (after each migrate: codes/derived.py), the admin and the backup.

Like Django's own registries, it is plain Python: an ordered list of `Kind`s. Tables, filters and
admins are named by their class in codes/tables.py, codes/filters.py and codes/admin.py (as
settings name classes) and looked up when used, so this module imports only the models and the
search documents. README.md § Adding a kind of content says what a new kind needs.
"""

from dataclasses import dataclass
from functools import wraps

from django.utils.module_loading import import_string

from . import models
from .search import documents


@dataclass(frozen=True)
class Listing:
    """A kind's public index: `/<path>` lists `model.objects.listed()` in its table, filtered by
    its FilterSet, and downloads as CSV or XLSX."""

    path: str  # "modifiers/"
    url_name: str  # "modifier-list", in the codes namespace
    title: str
    intro: str
    table: str  # a Table of codes/tables.py
    filterset: str = ""  # a FilterSet of codes/filters.py, if the index filters
    export_name: str = ""  # the download's file name, without extension
    table_caption: str = ""  # the table's caption, if not the title
    release: str = ""  # a code set (CodeSetRelease): its release is named on the page and download
    # The fields its table and download read, if not all: the others are not read from the
    # database (a NUCC taxonomy's definition is a paragraph: 50 rows of them took 0.5 ms).
    fields: tuple[str, ...] = ()

    @property
    def caption(self) -> str:
        return self.table_caption or self.title

    def table_class(self):
        return import_string(f"codes.tables.{self.table}")

    def filterset_class(self):
        return import_string(f"codes.filters.{self.filterset}") if self.filterset else None


@dataclass(frozen=True)
class Menu:
    """A kind's link in the site's header: its position (1 first), label and page."""

    position: int
    label: str
    url_name: str


class Backup:
    """How export_content writes a kind (codes/export.py)."""

    WHOLE = "whole"  # what editors write: every record
    NEEDED = "needed"  # a public code set: the records the content needs or editors changed
    NONE = "none"  # written by an import, which writes it again: not backed up


@dataclass(frozen=True)
class Kind:
    name: str  # short and stable: its key in the search index (10 characters at most)
    model: type
    label: str = ""  # the plural readers see (search results)
    detail_url: str = ""  # a record's page, by URL name in the codes namespace
    listing: Listing | None = None
    menu: Menu | None = None
    document: documents.Document | None = None
    content_version: bool = True  # a change to it changes pages (codes/versioning.py)
    backup: str = Backup.WHOLE
    admin: str = ""  # a ModelAdmin of codes/admin.py
    editors: bool = True  # Editors and Reviewers add, change, delete and view it, and its history
    reviewers_only: tuple[str, ...] = ()  # further permissions of Reviewers (codenames)

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    def admin_class(self):
        return import_string(f"codes.admin.{self.admin}")


# Parents before the records that point at them: the order of the fixtures and the backup.
KINDS = [
    Kind(
        "pos",
        models.PlaceOfService,
        label="Places of service",
        detail_url="codes:pos-detail",
        listing=Listing(
            "places-of-service/",
            "pos-list",
            title="Places of service",
            intro="CMS place-of-service codes (CMS-1500 item 24B).",
            table="PlaceOfServiceTable",
            export_name="places-of-service",
            fields=("code", "name"),
        ),
        menu=Menu(6, "Places of service", "codes:pos-list"),
        document=documents.PLACE_OF_SERVICE,
        backup=Backup.NEEDED,
        admin="PlaceOfServiceAdmin",
    ),
    Kind(
        "modifier",
        models.Modifier,
        label="Modifiers",
        detail_url="codes:modifier-detail",
        listing=Listing(
            "modifiers/",
            "modifier-list",
            title="Modifiers",
            intro="HCPCS Level II and CPT modifiers used in anesthesia billing.",
            table="ModifierTable",
            filterset="ModifierFilter",
            export_name="modifiers",
            fields=("code", "name", "code_set", "kind", "confidence"),
        ),
        menu=Menu(2, "Modifiers", "codes:modifier-list"),
        document=documents.MODIFIER,
        backup=Backup.NEEDED,
        admin="ModifierAdmin",
    ),
    Kind(
        "taxonomy",
        models.ProviderTaxonomy,
        label="Provider taxonomies",
        detail_url="codes:taxonomy-detail",
        listing=Listing(
            "taxonomies/",
            "taxonomy-list",
            title="Provider taxonomies",
            intro="The whole NUCC Health Care Provider Taxonomy: the code of each kind of "
            "provider, by grouping and classification. Source: NUCC Health Care Provider "
            "Taxonomy, v25.1.",
            table="TaxonomyTable",
            filterset="TaxonomyFilter",
            export_name="provider-taxonomies",
            fields=("code", "grouping", "classification", "specialization"),
        ),
        menu=Menu(3, "Taxonomies", "codes:taxonomy-list"),
        document=documents.TAXONOMY,
        backup=Backup.NEEDED,
        admin="ProviderTaxonomyAdmin",
    ),
    Kind(
        "icd10",
        models.Icd10Code,
        label="ICD-10-CM",
        detail_url="codes:icd10-detail",
        listing=Listing(
            "icd10/codes/",
            "icd10-list",
            title="ICD-10-CM codes",
            intro="Every ICD-10-CM category and code, with whether it is billable. Filter by "
            "chapter or billability, sort by a column heading, or download the filtered list.",
            table="Icd10Table",
            filterset="Icd10Filter",
            export_name="icd-10-cm",
            fields=("code", "description", "billable", "chapter", "confidence"),
            release=models.CodeSetRelease.CodeSet.ICD10CM,
        ),
        menu=Menu(4, "ICD-10-CM", "codes:icd10-chapters"),
        document=documents.DIAGNOSIS,
        backup=Backup.NEEDED,
        admin="Icd10CodeAdmin",
    ),
    # The release of a code set that its import loaded (shown on its pages and downloads).
    Kind(
        "release",
        models.CodeSetRelease,
        backup=Backup.NONE,
        admin="CodeSetReleaseAdmin",
        editors=False,
    ),
    Kind(
        "payer",
        models.Payer,
        label="Payers",
        detail_url="codes:payer-detail",
        listing=Listing(
            "payers/",
            "payer-list",
            title="Payers",
            intro="Health plans whose coverage of these codes the articles describe.",
            table="PayerTable",
            export_name="payers",
            fields=("name", "slug"),
        ),
        menu=Menu(5, "Payers", "codes:payer-list"),
        document=documents.PAYER,
        backup=Backup.NEEDED,
        admin="PayerAdmin",
    ),
    # What an anesthesia case pays (codes/payment.py works it out).
    Kind(
        "anescode",
        models.BaseUnit,
        label="Anesthesia codes without an article",
        detail_url="codes:cpt-detail",
        document=documents.ANESTHESIA_CODE,
        backup=Backup.NEEDED,
        admin="BaseUnitAdmin",
    ),
    Kind(
        "qualifying",
        models.QualifyingCircumstance,
        backup=Backup.NEEDED,
        admin="QualifyingCircumstanceAdmin",
    ),
    Kind(
        "factor",
        models.ConversionFactor,
        listing=Listing(
            "conversion-factors/",
            "factor-list",
            title="Anesthesia conversion factors",
            intro="Dollars per anesthesia unit, by payer and period: Medicare’s national factor "
            "of each year and the factors editors record from payers’ contracts. A date of "
            "service takes the factor in force that day.",
            table="ConversionFactorTable",
            filterset="ConversionFactorFilter",
            export_name="conversion-factors",
        ),
        admin="ConversionFactorAdmin",
    ),
    Kind("payerrule", models.PayerRule, admin="PayerRuleAdmin"),
    # The articles, with their parts (edited on the article's admin page).
    Kind(
        "cpt",
        models.CptCode,
        label="CPT codes and articles",
        detail_url="codes:cpt-detail",
        listing=Listing(
            "codes/",
            "cpt-list",
            title="CPT codes",
            intro="Every CPT code with an article on cptref. Select a column heading to sort.",
            table="CptCodeTable",
            filterset="CptCodeFilter",
            export_name="cpt-codes",
            table_caption="CPT codes on cptref",
        ),
        menu=Menu(1, "CPT codes", "codes:cpt-list"),
        document=documents.ARTICLE,
        admin="CptCodeAdmin",
        reviewers_only=("publish_cptcode",),
    ),
    Kind("section", models.ArticleSection, admin="ArticleSectionAdmin"),
    Kind("cptmod", models.CptModifier, admin="CptModifierAdmin"),
    Kind("cpttax", models.CptTaxonomy, admin="CptTaxonomyAdmin"),
    Kind("cptdiag", models.CptDiagnosis, admin="CptDiagnosisAdmin"),
    Kind("cptpayer", models.CptPayer, admin="CptPayerAdmin"),
    Kind("related", models.RelatedCode, admin="RelatedCodeAdmin"),
    Kind(
        "policy",
        models.PolicyUpdate,
        label="Policy updates",
        listing=Listing(
            "policy-updates/",
            "policy-updates",
            title="Policy updates",
            intro="Changes in payers’ policies for the codes on cptref, newest first, as editors "
            "recorded them with their sources. Filter by payer or date, or download the list.",
            table="PolicyUpdateTable",
            filterset="PolicyUpdateFilter",
            export_name="policy-updates",
        ),
        menu=Menu(7, "Policy updates", "codes:policy-updates"),
        admin="PolicyUpdateAdmin",
    ),
    Kind("changelog", models.ChangeLogEntry, admin="ChangeLogEntryAdmin"),
]

BY_NAME = {kind.name: kind for kind in KINDS}


def get(name: str) -> Kind:
    return BY_NAME[name]


def per_registry(work):
    """`work(*args)` worked out once for each set of arguments while the registry's list of
    kinds stays the same, and again when it is replaced (as a test may): for what a search
    builds from the registry at every query (the index's tags, the SQL of its statements)."""
    kept: tuple = (None, {})  # (KINDS when worked out, {args: value}), swapped whole

    @wraps(work)
    def get(*args):
        nonlocal kept
        registry, values = kept
        if registry is not KINDS:
            registry, values = KINDS, {}
            kept = (registry, values)
        try:
            return values[args]
        except KeyError:
            pass
        value = values[args] = work(*args)
        return value

    return get


def for_model(model) -> Kind:
    return next(kind for kind in KINDS if kind.model is model)


def listed() -> list[Kind]:
    return [kind for kind in KINDS if kind.listing]


def searchable() -> list[Kind]:
    """The kinds with a search document, in the order of the search page's groups."""
    return sorted((kind for kind in KINDS if kind.document), key=lambda k: k.document.group)


def menu() -> list[Menu]:
    return sorted((kind.menu for kind in KINDS if kind.menu), key=lambda m: m.position)


def content_tables() -> list[str]:
    return [kind.table for kind in KINDS if kind.content_version]
