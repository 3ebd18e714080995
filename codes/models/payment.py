"""What an anesthesia case pays: the base units of each anesthesia code, conversion factors by
payer and period, and each payer's rules for counting units. The arithmetic itself is
codes/payment.py (no Django); this module keeps the figures, each with its source, and turns them
into the arithmetic's inputs.
"""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import BooleanField, CharField, F, Q, Value
from django.db.models.expressions import RawSQL

from .. import payment
from ..paths import code_url
from ..statements import Statement
from .base import (
    CPT_CODE_PATTERN,
    CodeField,
    NaturalKeyManager,
    SourcedRecord,
    code_shape,
    published_sql,
    source_links,
    unique_code,
    validate_cpt_code,
)
from .reference import Payer

validate_code_list = RegexValidator(
    r"^([0-9]{4}[0-9FTU]([ ,]+[0-9]{4}[0-9FTU])*)?$",
    "CPT codes separated by spaces or commas, e.g. 01995 01996.",
)


# The columns of a row of the CPT index, in order: articles and anesthesia codes without one
# make one table (codes/filters.py CptCodeFilter unites them).
INDEX_COLUMNS = (
    "code",
    "title",
    "service_type",
    "section",
    "pos_code",
    "pos_name",
    "base_units",
    "has_article",
)


class BaseUnitQuerySet(models.QuerySet):
    def without_article(self):
        """Codes with no published article: the site's page of such a code is its own."""
        no_article = RawSQL(
            "NOT EXISTS (SELECT 1 FROM codes_cptcode a WHERE a.code = codes_baseunit.code "
            f"AND {published_sql('a')})",
            [],
            output_field=BooleanField(),
        )
        return self.filter(no_article)

    def index_rows(self):
        """Codes without an article as rows of the CPT index (INDEX_COLUMNS)."""
        nothing = Value(None, output_field=CharField())
        return (
            self.without_article()
            .annotate(
                title=Value("", output_field=CharField()),
                service_type=Value("anesthesiology", output_field=CharField()),
                pos_code=nothing,
                pos_name=nothing,
                base_units=F("units"),
                has_article=Value(False),
            )
            .values(*INDEX_COLUMNS)
            .order_by()
        )


class BaseUnit(SourcedRecord):
    """An anesthesia code's base units, as CMS publishes them each year. Code numbers and units
    only: the code's descriptor is the AMA's."""

    code = CodeField(
        max_length=5, validators=[validate_cpt_code], help_text="Five characters, e.g. 00670."
    )
    units = models.PositiveSmallIntegerField(help_text="Base units, e.g. 13.")
    period = models.CharField(
        max_length=200,
        help_text="Which year's file the figure comes from, e.g. “CY2022 file”.",
    )
    section = models.CharField(
        max_length=200,
        help_text="The code's section as articles name it, e.g. "
        "“Anesthesia › Spine and Spinal Cord”.",
    )
    section_range = models.CharField(
        max_length=20, help_text="The codes of that section, e.g. 00600–00670."
    )
    section_source = models.TextField(
        blank=True, help_text="Where the section and its range are stated, one per line."
    )

    objects = NaturalKeyManager.from_queryset(BaseUnitQuerySet)()

    class Meta:
        ordering = ["code"]
        verbose_name = "anesthesia base unit value"
        verbose_name_plural = "anesthesia base unit values"
        constraints = [unique_code("baseunit"), code_shape("baseunit", CPT_CODE_PATTERN)]

    def __str__(self):
        return f"{self.code}: {self.units} base unit{'' if self.units == 1 else 's'}"

    def get_absolute_url(self):
        return code_url("codes:cpt-detail", self.code)

    def sourced(self) -> payment.Sourced:
        return payment.Sourced(
            Decimal(self.units),
            self.source,
            f"{self.code}: {self.units} base units ({self.period})",
            self.is_unverified,
        )

    def neighbours(self):
        """The five codes of its section just before it and the five after it (one query
        each)."""
        before = BEFORE(section=self.section, code=self.code)
        return [*reversed(before), *AFTER(section=self.section, code=self.code)]

    def section_source_links(self):
        return source_links(self.section_source)


# Compiled once (codes/statements.py): every page of an anesthesia code shows its neighbours,
# their code and units only (a whole BaseUnit took 10 µs to make, ten of them a page).
BEFORE = Statement(
    lambda section, code: (
        BaseUnit.objects.filter(section=section, code__lt=code)
        .only("code", "units")
        .order_by("-code")[:5]
    )
)
AFTER = Statement(
    lambda section, code: (
        BaseUnit.objects.filter(section=section, code__gt=code)
        .only("code", "units")
        .order_by("code")[:5]
    )
)


class QualifyingCircumstance(SourcedRecord):
    """An anesthesia add-on code for a circumstance that makes the case harder, with the units
    payers that count them add. Code numbers and units only."""

    code = CodeField(
        max_length=5,
        validators=[RegexValidator(r"^991[0-9]{2}$", "A code such as 99100.")],
        help_text="e.g. 99140.",
    )
    units = models.PositiveSmallIntegerField(help_text="Units added, where a payer counts them.")

    class Meta:
        ordering = ["code"]
        constraints = [unique_code("qualifyingcircumstance")]

    def __str__(self):
        return f"{self.code}: {self.units} unit{'' if self.units == 1 else 's'}"

    def sourced(self) -> payment.Sourced:
        return payment.Sourced(
            Decimal(self.units), self.source, f"{self.code}: {self.units} units", self.is_unverified
        )


class ConversionFactorQuerySet(models.QuerySet):
    def listed(self):
        """The index's rows, with their payers."""
        return self.select_related("payer")

    def in_force(self, day: date):
        """The factors in force on `day`."""
        return self.filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=day), effective_from__lte=day
        )


class ConversionFactor(SourcedRecord):
    """A payer's anesthesia conversion factor (dollars per unit) for a period: Medicare's
    national factor of each year, or a payer's contracted one."""

    class Clinicians(models.TextChoices):
        ALL = "all", "All clinicians"
        QP = "qp", "Qualifying APM participants"
        NON_QP = "non_qp", "Clinicians who are not qualifying APM participants"

    NATURAL_KEY = ("payer__slug", "effective_from", "clinicians")

    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="conversion_factors")
    label = models.CharField(max_length=100, help_text="How readers know the period, e.g. CY2026.")
    effective_from = models.DateField(help_text="The first date of service it applies to.")
    effective_to = models.DateField(
        null=True, blank=True, help_text="The last date of service it applies to; empty: open."
    )
    clinicians = models.CharField(
        max_length=6,
        choices=Clinicians.choices,
        default=Clinicians.ALL,
        help_text="Medicare's CY2026 factor differs for qualifying APM participants.",
    )
    amount = models.DecimalField(
        max_digits=8,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0.0001")), MaxValueValidator(Decimal("9999"))],
        help_text="Dollars per unit, e.g. 20.3178.",
    )

    objects = NaturalKeyManager.from_queryset(ConversionFactorQuerySet)()

    class Meta:
        ordering = ["payer__name", "-effective_from", "clinicians"]
        constraints = [
            models.UniqueConstraint(
                fields=["payer", "effective_from", "clinicians"],
                name="codes_conversionfactor_unique_start",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="codes_conversionfactor_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="codes_conversionfactor_period_in_order",
                violation_error_message="The period ends before it begins.",
            ),
        ]

    def __str__(self):
        return f"{self.payer}, {self.label}: ${self.amount}"

    def get_absolute_url(self):
        return code_url("codes:payer-detail", self.payer.slug) + "#conversion-factors"

    def applies_to(self, qualifying_apm: bool) -> bool:
        wanted = self.Clinicians.QP if qualifying_apm else self.Clinicians.NON_QP
        return self.clinicians in (self.Clinicians.ALL, wanted)

    def clean(self):
        """Two factors of a payer may not be in force on the same day for the same clinicians."""
        super().clean()
        if not (self.payer_id and self.effective_from):
            return
        others = ConversionFactor.objects.filter(payer_id=self.payer_id).exclude(pk=self.pk)
        if self.effective_to:
            others = others.filter(effective_from__lte=self.effective_to)
        others = others.filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=self.effective_from)
        )
        if self.clinicians != self.Clinicians.ALL:
            others = others.filter(clinicians__in=[self.Clinicians.ALL, self.clinicians])
        clash = others.first()
        if clash is not None:
            raise ValidationError(
                f"{clash.period} is in force on some of the same days: end it the day before, "
                "or change this one's dates."
            )

    @property
    def period(self) -> str:
        """How the factor reads in a sentence: "CY2026, qualifying APM participants"."""
        return (
            self.label
            + {
                self.Clinicians.ALL: "",
                self.Clinicians.QP: ", qualifying APM participants",
                self.Clinicians.NON_QP: ", not qualifying APM participants",
            }[self.clinicians]
        )

    def sourced(self) -> payment.Sourced:
        return payment.Sourced(
            self.amount,
            self.source,
            f"{self.payer.name}, {self.period}: ${self.amount} per unit",
            self.is_unverified,
        )


class PayerRule(SourcedRecord):
    """How a payer counts anesthesia units. New rules start with Medicare's."""

    NATURAL_KEY = ("payer__slug",)

    class TimeRounding(models.TextChoices):
        TENTHS = payment.TimeRounding.TENTHS, "Minutes ÷ unit length, to one decimal place"
        UP = payment.TimeRounding.UP, "Whole units, any started unit counts"
        AFTER = payment.TimeRounding.AFTER, "Whole units, a started unit counts after some minutes"

    payer = models.OneToOneField(Payer, on_delete=models.CASCADE, related_name="anesthesia_rule")
    minutes_per_unit = models.PositiveSmallIntegerField(
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Minutes in one time unit (Medicare: 15).",
    )
    time_rounding = models.CharField(
        max_length=6, choices=TimeRounding.choices, default=TimeRounding.TENTHS
    )
    round_up_after = models.PositiveSmallIntegerField(
        default=0,
        help_text="With “a started unit counts after some minutes”: how many, e.g. 8.",
    )
    physical_status_units = models.BooleanField(
        default=False,
        help_text="Adds the units of the physical status modifiers (the ASA convention: P3 1, "
        "P4 2, P5 3, as each modifier's page gives them). Medicare does not.",
    )
    qualifying_circumstance_units = models.BooleanField(
        default=False,
        help_text="Adds the units of qualifying circumstances (99100-99140). Medicare does not.",
    )
    direction_share = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.50"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text="The anesthesiologist's share of a medically directed case (QK or QY with "
        "QX); the CRNA gets the rest. Medicare: 0.50.",
    )
    no_time_units = models.CharField(
        max_length=200,
        blank=True,
        validators=[validate_code_list],
        help_text="Codes paid without time units (Medicare: 01995 01996).",
    )
    supervision_base_units = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        default=3,
        help_text="Units allowed for medical supervision (AD) instead of the code's base units "
        "(Medicare: 3). Empty: the payer has no such rule.",
    )
    supervision_induction_units = models.PositiveSmallIntegerField(
        default=1, help_text="Time units added under AD when presence at induction is documented."
    )
    time_source = models.TextField(
        blank=True, help_text="Source of the time rule, if not the above."
    )
    modifying_source = models.TextField(
        blank=True, help_text="Source of the physical status and qualifying circumstance rules."
    )
    direction_source = models.TextField(blank=True, help_text="Source of the direction split.")
    no_time_source = models.TextField(blank=True, help_text="Source of the codes without time.")
    supervision_source = models.TextField(blank=True, help_text="Source of the AD rule.")

    class Meta:
        ordering = ["payer__name"]
        verbose_name = "payer's anesthesia rules"
        verbose_name_plural = "payers' anesthesia rules"
        constraints = [
            models.CheckConstraint(
                condition=Q(direction_share__gte=0, direction_share__lte=1),
                name="codes_payerrule_share_between_0_and_1",
            ),
            models.CheckConstraint(
                condition=~Q(time_rounding="after") | Q(round_up_after__gte=1),
                name="codes_payerrule_after_has_minutes",
                violation_error_message="Say after how many minutes a started unit counts.",
            ),
        ]

    def __str__(self):
        return f"Anesthesia rules of {self.payer}"

    def get_absolute_url(self):
        return code_url("codes:payer-detail", self.payer.slug) + "#anesthesia-rules"

    def clean(self):
        super().clean()
        if self.time_rounding == self.TimeRounding.AFTER and not (
            1 <= self.round_up_after <= self.minutes_per_unit
        ):
            raise ValidationError(
                {"round_up_after": f"Between 1 and {self.minutes_per_unit} minutes."}
            )

    def rules(self) -> payment.PayerRules:
        return payment.PayerRules(
            payer=self.payer.name,
            minutes_per_unit=self.minutes_per_unit,
            time_rounding=payment.TimeRounding(self.time_rounding),
            round_up_after=self.round_up_after,
            physical_status_units=self.physical_status_units,
            qualifying_circumstance_units=self.qualifying_circumstance_units,
            direction_share=self.direction_share,
            no_time_units=frozenset(self.no_time_units.replace(",", " ").split()),
            supervision_base_units=self.supervision_base_units,
            supervision_induction_units=self.supervision_induction_units,
            source=self.source,
            time_source=self.time_source,
            modifying_source=self.modifying_source,
            direction_source=self.direction_source,
            no_time_source=self.no_time_source,
            supervision_source=self.supervision_source,
        )
