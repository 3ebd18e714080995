"""The reference data: CPT codes with their articles, the public code sets they link to, and links.

Every model has a natural key so fixtures name codes, never numeric ids, a version that refuses a
save based on a stale copy (codes/locking.py) and a history of its changes (django-simple-history).
Code shapes are enforced twice: by a field validator (so forms explain the rule) and by a
CheckConstraint (so fixtures and raw SQL cannot bypass it).
"""

from dataclasses import dataclass

from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.html import escape, format_html
from simple_history.models import HistoricalRecords

from .locking import Versioned
from .paths import code_url

CPT_CODE_PATTERN = r"^[0-9]{4}[0-9FTU]$"
MODIFIER_PATTERN = r"^[0-9A-Z]{2}$"
TAXONOMY_PATTERN = r"^[0-9A-Z]{9}X$"
ICD10_PATTERN = r"^[A-Z][0-9A-Z]{2}(\.[0-9A-Z]{1,4})?$"
ICD10_BLOCK_PATTERN = r"^[A-Z][0-9A-Z]{2}-[A-Z][0-9A-Z]{2}$"
ICD10_CHAPTER_PATTERN = r"^[0-9]{1,2}$"
POS_PATTERN = r"^[0-9]{2}$"

validate_cpt_code = RegexValidator(
    CPT_CODE_PATTERN,
    "A CPT code has five characters: four digits, then a digit or F, T or U (e.g. 00620).",
)
validate_modifier_code = RegexValidator(
    MODIFIER_PATTERN, "A modifier has two letters or digits (e.g. QS or 23)."
)
validate_taxonomy_code = RegexValidator(
    TAXONOMY_PATTERN,
    "A NUCC taxonomy code has ten characters: nine letters or digits, then X (e.g. 207L00000X).",
)
validate_icd10_code = RegexValidator(
    f"{ICD10_PATTERN}|{ICD10_BLOCK_PATTERN}|{ICD10_CHAPTER_PATTERN}",
    "An ICD-10-CM code is three letters or digits (the first a letter), optionally followed by a "
    "dot and up to four more (e.g. M48.04); a block is a range such as M45-M49, a chapter a "
    "number.",
)
validate_pos_code = RegexValidator(POS_PATTERN, "A place-of-service code has two digits (e.g. 21).")

MARKDOWN = (
    "Markdown: an empty line between paragraphs; **bold**, *italic*, lists, tables and links "
    "[text](https://…). HTML is not shown."
)


class CodeField(models.CharField):
    """A code typed by people: surrounding spaces are dropped and letters are capitalised."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.strip().upper() if value else value


def code_shape(model: str, pattern: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(code__regex=pattern),
        name=f"codes_{model}_code_format",
        violation_error_message="The code does not have the shape of its code set.",
    )


def unique_code(model: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(fields=["code"], name=f"codes_{model}_unique_code")


def taxonomy_name(classification: str, specialization: str) -> str:
    """How a taxonomy is named on the site: the NUCC levels every source agrees on."""
    return f"{classification}: {specialization}" if specialization else classification


@dataclass(frozen=True)
class SourceLink:
    """One line of a record's sources: a URL with the words after it, or a citation."""

    href: str
    label: str
    note: str

    def __html__(self) -> str:
        """Templates print a source as a link to its URL, or as plain text."""
        text = (
            format_html('<a href="{}">{}</a>', self.href, self.label)
            if self.href
            else escape(self.label)
        )
        return format_html("{} {}", text, self.note) if self.note else text


def source_links(text: str) -> list[SourceLink]:
    """Sources as links: one per line; a line that starts with a URL links to it."""
    links = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith(("https://", "http://")):
            href, _, note = line.partition(" ")
            label = href.split("://", 1)[1]
            label = label if len(label) <= 60 else label[:59] + "…"
            links.append(SourceLink(href, label, note.strip()))
        elif line:
            links.append(SourceLink("", line, ""))
    return links


class NaturalKeyManager(models.Manager):
    def get_by_natural_key(self, *key):
        return self.get(**dict(zip(self.model.NATURAL_KEY, key, strict=True)))


class NaturalKeyModel(Versioned):
    """Base of every content model. The natural key is declared once as lookup paths, e.g.
    ("cpt__code", "modifier__code"); every save through a model instance is version-checked and
    recorded in the model's history table (who, when, every field)."""

    NATURAL_KEY: tuple[str, ...] = ("code",)

    objects = NaturalKeyManager()
    history = HistoricalRecords(inherit=True, cascade_delete_history=False)

    class Meta:
        abstract = True

    def natural_key(self):
        return tuple(self._natural_key_part(path) for path in self.NATURAL_KEY)

    def _natural_key_part(self, path: str):
        # A link whose parent is missing yields None, so `loaddata` reaches the point where it can
        # name the record and the unknown key instead of failing on an attribute error.
        value = self
        for name in path.split("__"):
            try:
                value = getattr(value, name)
            except ObjectDoesNotExist:
                return None
        return value


class Confidence(models.TextChoices):
    HIGH = "high", "Verified"
    MEDIUM = "medium", "Unverified"


class SourcedRecord(NaturalKeyModel):
    """A record of a public code set, kept with the public sources it was taken from."""

    source = models.TextField(
        blank=True,
        help_text="Public sources of this record, one per line (a URL or a citation).",
    )
    confidence = models.CharField(
        max_length=6,
        choices=Confidence.choices,
        default=Confidence.HIGH,
        help_text="Verified: stated in the sources. Unverified: one secondary source or recalled; "
        "readers see it marked as unverified.",
    )
    note = models.TextField(
        blank=True, help_text="A caveat readers should see, such as a code-set change."
    )
    edited_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When an editor last changed the record in the admin (not an import). "
        "export_content includes every record edited so.",
    )

    class Meta:
        abstract = True

    def source_links(self) -> list[SourceLink]:
        return source_links(self.source)

    @property
    def is_unverified(self) -> bool:
        return self.confidence == Confidence.MEDIUM


class PlaceOfService(SourcedRecord):
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
    class CodeSet(models.TextChoices):
        HCPCS = "hcpcs", "HCPCS Level II"
        CPT = "cpt", "CPT"

    class Kind(models.TextChoices):
        PRICING = "pricing", "Pricing"
        INFORMATIONAL = "informational", "Informational"

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

    class Meta:
        ordering = ["code"]
        constraints = [unique_code("modifier"), code_shape("modifier", MODIFIER_PATTERN)]

    def __str__(self):
        return f"{self.code} {self.name}"

    def get_absolute_url(self):
        return code_url("codes:modifier-detail", self.code)


class ProviderTaxonomy(SourcedRecord):
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
LISTED = Q(kind__in=["category", "code"])


class Icd10Code(SourcedRecord):
    """A node of the ICD-10-CM tabular list: a chapter, a block, a category or a code."""

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
        # The index page lists categories and codes (kind) sorted by code or description: these
        # indexes give one page of 98,000 rows in order, and skip earlier pages without reading
        # the table.
        indexes = [
            models.Index(fields=["code", "kind"], name="codes_icd10_code_kind"),
            models.Index(fields=["description", "kind"], name="codes_icd10_description_kind"),
            # The chapters, in order, for /icd10/ and the chapter filter.
            models.Index(fields=["kind", "position"], name="codes_icd10_kind_position"),
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

    def ancestors(self) -> list["Icd10Code"]:
        """Chapter first, parent last: one query, from the stored lineage."""
        codes = [code for code in self.lineage.split("/") if code]
        found = {c.code: c for c in Icd10Code.objects.filter(code__in=codes)}
        return [found[code] for code in codes if code in found]


class Payer(NaturalKeyModel):
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


class CptCodeQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=CptCode.Status.PUBLISHED)


class CptCode(NaturalKeyModel):
    """A CPT code and its article. Readers see the article only while it is published."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        REVIEW = "review", "In review"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    # Reviewers may set any status; editors only move an article between these.
    EDITOR_STATUSES = (Status.DRAFT, Status.REVIEW)
    PUBLISH_PERMISSION = "codes.publish_cptcode"

    class ServiceType(models.TextChoices):
        ANESTHESIOLOGY = "anesthesiology", "Anesthesiology"
        SURGERY = "surgery", "Surgery"
        RADIOLOGY = "radiology", "Radiology"
        PATHOLOGY = "pathology", "Pathology and Laboratory"
        MEDICINE = "medicine", "Medicine"
        EVALUATION = "evaluation", "Evaluation and Management"

    code = CodeField(
        max_length=5, validators=[validate_cpt_code], help_text="Five characters, e.g. 00620."
    )
    title = models.CharField(
        max_length=255,
        help_text="The article's title. Write our own wording: CPT descriptors are the AMA's.",
    )
    service_type = models.CharField(max_length=20, choices=ServiceType.choices)
    section = models.CharField(
        max_length=200,
        help_text="Where the code sits in the code set, e.g. Anesthesia › Spine and Spinal Cord.",
    )
    place_of_service = models.ForeignKey(
        PlaceOfService,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cpt_codes",
        help_text="The setting where the code is most often billed.",
    )
    modifiers = models.ManyToManyField(Modifier, through="CptModifier", related_name="cpt_codes")
    taxonomies = models.ManyToManyField(
        ProviderTaxonomy, through="CptTaxonomy", related_name="cpt_codes"
    )
    diagnoses = models.ManyToManyField(Icd10Code, through="CptDiagnosis", related_name="cpt_codes")
    payers = models.ManyToManyField(Payer, through="CptPayer", related_name="cpt_codes")
    status = models.CharField(
        max_length=9,
        choices=Status.choices,
        default=Status.DRAFT,
        db_index=True,
        help_text="Readers see only published articles. Editors move an article between draft "
        "and in review; reviewers also publish and archive.",
    )
    published_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When a reviewer last published it."
    )
    published_by = models.CharField(
        max_length=150, blank=True, editable=False, help_text="The reviewer who published it."
    )
    last_reviewed = models.DateField(
        null=True,
        blank=True,
        help_text="When a reviewer last confirmed the article; set on publishing. Readers see it.",
    )
    updated_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the article or any of its parts last changed. Readers see the date.",
    )

    objects = NaturalKeyManager.from_queryset(CptCodeQuerySet)()

    class Meta:
        ordering = ["code"]
        verbose_name = "CPT code"
        verbose_name_plural = "CPT codes"
        constraints = [unique_code("cptcode"), code_shape("cptcode", CPT_CODE_PATTERN)]
        permissions = [("publish_cptcode", "Can publish and archive articles")]

    def __str__(self):
        return f"{self.code} {self.title}"

    def get_absolute_url(self):
        return code_url("codes:cpt-detail", self.code)

    def save(self, *args, **kwargs):
        self.updated_at = timezone.now()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "updated_at"}
        super().save(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @classmethod
    def statuses_for(cls, user) -> list[str]:
        """The statuses `user` may give an article."""
        if user.has_perm(cls.PUBLISH_PERMISSION):
            return list(cls.Status.values)
        return list(cls.EDITOR_STATUSES)

    def editable_by(self, user) -> bool:
        """Published and archived articles are changed by reviewers only: an editor's change
        would reach readers unreviewed."""
        return self.status in self.EDITOR_STATUSES or user.has_perm(self.PUBLISH_PERMISSION)

    def set_status(self, status: str, user) -> None:
        """Move the article to `status` as `user` (not saved). Publishing records who and when
        and marks the article reviewed today. Raises PermissionDenied for a status the user may
        not give, or for an article the user may not change."""
        previous = self.status
        if status == previous:
            return
        allowed = self.statuses_for(user)
        if status not in allowed or not self.editable_by(user):
            raise PermissionDenied(
                f"Only reviewers can move an article from “{self.Status(previous).label}” to "
                f"“{self.Status(status).label}”."
            )
        self.status = status
        if status == self.Status.PUBLISHED:
            self.published_at = timezone.now()
            self.published_by = user.get_username()
            self.last_reviewed = timezone.localdate()

    @property
    def headline(self) -> str:
        return f"CPT {self.code}: {self.title}"


class ArticlePart(NaturalKeyModel):
    """A part of a code's article (a section, a link, a policy update): saving or deleting it
    updates the article's "Last updated" date."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self._touch_article()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        self._touch_article()
        return result

    def _touch_article(self):
        # A queryset update: the article's own version and history stay as they are.
        CptCode.objects.filter(pk=self.cpt_id).update(updated_at=timezone.now())


class ArticleSection(ArticlePart):
    """One titled part of a code's article, in the order readers see it."""

    NATURAL_KEY = ("cpt__code", "slug")

    class Level(models.IntegerChoices):
        SECTION = 2, "Section"
        SUBSECTION = 3, "Subsection of the section above"

    class Kind(models.TextChoices):
        PROSE = "prose", "Text only"
        CODING = "coding", "Text, then the modifier, taxonomy and diagnosis tables"

    cpt = models.ForeignKey(CptCode, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField(default=0, help_text="Order on the page.")
    heading = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=80,
        help_text="The section's anchor: /codes/00620/#clinical-context links straight to it. "
        "Changing it breaks links people saved.",
    )
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.SECTION)
    kind = models.CharField(max_length=6, choices=Kind.choices, default=Kind.PROSE)
    body = models.TextField(blank=True, help_text=MARKDOWN)

    class Meta:
        ordering = ["cpt_id", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["cpt", "slug"], name="codes_articlesection_unique_slug"
            ),
            models.CheckConstraint(
                condition=Q(level__in=[2, 3]), name="codes_articlesection_level_valid"
            ),
        ]

    def __str__(self):
        return f"{self.cpt.code}: {self.heading}"

    def get_absolute_url(self):
        return f"{self.cpt.get_absolute_url()}#{self.slug}"

    def natural_key(self):
        return super().natural_key()

    natural_key.dependencies = ["codes.cptcode"]


class CptLink(ArticlePart):
    """Base of the models that link a CPT code to a record and say why."""

    position = models.PositiveSmallIntegerField(default=0, help_text="Order on the page.")

    class Meta:
        abstract = True
        ordering = ["cpt_id", "position", "pk"]


class CptModifier(CptLink):
    NATURAL_KEY = ("cpt__code", "modifier__code")

    cpt = models.ForeignKey(CptCode, on_delete=models.CASCADE, related_name="modifier_links")
    modifier = models.ForeignKey(Modifier, on_delete=models.PROTECT, related_name="cpt_links")
    usage = models.TextField(
        blank=True, help_text=f"How the modifier applies to this code. {MARKDOWN}"
    )

    class Meta(CptLink.Meta):
        verbose_name = "modifier of a CPT code"
        constraints = [
            models.UniqueConstraint(
                fields=["cpt", "modifier"], name="codes_cptmodifier_unique_pair"
            )
        ]

    def __str__(self):
        return f"{self.cpt.code} with {self.modifier.code}"

    def natural_key(self):
        return super().natural_key()

    natural_key.dependencies = ["codes.cptcode", "codes.modifier"]


class CptTaxonomy(CptLink):
    NATURAL_KEY = ("cpt__code", "taxonomy__code")

    cpt = models.ForeignKey(CptCode, on_delete=models.CASCADE, related_name="taxonomy_links")
    taxonomy = models.ForeignKey(
        ProviderTaxonomy, on_delete=models.PROTECT, related_name="cpt_links"
    )
    note = models.TextField(
        blank=True, help_text=f"Why this provider type bills the code. {MARKDOWN}"
    )

    class Meta(CptLink.Meta):
        verbose_name = "provider taxonomy of a CPT code"
        verbose_name_plural = "provider taxonomies of CPT codes"
        constraints = [
            models.UniqueConstraint(
                fields=["cpt", "taxonomy"], name="codes_cpttaxonomy_unique_pair"
            )
        ]

    def __str__(self):
        return f"{self.cpt.code} by {self.taxonomy.code}"

    def natural_key(self):
        return super().natural_key()

    natural_key.dependencies = ["codes.cptcode", "codes.providertaxonomy"]


class CptDiagnosis(CptLink):
    NATURAL_KEY = ("cpt__code", "icd10__code")

    cpt = models.ForeignKey(CptCode, on_delete=models.CASCADE, related_name="diagnosis_links")
    icd10 = models.ForeignKey(Icd10Code, on_delete=models.PROTECT, related_name="cpt_links")
    rationale = models.TextField(
        blank=True, help_text=f"Why this diagnosis supports the procedure. {MARKDOWN}"
    )

    class Meta(CptLink.Meta):
        verbose_name = "diagnosis of a CPT code"
        verbose_name_plural = "diagnoses of CPT codes"
        constraints = [
            models.UniqueConstraint(fields=["cpt", "icd10"], name="codes_cptdiagnosis_unique_pair")
        ]

    def __str__(self):
        return f"{self.cpt.code} for {self.icd10.code}"

    def natural_key(self):
        return super().natural_key()

    natural_key.dependencies = ["codes.cptcode", "codes.icd10code"]


class CptPayer(CptLink):
    NATURAL_KEY = ("cpt__code", "payer__slug")

    cpt = models.ForeignKey(CptCode, on_delete=models.CASCADE, related_name="payer_links")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="cpt_links")
    coverage_note = models.TextField(
        blank=True, help_text=f"What the payer covers and requires. {MARKDOWN}"
    )
    policy_reference = models.CharField(
        max_length=500, blank=True, help_text="The payer's policy: a URL or a document number."
    )
    last_reviewed = models.DateField(
        null=True, blank=True, help_text="When an editor last checked the payer's policy."
    )

    class Meta(CptLink.Meta):
        verbose_name = "payer of a CPT code"
        constraints = [
            models.UniqueConstraint(fields=["cpt", "payer"], name="codes_cptpayer_unique_pair")
        ]

    def __str__(self):
        return f"{self.cpt.code} at {self.payer.name}"

    def natural_key(self):
        return super().natural_key()

    natural_key.dependencies = ["codes.cptcode", "codes.payer"]


class RelatedCode(CptLink):
    """Another CPT code readers of this one should know; it need not have a page on the site."""

    NATURAL_KEY = ("cpt__code", "code")

    cpt = models.ForeignKey(CptCode, on_delete=models.CASCADE, related_name="related_codes")
    code = CodeField(max_length=5, validators=[validate_cpt_code])
    description = models.CharField(
        max_length=255, blank=True, help_text="Our own short wording, never the AMA descriptor."
    )
    source = models.TextField(blank=True, help_text="Where the relation is stated, one per line.")

    class Meta(CptLink.Meta):
        constraints = [
            models.UniqueConstraint(fields=["cpt", "code"], name="codes_relatedcode_unique_pair"),
            code_shape("relatedcode", CPT_CODE_PATTERN),
        ]

    def __str__(self):
        return f"{self.cpt.code} related to {self.code}"

    def get_absolute_url(self):
        return code_url("codes:cpt-detail", self.code)

    def clean(self):
        if self.cpt_id and self.code == self.cpt.code:
            raise ValidationError({"code": "A code cannot be related to itself."})

    def natural_key(self):
        return super().natural_key()

    natural_key.dependencies = ["codes.cptcode"]

    def source_links(self) -> list[SourceLink]:
        return source_links(self.source)


class PolicyUpdate(ArticlePart):
    """A dated change in a payer's policy for a code, as editors record it."""

    NATURAL_KEY = ("cpt__code", "payer__slug", "date", "summary")

    cpt = models.ForeignKey(CptCode, on_delete=models.CASCADE, related_name="policy_updates")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="policy_updates")
    date = models.DateField(help_text="When the change takes effect, or was announced.")
    summary = models.CharField(max_length=300, help_text="What changed, in one sentence.")
    reference = models.TextField(
        blank=True, help_text="The payer's notice or policy: a URL or a citation, one per line."
    )

    class Meta:
        ordering = ["-date", "payer__name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["cpt", "payer", "date", "summary"], name="codes_policyupdate_unique"
            )
        ]

    def __str__(self):
        return f"{self.cpt.code}, {self.payer.name}, {self.date:%Y-%m-%d}: {self.summary}"

    def get_absolute_url(self):
        return f"{self.cpt.get_absolute_url()}#policy-updates"

    def natural_key(self):
        return super().natural_key()

    natural_key.dependencies = ["codes.cptcode", "codes.payer"]

    def source_links(self) -> list[SourceLink]:
        return source_links(self.reference)


class ChangeLogEntry(ArticlePart):
    """A dated line of an article's public change log ("Added Aetna's 2026 policy")."""

    NATURAL_KEY = ("cpt__code", "date", "summary")

    cpt = models.ForeignKey(CptCode, on_delete=models.CASCADE, related_name="change_log")
    date = models.DateField(default=timezone.localdate)
    summary = models.CharField(max_length=300, help_text="What changed, for readers.")

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = "change log entry"
        verbose_name_plural = "change log"
        constraints = [
            models.UniqueConstraint(
                fields=["cpt", "date", "summary"], name="codes_changelogentry_unique"
            )
        ]

    def __str__(self):
        return f"{self.cpt.code}, {self.date:%Y-%m-%d}: {self.summary}"

    def natural_key(self):
        return super().natural_key()

    natural_key.dependencies = ["codes.cptcode"]


class SearchEntry(models.Model):
    """A row of the search index: one per searchable record, written only by database triggers
    (migration 0004_search). On SQLite the table is an FTS5 table without `vector`; codes/search.py
    reads it with SQL there and through this model on PostgreSQL."""

    pk = models.CompositePrimaryKey("kind", "ref")
    kind = models.CharField(max_length=10)
    ref = models.BigIntegerField()  # the record's id
    code = models.TextField()  # the key of its URL: a code, or a payer's slug
    title = models.TextField()
    body = models.TextField()
    detail = models.TextField()  # a short label shown with the result, e.g. "Billable"
    vector = SearchVectorField(editable=False)  # PostgreSQL only

    class Meta:
        managed = False
        db_table = "codes_search"

    def __str__(self):
        return f"{self.kind} {self.code}"


class ContentVersion(models.Model):
    """One row counting the changes to the content: database triggers (migration
    0005_content_version) add one on every insert, update and delete of a content table, so
    cached pages and their ETags follow admin saves, bulk updates and imports alike."""

    number = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(help_text="When the content last changed.")

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="codes_contentversion_one")]

    def __str__(self):
        return f"content version {self.number} of {self.changed_at:%Y-%m-%d %H:%M:%S}"
