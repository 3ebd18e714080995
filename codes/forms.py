"""The base of the site's forms: Django's Form, with each form's copy of the declared fields
made at less cost.

Django deep-copies a form's fields for every form it makes, and a ChoiceField deep-copies its
choices value by value: the taxonomy index's filters copied 276 (value, label) pairs on every
request. The choices are pairs of strings and numbers that no form changes in place (a form that
changes them assigns new ones, as the estimator's does), so each form gets its own list of the
same pairs. Everything else is copied as Django copies it: the widget, the error messages, the
validators."""

import copy
import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.forms.forms import DeclarativeFieldsMetaclass
from django.forms.widgets import ChoiceWidget

from . import pageparts


class Fields(dict):
    """A form class's fields; `copy.deepcopy` of them is what each form gets."""

    def __deepcopy__(self, memo):
        return {name: _copy(field, memo) for name, field in self.items()}


# Fields and widgets that Django copies as below; others (several widgets or fields in one,
# model choices) are deep-copied as Django does.
PLAIN_FIELDS = (forms.Field.__deepcopy__, forms.ChoiceField.__deepcopy__)
PLAIN_WIDGETS = (forms.Widget.__deepcopy__, ChoiceWidget.__deepcopy__)


def _copy(field, memo):
    widget = field.widget
    if (
        type(field).__deepcopy__ not in PLAIN_FIELDS
        or type(widget).__deepcopy__ not in PLAIN_WIDGETS
    ):
        return copy.deepcopy(field, memo)
    # Field.__deepcopy__ and Widget.__deepcopy__, step by step, without copy's machinery.
    result = _clone(field)
    result.widget = _clone(widget)
    result.widget.attrs = widget.attrs.copy()
    result.error_messages = field.error_messages.copy()
    result.validators = field.validators[:]
    # Choices are copied as they are: they were normalised (normalize_choices) when they were
    # set, and setting them again through the property normalised them once more, 60% of the
    # time it took to make the estimator's form.
    if hasattr(widget, "_choices"):
        result.widget._choices = copy.copy(widget._choices)
    if hasattr(field, "_choices"):
        result._choices = choices = copy.copy(field._choices)
        if hasattr(choices, "field"):  # django-filter's ChoiceIterator names its field
            choices.field = result
    return result


class SharedFields(dict):
    """Fields set up once (for a content version, say) and shared by every form made from them,
    which must never change a field: `copy.deepcopy` of them, which Django makes for each form,
    is a plain copy of the dictionary. Django keeps what a form reads and finds (its data, its
    errors, its bound fields) on the form, never on its fields."""

    def __deepcopy__(self, memo):
        return dict(self)


def set_choices(field: forms.ChoiceField, choices: list[tuple[str, str]]) -> None:
    """`field.choices = choices` for pairs of strings, which are already what Django's
    normalize_choices makes of choices: set on the field and its widget without normalising
    them twice (half the time it took to make the estimator's form)."""
    field._choices = field.widget._choices = choices


def _clone(thing):
    """copy.copy of an object that keeps its state in its __dict__."""
    twin = object.__new__(type(thing))
    twin.__dict__.update(thing.__dict__)
    return twin


class FieldsMetaclass(DeclarativeFieldsMetaclass):
    def __new__(mcs, name, bases, attrs):
        new_class = super().__new__(mcs, name, bases, attrs)
        new_class.base_fields = Fields(new_class.base_fields)
        return new_class


class Form(forms.BaseForm, metaclass=FieldsMetaclass):
    """forms.Form, whose fields are copied for each form as above (codes/forms.py), and whose
    label suffix is Django's default without reading the active language for it (asgiref's
    Local, through gettext: a hundredth of the estimator's time)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", ":")
        super().__init__(*args, **kwargs)
        pageparts.made(self)  # released once its page is written

    def release(self):
        """Let go of the bound fields, each of which refers to the form, and of the errors'
        tracebacks (codes/pageparts.py): a ValidationError that a method raised keeps the frames
        it passed through, the request's among them, and is in its own list of errors."""
        self._bound_fields_cache.clear()
        for errors in (self._errors or {}).values():
            for error in errors.data:
                if isinstance(error, ValidationError):
                    error.__traceback__ = None
        self._errors = None


# A date as a date input sends it: four digits, a dash, two, a dash, two.
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class IsoDateField(forms.DateField):
    """Django's DateField, which reads a date as a date input sends it (2026-03-02) without
    trying each of the locale's input formats through strptime: the first of them is that one,
    and reading it took a tenth of the estimator's validation. Any other text is read as Django
    reads it, with the same errors."""

    def to_python(self, value):
        if isinstance(value, str) and ISO_DATE.fullmatch(value.strip()):
            try:
                return datetime.date.fromisoformat(value.strip())
            except ValueError:
                pass  # 2026-02-30: Django says what is wrong
        return super().to_python(value)
