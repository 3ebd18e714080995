"""What every model of the codes app shares: code shapes and their validators, natural keys,
versions and history, sources, and the rule of what readers may see."""

from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.safestring import SafeString
from simple_history.models import HistoricalRecords

from ..htmltext import escape
from ..locking import Versioned

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
        """Templates print a source as a link to its URL, or as plain text. Escaped as
        format_html would, without its checks for lazy text: a page prints dozens of sources."""
        text = escape(self.label)
        if self.href:
            text = f'<a href="{escape(self.href)}">{text}</a>'
        return SafeString(f"{text} {escape(self.note)}" if self.note else text)


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


# The labels of a field's choices by value, by field (NaturalKeyModel._get_FIELD_display).
_CHOICE_LABELS: dict = {}


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

    def _get_FIELD_display(self, field):  # noqa: N802 (Django's name)
        """Django's get_<field>_display(), from the labels of the field's choices read once:
        Django builds their dictionary again at every call (a tenth of the template time of a
        page that shows two labels)."""
        labels = _CHOICE_LABELS.get(field)
        if labels is None:
            labels = _CHOICE_LABELS[field] = dict(make_hashable(field.flatchoices))
        value = getattr(self, field.attname)
        return force_str(labels.get(make_hashable(value), value), strings_only=True)

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


# What readers may see, said once: a published article. The ORM's conditions (here) and the SQL
# of the hand-written queries (codes/article.py, the search documents) derive from it.
PUBLISHED = "published"


def published(path: str = "") -> Q:
    """Readers may see the article that `path` leads to: "" on CptCode itself, "cpt__" from a
    part of an article, "cpt_links__cpt__" from a record that articles link to."""
    return Q(**{f"{path}status": PUBLISHED})


def published_sql(alias: str) -> str:
    """The same condition in SQL, on the CPT code table aliased `alias`."""
    return f"{alias}.status = '{PUBLISHED}'"
