"""The payment estimator of an anesthesia code: the form that reads a case from the query string,
and the figures the arithmetic needs (codes/payment.py).

The figures are a few hundred rows (base units, payers with their rules, conversion factors,
modifiers, qualifying circumstances). They are read in five queries once per content version and
process, and kept until the content changes (the version is the page cache's: codes/caching.py),
so an estimate asks the database nothing else, whatever the number of payers.
"""

import copy
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property

from django import forms
from django.utils import dateformat, timezone

from . import payment
from .caching import PerVersion, per_version
from .formhtml import FieldsHtml
from .forms import Form, IsoDateField, SharedFields, set_choices
from .models import BaseUnit, ConversionFactor, Modifier, Payer, QualifyingCircumstance

PHYSICAL_STATUS = [f"P{n}" for n in range(1, 7)]


@dataclass(frozen=True)
class Figures:
    """Every figure an estimate reads, at one content version."""

    base_units: dict[str, BaseUnit]  # code ->
    payers: dict[str, Payer]  # slug -> payer with its rules, by name
    factors: dict[int, list[ConversionFactor]]  # payer id -> its factors
    modifiers: dict[str, Modifier]  # code ->
    qualifying: dict[str, QualifyingCircumstance]  # code ->

    @classmethod
    def read(cls) -> "Figures":
        """Five queries."""
        factors = defaultdict(list)
        for factor in ConversionFactor.objects.select_related("payer"):
            factors[factor.payer_id].append(factor)
        return cls(
            base_units={b.code: b for b in BaseUnit.objects.all()},
            payers={
                p.slug: p for p in Payer.objects.select_related("anesthesia_rule").order_by("name")
            },
            factors=dict(factors),
            modifiers={m.code: m for m in Modifier.objects.all()},
            qualifying={q.code: q for q in QualifyingCircumstance.objects.order_by("code")},
        )

    @cached_property
    def form_fields(self) -> SharedFields:
        """EstimateForm's fields, with these payers and qualifying circumstances as choices:
        set up once per content version and shared by its forms, where each form copied and
        set up its ten fields (30 µs)."""
        fields = copy.deepcopy(EstimateForm.base_fields)
        set_choices(fields["payer"], [(p.slug, p.name) for p in self.payers.values()])
        fields["payer"].initial = ["medicare"] if "medicare" in self.payers else []
        set_choices(fields["qc"], [(qc.code, str(qc)) for qc in self.qualifying.values()])
        return SharedFields(fields)

    def factor(self, payer: Payer, day: date, qualifying_apm: bool) -> ConversionFactor | None:
        """The factor of `payer` in force on `day` for these clinicians, if any."""
        for factor in self.factors.get(payer.pk, ()):
            in_force = factor.effective_from <= day and (
                factor.effective_to is None or day <= factor.effective_to
            )
            if in_force and factor.applies_to(qualifying_apm):
                return factor
        return None


@per_version
def figures() -> Figures:
    """The figures at a content version: `figures(request.content_state)`."""
    return Figures.read()


MAX_TEXT = 200  # characters read from a typed field; a longer value is refused


class CodesField(forms.MultipleChoiceField):
    """Checkboxes of codes; an empty value in the address (`payer=`) is no choice, not a wrong
    one."""

    def to_python(self, value):
        return [item for item in super().to_python(value) if item]


class EstimateForm(FieldsHtml, Form):
    """A case as a coder enters it. GET, so that every estimate is a link."""

    minutes = forms.IntegerField(
        required=False,
        label="Anesthesia time, in minutes",
        min_value=1,
        max_value=payment.MAX_MINUTES,
        error_messages={
            "invalid": "Enter the anesthesia time as a whole number of minutes, e.g. 176.",
            "min_value": "Anesthesia time must be at least 1 minute.",
            "max_value": "Anesthesia time cannot be over 24 hours (1,440 minutes).",
        },
    )
    start = forms.TimeField(
        required=False,
        label="or start time",
        error_messages={"invalid": "Enter a time such as 07:45."},
    )
    end = forms.TimeField(
        required=False,
        label="and end time",
        help_text="An end before the start is read as past midnight.",
        error_messages={"invalid": "Enter a time such as 10:41."},
    )
    modifiers = forms.CharField(
        label="Pricing modifiers",
        max_length=MAX_TEXT,
        initial="AA",
        help_text="How the service was provided: AA; QK QX or QY QX (medically directed); QZ "
        "(CRNA without medical direction); or AD (medical supervision).",
        error_messages={
            "required": "Give the pricing modifiers, e.g. AA or QK QX.",
            "max_length": "Give at most a few modifiers, e.g. QK QX.",
        },
    )
    ps = forms.ChoiceField(
        required=False,
        label="Physical status",
        choices=[("", "Not given"), *((code, code) for code in PHYSICAL_STATUS)],
        error_messages={"invalid_choice": "Choose P1 to P6, or none."},
    )
    induction = forms.BooleanField(required=False, label="Presence at induction documented (AD)")
    qc = CodesField(
        required=False,
        label="Qualifying circumstances",
        error_messages={"invalid_choice": "%(value)s is not a qualifying circumstance on cptref."},
    )
    payer = CodesField(
        label="Payers",
        error_messages={
            "required": "Choose at least one payer.",
            "invalid_choice": "There is no payer “%(value)s” on cptref.",
        },
    )
    dos = IsoDateField(
        required=False,
        label="Date of service",
        help_text="Empty: today.",
        error_messages={"invalid": "Enter a date such as 2026-03-02."},
    )
    qp = forms.BooleanField(required=False, label="Qualifying APM participant (Medicare)")

    def __init__(self, data, *, figures: Figures, **kwargs):
        self.base_fields = figures.form_fields  # this version's choices, shared (Figures)
        super().__init__(data, **kwargs)
        self.figures = figures
        self.payers, self.qualifying = figures.payers, figures.qualifying

    # Extra attributes of the inputs, by field (codes/formhtml.py).
    INPUTS = {
        "minutes": ("number", ' inputmode="numeric" min="1" max="1440"'),
        "start": ("time", ""),
        "end": ("time", ""),
        "modifiers": ("text", ' list="pricing-modifiers" autocomplete="off" maxlength="200"'),
        "dos": ("date", ""),
    }

    def clean_modifiers(self):
        """The modifiers as a list: upper case, split on spaces and commas; the way of providing
        the service they name (payment.provision_from_modifiers) is checked in `clean`."""
        return self.cleaned_data["modifiers"].upper().replace(",", " ").split()

    def clean(self):
        cleaned = super().clean()
        minutes, start, end = (cleaned.get(name) for name in ("minutes", "start", "end"))
        if minutes is None and "minutes" not in self.errors:
            if start is not None and end is not None:
                try:
                    cleaned["minutes"] = payment.minutes_between(start, end)
                except payment.EstimateError as error:
                    self.add_error(error.field, error.message)
            elif not {"start", "end"} & set(self.errors):
                self.add_error("minutes", "Give the anesthesia time: minutes, or start and end.")
        typed = cleaned.get("modifiers")
        if typed:
            unknown = [code for code in typed if code not in self.figures.modifiers]
            if unknown:
                self.add_error("modifiers", f"Not a modifier on cptref: {', '.join(unknown)}.")
            else:
                try:
                    cleaned["provision"] = payment.provision_from_modifiers(typed)
                except payment.EstimateError as error:
                    self.add_error("modifiers", error.message)
        if "dos" not in self.errors:
            cleaned["dos"] = cleaned.get("dos") or timezone.localdate()
        return cleaned


# The blank form's fields, by content version (its payers and circumstances are content).
BLANK_FIELDS = PerVersion(size=1)


def blank_fields(state: str | None) -> dict:
    """The fields of the blank form (`EstimateForm(None).html()`), as the page of every
    anesthesia code shows them: written once per content version `state`, not on each of the
    276 pages (0.18 ms a page)."""
    return BLANK_FIELDS.get(state, None, lambda: EstimateForm(None, figures=figures(state)).html())


@dataclass
class Answer:
    """One payer's answer: an estimate, or why there is none."""

    payer: Payer
    estimate: payment.Estimate | None = None
    problem: str = ""


@dataclass
class Worked:
    """Everything the estimator page shows for a valid case."""

    case: payment.Case
    day: object
    answers: list[Answer]

    @property
    def comparison(self) -> list[tuple[str, str, list]]:
        """(step label, unit, the step of each answer or None) in reading order."""
        labels: list[tuple[str, str]] = []
        for answer in self.answers:
            for step in answer.estimate.steps if answer.estimate else ():
                if (step.label, step.unit) not in labels:
                    labels.append((step.label, step.unit))
        rows = []
        for label, unit in labels:
            steps = []
            for answer in self.answers:
                found = [
                    s
                    for s in (answer.estimate.steps if answer.estimate else ())
                    if s.label == label
                ]
                steps.append(found[0] if found else None)
            rows.append((label, unit, steps))
        return rows

    def step_rows(self) -> list[dict]:
        """Every step of every payer, for the download (raw numbers, text as written)."""
        rows = []
        for answer in self.answers:
            if answer.estimate is None:
                rows.append(
                    {"payer": answer.payer.name, "step": "No estimate", "working": answer.problem}
                )
                continue
            for step in answer.estimate.steps:
                rows.append(
                    {
                        "payer": answer.payer.name,
                        "step": step.label,
                        "value": step.value,
                        "unit": step.unit,
                        "counted": "no" if step.ignored else "yes",
                        "working": step.working,
                        "rule": step.rule,
                        "source": step.source,
                    }
                )
        return rows


def work_out(code: str, base_units: payment.Sourced, form: EstimateForm) -> Worked:
    """The estimate of each payer chosen, from a valid form."""
    data = form.cleaned_data
    status = form.figures.modifiers.get(data["ps"])
    status_units = None
    if status is not None and status.asa_units is not None:
        status_units = payment.Sourced(
            Decimal(status.asa_units),
            status.source,
            f"{status.code}: {status.asa_units} units (ASA convention)",
            status.is_unverified,
        )
    case = payment.Case(
        code=code,
        base_units=base_units,
        minutes=data["minutes"],
        provision=data["provision"],
        physical_status=data["ps"],
        physical_status_units=status_units,
        qualifying=tuple((c, form.qualifying[c].sourced()) for c in data["qc"]),
        present_at_induction=data["induction"],
    )
    payers = [form.payers[slug] for slug in data["payer"]]
    day = data["dos"]
    factors = {payer.pk: form.figures.factor(payer, day, data["qp"]) for payer in payers}
    answers = [_answer(case, payer, factors[payer.pk], day) for payer in payers]
    if not any(answer.estimate for answer in answers):
        if not any(hasattr(payer, "anesthesia_rule") for payer in payers):
            form.add_error("payer", "No payer chosen has anesthesia rules on cptref yet.")
        elif not any(factors.values()):
            shown = dateformat.format(day, "j F Y")
            form.add_error(
                "dos", f"No conversion factor of the payers chosen is in force on {shown}."
            )
    return Worked(case, day, answers)


def _answer(case, payer, factor, day) -> Answer:
    rule = getattr(payer, "anesthesia_rule", None)
    if rule is None:
        return Answer(
            payer,
            problem=f"No anesthesia rules of {payer.name} are recorded on cptref yet: editors "
            "add them in the admin.",
        )
    if factor is None:
        return Answer(
            payer,
            problem=f"No conversion factor of {payer.name} is in force on "
            f"{dateformat.format(day, 'j F Y')}: none is guessed.",
        )
    try:
        return Answer(payer, payment.estimate(case, rule.rules(), factor.sourced()))
    except payment.EstimateError as error:
        return Answer(payer, problem=error.message)
