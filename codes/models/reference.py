"""The public code sets: places of service, modifiers, provider taxonomies, ICD-10-CM and payers.

Each is kept with the public sources it was taken from (SourcedRecord). Code shapes are enforced
twice: by a field validator (so forms explain the rule) and by a CheckConstraint (so fixtures and
raw SQL cannot bypass it).
"""

from dataclasses import dataclass

from django.db import models
from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.text import slugify

from .. import tabular
from ..caching import PerVersion
from ..claims import Placement as ClaimPlacement
from ..paths import code_url
from ..statements import Statement
from .base import (
    ICD10_BLOCK_PATTERN,
    ICD10_CHAPTER_PATTERN,
    ICD10_PATTERN,
    MARKDOWN,
    MODIFIER_PATTERN,
    POS_PATTERN,
    TAXONOMY_PATTERN,
    CodeField,
    NaturalKeyManager,
    NaturalKeyModel,
    SourcedRecord,
    code_shape,
    published,
    taxonomy_name,
    unique_code,
    validate_icd10_code,
    validate_modifier_code,
    validate_pos_code,
    validate_taxonomy_code,
)


class ReferenceQuerySet(models.QuerySet):
    def listed(self):
        """The index's rows, each with the number of published articles that link to it
        (`cpt_count`). The model's CPT_PATH leads from a record to the CPT codes: its first
        step is the relation whose rows are counted (the links, or the CPT codes themselves),
        the rest leads from them to the CPT code. Counted by a subquery for each row shown,
        rather than by grouping every row with its links: a page of 50 taxonomies read all
        883 with theirs."""
        relation, _, to_cpt = self.model.CPT_PATH.partition("__")
        rel = self.model._meta.get_field(relation)
        counted = rel.related_model._default_manager.filter(
            published(f"{to_cpt}__" if to_cpt else ""), **{rel.field.name: OuterRef("pk")}
        )
        count = counted.order_by().values(rel.field.name).annotate(n=Count("pk")).values("n")
        return self.annotate(cpt_count=Coalesce(Subquery(count), 0))


ReferenceManager = NaturalKeyManager.from_queryset(ReferenceQuerySet)


class PlaceOfService(SourcedRecord):
    CPT_PATH = "cpt_codes"  # from a record to the CPT codes that use it

    objects = ReferenceManager()

    code = CodeField(max_length=2, validators=[validate_pos_code], help_text="Two digits, e.g. 21.")
    name = models.CharField(max_length=200, help_text="The CMS name, e.g. Inpatient Hospital.")
    description = models.TextField(blank=True, help_text="The CMS description, if recorded.")

    class Meta:
        ordering = ["code"]
        verbose_name = "place of service"
        verbose_name_plural = "places of service"
        constraints = [unique_code("placeofservice"), code_shape("placeofservice", POS_PATTERN)]

    def __str__(self):
        return f"{self.code} {self.name}"

    def get_absolute_url(self):
        return code_url("codes:pos-detail", self.code)


class Modifier(SourcedRecord):
    CPT_PATH = "cpt_links__cpt"  # from a record to the CPT codes that use it

    objects = ReferenceManager()

    class CodeSet(models.TextChoices):
        HCPCS = "hcpcs", "HCPCS Level II"
        CPT = "cpt", "CPT"

    class Kind(models.TextChoices):
        PRICING = "pricing", "Pricing"
        INFORMATIONAL = "informational", "Informational"

    class Placement(models.TextChoices):
        ANY = ClaimPlacement.ANY, "Anywhere among the line's modifiers"
        AFTER_PRICING = ClaimPlacement.AFTER_PRICING, "After a pricing modifier, on its line"
        PROCEDURE = ClaimPlacement.PROCEDURE, "On the procedure's code, not an anesthesia code"

    code = CodeField(
        max_length=2, validators=[validate_modifier_code], help_text="Two characters, e.g. QS."
    )
    code_set = models.CharField(max_length=5, choices=CodeSet.choices, default=CodeSet.HCPCS)
    name = models.CharField(
        max_length=200,
        help_text="Short meaning. HCPCS Level II wording is public; for CPT modifiers write our "
        "own paraphrase, never the AMA's text.",
    )
    kind = models.CharField(
        max_length=13,
        choices=Kind.choices,
        help_text="Pricing modifiers set the payment; informational ones describe the service.",
    )
    description = models.TextField(
        blank=True, help_text=f"What the modifier means, in more detail. {MARKDOWN}"
    )
    when_to_use = models.TextField(
        blank=True, help_text=f"When and how to report it on a claim. {MARKDOWN}"
    )
    payment_effect = models.TextField(
        blank=True,
        help_text=f"Its effect on Medicare payment, where the sources state one. {MARKDOWN}",
    )
    asa_units = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Physical status modifiers: units added by the ASA Relative Value Guide "
        "convention many commercial payers follow, where the sources give them.",
    )
    medicare_units = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Physical status modifiers: units Medicare adds."
    )
    reported_by = models.TextField(
        blank=True,
        help_text="Who reports it: NUCC groupings or classifications, one per line, e.g. "
        "Allopathic & Osteopathic Physicians. The claim check flags a line whose rendering "
        "provider's taxonomy is in none of them. Empty: any provider.",
    )
    placement = models.CharField(
        max_length=13,
        blank=True,
        choices=Placement.choices,
        default=Placement.ANY,
        help_text="Where it goes on a claim line, as its page says; the claim check follows it.",
    )

    class Meta:
        ordering = ["code"]
        constraints = [unique_code("modifier"), code_shape("modifier", MODIFIER_PATTERN)]

    def __str__(self):
        return f"{self.code} {self.name}"

    def get_absolute_url(self):
        return code_url("codes:modifier-detail", self.code)

    @property
    def is_physical_status(self) -> bool:
        """A physical status modifier (P1-P6): one with units of its own."""
        return self.asa_units is not None or self.medicare_units is not None

    @property
    def reporters(self) -> tuple[str, ...]:
        return self.split_reporters(self.reported_by)

    @staticmethod
    def split_reporters(text: str) -> tuple[str, ...]:
        return tuple(line.strip() for line in text.splitlines() if line.strip())

    @classmethod
    def unknown_reporters(cls, text: str) -> list[str]:
        """The lines of a `reported_by` that name no grouping or classification of a taxonomy
        on the site (checked by the admin's form, not by the model: a backup may load a
        modifier before the taxonomies it names)."""
        pairs = ProviderTaxonomy.objects.values_list("grouping", "classification")
        names = {name for pair in pairs for name in pair}
        return [name for name in cls.split_reporters(text) if name not in names]


class ProviderTaxonomy(SourcedRecord):
    CPT_PATH = "cpt_links__cpt"  # from a record to the CPT codes that use it

    objects = ReferenceManager()

    code = CodeField(
        max_length=10, validators=[validate_taxonomy_code], help_text="NUCC code, e.g. 207L00000X."
    )
    grouping = models.CharField(max_length=200, help_text="NUCC grouping (top level).")
    classification = models.CharField(max_length=200, help_text="NUCC classification.")
    specialization = models.CharField(
        max_length=200, blank=True, help_text="NUCC area of specialization, if any."
    )
    display_name = models.CharField(max_length=200, blank=True, help_text="NUCC display name.")
    definition = models.TextField(blank=True, help_text="NUCC definition.")
    nucc_notes = models.TextField(blank=True, help_text="NUCC's notes (sources, dates of change).")
    nucc_section = models.CharField(
        max_length=20, blank=True, help_text="NUCC section: Individual or Non-Individual."
    )

    class Meta:
        ordering = ["code"]
        verbose_name = "provider taxonomy"
        verbose_name_plural = "provider taxonomies"
        constraints = [
            unique_code("providertaxonomy"),
            code_shape("providertaxonomy", TAXONOMY_PATTERN),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def get_absolute_url(self):
        return code_url("codes:taxonomy-detail", self.code)

    @property
    def name(self) -> str:
        return taxonomy_name(self.classification, self.specialization)


# The entries that the ICD-10-CM index lists: categories and codes, not chapters and blocks.
LISTED_KINDS = ["category", "code"]


class Listed(models.Expression):
    """`kind IN ('category', 'code')`, LISTED_KINDS written into the SQL rather than passed as
    parameters. SQLite uses a partial index (Icd10Code.Meta.indexes) only for a query whose
    WHERE implies the index's, and a parameter could be any kind: with them, page 1,000 of the
    index scanned and sorted the whole table (140 ms). The kinds are the code's own constants,
    never a reader's input."""

    conditional = True
    output_field = models.BooleanField()

    def __init__(self):
        super().__init__()
        self.kind = F("kind")

    def get_source_expressions(self):
        return [self.kind]

    def set_source_expressions(self, expressions):
        (self.kind,) = expressions

    def as_sql(self, compiler, connection):
        column, params = compiler.compile(self.kind)
        kinds = ", ".join(f"'{kind}'" for kind in LISTED_KINDS)
        return f"{column} IN ({kinds})", params


LISTED = Listed()
LISTED_INDEX = Q(kind__in=LISTED_KINDS)  # the same, as the condition of a partial index


@dataclass(frozen=True)
class Instructions:
    """What the tabular list instructs about an entry (Icd10Code.instructions)."""

    groups: list[tabular.Group]
    seventh: tabular.SeventhCharacter | None


class Icd10QuerySet(models.QuerySet):
    def listed(self):
        """The index's rows: categories and codes, without the notes and terms the index does not
        show. Their chapters (only what the index shows of them) come in a second query: joined,
        they would be read for every row an offset skips."""
        chapters = Prefetch("chapter", Icd10Code.objects.only("code", "description"))
        return self.filter(LISTED).defer("notes", "terms").prefetch_related(chapters)

    def chapters_numbered_in_order(self) -> bool:
        """Whether the chapters' ids run in the order of their positions, as import_icd10cm
        writes them (in the order of the tabular list): then the rows sort by chapter, as
        `chapter__position`, by their own `chapter_id`. One query of the 22 chapters."""
        chapters = self.filter(kind=Icd10Code.Kind.CHAPTER).order_by("position")
        ids = list(chapters.values_list("id", flat=True))
        return ids == sorted(ids)


class Icd10Code(SourcedRecord):
    """A node of the ICD-10-CM tabular list: a chapter, a block, a category or a code."""

    objects = NaturalKeyManager.from_queryset(Icd10QuerySet)()

    class Kind(models.TextChoices):
        CHAPTER = "chapter", "Chapter"
        BLOCK = "block", "Block"
        CATEGORY = "category", "Category"
        CODE = "code", "Code"

    code = CodeField(
        max_length=8,
        validators=[validate_icd10_code],
        help_text="With its dot, e.g. M48.04; a block as a range (M45-M49), a chapter by number.",
    )
    description = models.CharField(max_length=500, help_text="The official ICD-10-CM description.")
    billable = models.BooleanField(
        default=True, help_text="Valid on a claim. Header codes that have children are not."
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.CODE)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    # Set by import_icd10cm from the tabular list: the chapter (for filtering) and the codes of
    # all ancestors, "13/M45-M49/M48/M48.0" (for breadcrumbs in one query).
    chapter = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lineage = models.CharField(max_length=100, blank=True, editable=False)
    position = models.PositiveIntegerField(
        default=0, editable=False, help_text="Order in the tabular list."
    )
    # Set by import_icd10cm from the tabular list: the entry's own instructional notes, by kind
    # (codes/tabular.py: NOTE_KINDS, "seven_chr_def", "seven_chr_note"), and its Includes and
    # inclusion terms one per line, for the search index.
    notes = models.JSONField(default=dict, blank=True, editable=False)
    terms = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["code"]
        verbose_name = "ICD-10-CM code"
        verbose_name_plural = "ICD-10-CM codes"
        constraints = [
            unique_code("icd10code"),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=["category", "code"], code__regex=ICD10_PATTERN)
                    | Q(kind="block", code__regex=ICD10_BLOCK_PATTERN)
                    | Q(kind="chapter", code__regex=ICD10_CHAPTER_PATTERN)
                ),
                name="codes_icd10code_code_format",
                violation_error_message="The code does not have the shape of its kind.",
            ),
        ]
        # The index page lists categories and codes (LISTED) sorted by code or description.
        # These indexes hold those rows only, in that order: a page of 98,000 rows is read in
        # order, and earlier pages are skipped in the index without reading the table nor
        # testing each row's kind (page 1,000 by description: 4.0 -> 1.7 ms, bench/README.md).
        indexes = [
            models.Index(fields=["code"], condition=LISTED_INDEX, name="codes_icd10_listed_code"),
            # With the primary key last, as pages are read (codes/paging.py): rows of the same
            # description in order without sorting them (PostgreSQL; SQLite's index entries
            # end with the row's id anyway).
            models.Index(
                fields=["description", "id"],
                condition=LISTED_INDEX,
                name="codes_icd10_listed_desc",
            ),
            # ?sort=billable (billable, then code): without it, the 98,000 rows were read and
            # sorted for every page (27 ms for the first, 84-138 ms deep).
            models.Index(
                fields=["billable", "code"],
                condition=LISTED_INDEX,
                name="codes_icd10_listed_billable",
            ),
            # Billable or not, by chapter then code (?billable=true&sort=chapter), and one
            # chapter's billable rows by code whatever the sort that their filters make
            # equal (?chapter=19&billable=true&sort=billable): 14-29 ms before.
            models.Index(
                fields=["billable", "chapter", "code"],
                condition=LISTED_INDEX,
                name="codes_icd10_billable_chapter",
            ),
            # The chapters, in order, for /icd10/ and the chapter filter.
            models.Index(fields=["kind", "position"], name="codes_icd10_kind_position"),
            # One chapter's rows in order of code or description (?chapter=13&sort=...): without
            # them, every row of the chapter was read and sorted (6,700 rows, 2-6 ms).
            models.Index(
                fields=["chapter", "code"], condition=LISTED_INDEX, name="codes_icd10_chapter_code"
            ),
            models.Index(
                fields=["chapter", "description", "id"],
                condition=LISTED_INDEX,
                name="codes_icd10_chapter_desc",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.description}"

    def get_absolute_url(self):
        return code_url("codes:icd10-detail", self.code)

    @staticmethod
    def canonical(code: str) -> str:
        """M4804, m48.04 and M48.04 all become M48.04; a block keeps its dash."""
        bare = code.strip().upper().replace(".", "")
        if "-" in bare or len(bare) <= 3:
            return bare
        return f"{bare[:3]}.{bare[3:]}"

    def instructions(
        self, ancestors: list["Icd10Code"], state: str | None = None
    ) -> "Instructions":
        """The tabular list's notes that apply to this entry, its own and those it inherits from
        `ancestors` (chapter first), grouped by kind; the codes they name linked where the site
        has them; and the 7th-character table that applies to it. Which of the codes named by
        the ancestors' notes the site has, and their notes linked, are worked out once per
        content version `state` for those ancestors (every code under a chapter inherits its
        notes); the codes its own notes name here (one query, if they name any other)."""
        chain = [(up.code, up.notes) for up in ancestors]
        key = tuple(code for code, _ in chain)
        inherited = INHERITANCE.get(state, key, lambda: _inherited(chain))
        known, notes = inherited.known, inherited.notes
        own = tabular.references(self.notes, []) - inherited.names
        if own:  # its own notes name other codes: which the site has, and the links again
            known = known | _codes_known(own)
            notes = tabular.inherited_notes(chain, known)
        return Instructions(
            groups=tabular.groups(self.notes, chain, known, notes),
            seventh=tabular.seventh_character(self.code, self.notes, chain),
        )

    def ancestors(self, state: str | None = None) -> list["Icd10Code"]:
        """Chapter first, parent last, from the stored lineage: kept once read for the content
        version `state` (the chapter, block and category of a code are those of its siblings,
        and their notes take time to read), the others in one query. Not to be changed: the
        next page with the same ancestors gets the same records."""
        codes = [code for code in self.lineage.split("/") if code]
        if not codes:
            return []
        found = ANCESTRY.get_many(state, codes, _read_ancestors)
        return [found[code] for code in codes if code in found]


# Compiled once per number of codes (codes/statements.py): the ancestors of a code page, with what
# the breadcrumbs and the inherited notes need (reading every field of five entries took half the
# statement's time); and which of the codes its notes name the site has.
ANCESTORS = Statement(
    lambda codes: Icd10Code.objects.filter(code__in=codes).only(
        "code", "description", "kind", "notes"
    )
)
CODES_KNOWN = Statement(
    lambda codes: Icd10Code.objects.filter(code__in=codes).values_list("code", flat=True)
)


@dataclass(frozen=True)
class Inherited:
    """What a chain of ancestors' notes give every entry below them: the codes they name, which
    of those the site has, and the notes themselves, linked (codes/tabular.py)."""

    names: frozenset[str]
    known: frozenset[str]
    notes: dict


def _inherited(chain: list[tuple[str, dict]]) -> Inherited:
    names = frozenset(tabular.references({}, chain))
    known = _codes_known(names)
    return Inherited(names, known, tabular.inherited_notes(chain, known))


# What a chain of ancestors' notes give, by the chain's codes (Icd10Code.instructions).
INHERITANCE = PerVersion(size=4096)
# Entries read as ancestors (Icd10Code.ancestors), by code.
ANCESTRY = PerVersion(size=4096)


def _read_ancestors(codes: list[str]) -> dict[str, "Icd10Code"]:
    return {entry.code: entry for entry in ANCESTORS(codes=codes)}


def _codes_known(codes: set[str]) -> frozenset[str]:
    return frozenset(CODES_KNOWN(codes=sorted(codes))) if codes else frozenset()


class CodeSetRelease(models.Model):
    """The release of a public code set that the site holds, recorded by its import: shown with
    the code set's pages and downloads; a re-import of another release records what it
    replaced."""

    class CodeSet(models.TextChoices):
        ICD10CM = "icd10cm", "ICD-10-CM"

    code_set = models.CharField(max_length=20, choices=CodeSet.choices)
    name = models.CharField(
        max_length=200, help_text="As readers see it, e.g. ICD-10-CM FY2026, April 1, 2026 update."
    )
    source = models.TextField(help_text="Where the import read it.")
    replaced = models.CharField(
        max_length=200, blank=True, help_text="The release this one replaced, if any."
    )
    loaded_at = models.DateTimeField(help_text="When the import loaded it.")

    class Meta:
        verbose_name = "code set release"
        verbose_name_plural = "code set releases"
        constraints = [
            models.UniqueConstraint(fields=["code_set"], name="codes_codesetrelease_unique_set")
        ]

    def __str__(self):
        return self.name

    @classmethod
    def current(cls, code_set: str) -> "CodeSetRelease | None":
        return cls.objects.filter(code_set=code_set).first()

    @property
    def file_label(self) -> str:
        """For download names: fy2026-april-1-2026-update."""
        words = self.name.removeprefix(self.get_code_set_display()).split("(")[0]
        return slugify(words)


class Payer(NaturalKeyModel):
    CPT_PATH = "cpt_links__cpt"  # from a record to the CPT codes that use it

    objects = ReferenceManager()

    NATURAL_KEY = ("slug",)

    name = models.CharField(max_length=200, help_text="As readers know it, e.g. UnitedHealthcare.")
    slug = models.SlugField(
        max_length=200, help_text="Its address on the site, e.g. unitedhealthcare."
    )
    edited_at = SourcedRecord.edited_at.field.clone()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="codes_payer_unique_slug"),
            models.UniqueConstraint(fields=["name"], name="codes_payer_unique_name"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return code_url("codes:payer-detail", self.slug)
