"""Forms' fields as HTML, written by hand: Django's widget templates took most of the estimator
page's time (bench/README.md). Each field comes with its label, help and error, tied to the
input by aria-describedby; every value is escaped.

`Select` does the same for the <select>s of the indexes' filter forms (codes/filters.py), in the
very markup of Django's widget templates."""

import copy
import re

from django import forms
from django.template import Context
from django.template.base import render_value_in_context
from django.utils.safestring import SafeData, SafeString

from .htmltext import escape

# Control characters are never written back into the page (tab and newline are kept).
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def shown(value, limit: int | None) -> str:
    """A typed value as written back into its field: without control characters, cut at the
    field's length (a longer value has its error message), escaped."""
    text = CONTROLS.sub("", "" if value is None else str(value))
    return escape(text[:limit] if limit else text)


class FieldsHtml:
    """A mixin of forms.Form: `form.html()` gives each field's HTML by name.

    `INPUTS` names the fields written as <input>: (type, extra attributes); `TEXTAREAS` those
    written as <textarea>: extra attributes. Other fields are checkboxes, a group of checkboxes
    (MultipleChoiceField) or a <select>."""

    INPUTS: dict[str, tuple[str, str]] = {}
    TEXTAREAS: dict[str, str] = {}

    def html(self) -> dict[str, SafeString]:
        return {name: SafeString(self._field_html(name)) for name in self.fields}

    def _field_html(self, name: str) -> str:
        bound = self[name]
        ident, value = bound.auto_id, bound.value()
        limit = getattr(bound.field, "max_length", None)
        # The field's errors, read from the form: bound.errors makes an empty list for each field
        # without any (2 µs, ten times a form).
        errors = " ".join(self.errors.get(name, ())) if self.is_bound else ""
        notes = f'<span class="help" id="{ident}_helptext">{escape(bound.help_text)}</span>'
        notes = notes if bound.help_text else ""
        if errors:
            notes += f'<span class="error" id="{ident}_error">{escape(errors)}</span>'
        described = " ".join(
            [f"{ident}_helptext"] * bool(bound.help_text) + [f"{ident}_error"] * bool(errors)
        )
        aria = f' aria-describedby="{described}"' * bool(described)
        aria += ' aria-invalid="true"' * bool(errors)
        invalid = " invalid" * bool(errors)
        label = f'<label for="{ident}">{escape(bound.label)}</label>'
        if name in self.INPUTS:
            kind, extra = self.INPUTS[name]
            typed = "" if value in (None, "") else f' value="{shown(value, limit)}"'
            field = f'<input type="{kind}" name="{name}" id="{ident}"{aria}{typed}{extra}>'
            return f'<p class="field{invalid}">{label} {field} {notes}</p>'
        if name in self.TEXTAREAS:
            text = shown(value, limit)
            extra = self.TEXTAREAS[name]
            field = f'<textarea name="{name}" id="{ident}"{aria}{extra}>\n{text}</textarea>'
            return f'<p class="field wide{invalid}">{label} {field} {notes}</p>'
        if isinstance(bound.field, forms.BooleanField):
            checked = " checked" * bool(value)
            field = f'<input type="checkbox" name="{name}" id="{ident}"{aria}{checked}>'
            return f'<p class="field option-line{invalid}">{field} {label} {notes}</p>'
        choices = bound.field.choices
        if isinstance(bound.field, forms.MultipleChoiceField):
            chosen = set(value or ())
            aria = f' aria-describedby="{ident}_error" aria-invalid="true"' * bool(errors)
            boxes = "".join(
                f'<label class="option" for="{ident}_{n}"><input type="checkbox" name="{name}" '
                f'value="{escape(str(v))}" id="{ident}_{n}"{aria}{" checked" * (v in chosen)}> '
                f"{escape(str(text))}</label>\n"
                for n, (v, text) in enumerate(choices)
            )
            aria = f' aria-describedby="{ident}_error"' * bool(errors)
            return (
                f'<fieldset class="field choices{invalid}"{aria}><legend>{escape(bound.label)}'
                f"</legend>\n{boxes}{notes}</fieldset>"
            )
        options = "".join(
            f'<option value="{escape(str(v))}"{" selected" * (v == (value or ""))}>'
            f"{escape(str(text))}</option>"
            for v, text in choices
        )
        field = f'<select name="{name}" id="{ident}"{aria}>{options}</select>'
        return f'<p class="field{invalid}">{label} {field} {notes}</p>'


TEMPLATE = Context()  # how a template writes {{ value }}: localised, escaped unless safe


class Select(forms.Select):
    """Django's <select>, written here from its choices, byte for byte as Django's templates
    (select.html, select_option.html) write it: tests/test_table_html.py compares them. Those
    include a template per <option> (8 ms for the taxonomy index's two filters, 276 options),
    and `optgroups` builds a dictionary per option first (1 ms more). Choices in groups are left
    to Django.

    Choices read once per content version (codes/filters.py KeptChoicesFilter) or declared once
    (a model's TextChoices) are the same list on every request: their <option>s are written once
    for that list (`Options`), and each request only marks the one it selects (0.6 ms of the
    taxonomy index's 2.7)."""

    def render(self, name, value, attrs=None, renderer=None):
        options = Options.of(self.choices)
        if options.grouped:
            return super().render(name, value, attrs, renderer)
        attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            attrs["multiple"] = True
        values = self.format_value(value)
        body = options.html(values, self.allow_multiple_selected)
        return SafeString(f'<select name="{_text(name)}"{_attrs(attrs)}>{body}\n</select>')

    @classmethod
    def like(cls, widget: forms.Select) -> "Select":
        """A copy of Django's `widget` (its attributes, choices and state) that writes itself
        here: this class adds a way of writing and nothing else."""
        widget = copy.copy(widget)
        widget.__class__ = cls
        return widget


class FilterField(forms.BoundField):
    """A field of an index's filter form, as Django writes it, its widget's attributes worked out
    only when there are any to add: the field required or disabled, an error or a help text for
    aria-describedby. Django works them out for every field of every index page, 11 µs each,
    most of it asking the <select> whether its first choice allows `required` (though the field
    is not required) and making an empty list of the field's errors."""

    def build_widget_attrs(self, attrs, widget=None):
        field = self.field
        if field.required or field.disabled or self.help_text or self.form.errors.get(self.name):
            return super().build_widget_attrs(attrs, widget)
        return dict(attrs)


class Options:
    """A <select>'s <option>s, each written unselected and selected, and where each value
    appears. `Options.of(choices)` keeps them for choices that are the same list from request to
    request: django-filter's ChoiceIterator over a list, keyed by that list (and the empty and
    null choices it adds)."""

    KEPT: dict = {}  # key -> (the list, Options); bounded: a list of each version
    LIMIT = 256

    def __init__(self, choices):
        pairs = [("" if value is None else value, label) for value, label in choices]
        self.grouped = any(isinstance(label, (list, tuple)) for _, label in pairs)
        self.plain, self.selected, self.at = [], [], {}
        if self.grouped:
            return
        for at, (option, label) in enumerate(pairs):
            start, end = f'\n  <option value="{_formatted(option)}"', f">{_text(label)}</option>\n"
            self.plain.append(start + end)
            self.selected.append(f"{start} selected{end}")
            self.at.setdefault(str(option), []).append(at)

    @classmethod
    def of(cls, choices) -> "Options":
        source = getattr(choices, "choices", None)  # django-filter's ChoiceIterator
        if not isinstance(source, list):
            return cls(choices)
        field = choices.field
        key = (id(source), field.empty_label, field.null_label, field.null_value)
        kept = cls.KEPT.get(key)
        if kept is not None and kept[0] is source:
            return kept[1]
        if len(cls.KEPT) >= cls.LIMIT:
            cls.KEPT.clear()
        options = cls(choices)
        cls.KEPT[key] = (source, options)  # the list is held, so its id is not reused
        return options

    def html(self, values: list[str], multiple: bool) -> str:
        """The options with those of `values` selected: each of them if `multiple`, else the
        first in the list whose value is one of them (as Django's templates do)."""
        chosen = sorted({at for value in set(values) for at in self.at.get(value, ())})
        if not multiple:
            chosen = chosen[:1]
        html, start = [], 0
        for at in chosen:
            html.extend(self.plain[start:at])
            html.append(self.selected[at])
            start = at + 1
        html.extend(self.plain[start:])
        return "".join(html)


def _text(value) -> str:
    """`{{ value }}` in a template."""
    if type(value) is str:
        return escape(value)
    return render_value_in_context(value, TEMPLATE)


def _formatted(value) -> str:
    """`{{ value|stringformat:'s' }}` in a template."""
    shown = "%s" % (str(value) if isinstance(value, tuple) else value)
    return shown if isinstance(value, SafeData) else escape(shown)


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html"""
    return "".join(
        f" {_text(name)}" if value is True else f' {_text(name)}="{_formatted(value)}"'
        for name, value in attrs.items()
        if value is not False
    )
