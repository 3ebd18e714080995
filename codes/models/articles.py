"""CPT codes and their articles: the sections readers read and the links to the code sets."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.utils import timezone

from ..paths import code_url
from .base import (
    CPT_CODE_PATTERN,
    MARKDOWN,
    PUBLISHED,
    CodeField,
    NaturalKeyManager,
    NaturalKeyModel,
    SourceLink,
    code_shape,
    published,
    source_links,
    unique_code,
    validate_cpt_code,
)
from .payment import INDEX_COLUMNS, BaseUnit
from .reference import Icd10Code, Modifier, Payer, PlaceOfService, ProviderTaxonomy


class CptCodeQuerySet(models.QuerySet):
    def published(self):
        """The articles readers may see."""
        return self.filter(published())

    def listed(self):
        """Published articles with their typical place of service."""
        return self.published().select_related("place_of_service")

    def index_rows(self):
        """Published articles as rows of the CPT index (INDEX_COLUMNS), with their base units
        where the code has them."""
        units = BaseUnit.objects.filter(code=OuterRef("code")).values("units")[:1]
        return (
            self.published()
            .annotate(
                pos_code=F("place_of_service__code"),
                pos_name=F("place_of_service__name"),
                base_units=Subquery(units),
                has_article=Value(True),
            )
            .values(*INDEX_COLUMNS)
            .order_by()
        )


class CptCode(NaturalKeyModel):
    """A CPT code and its article. Readers see the article only while it is published."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        REVIEW = "review", "In review"
        PUBLISHED = PUBLISHED, "Published"
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
        verbose_name_plural = "modifiers of CPT codes"
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
        verbose_name_plural = "payers of CPT codes"
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
