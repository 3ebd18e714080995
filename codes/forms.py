"""The base of the site's forms: Django's Form, with each form's copy of the declared fields
made at less cost.

Django deep-copies a form's fields for every form it makes, and a ChoiceField deep-copies its
choices value by value: the taxonomy index's filters copied 276 (value, label) pairs on every
request. The choices are pairs of strings and numbers that no form changes in place (a form that
changes them assigns new ones, as the estimator's does), so each form gets its own list of the
same pairs. Everything else is copied as Django copies it: the widget, the error messages, the
validators."""

import copy

from django import forms
from django.forms.forms import DeclarativeFieldsMetaclass


class Fields(dict):
    """A form class's fields; `copy.deepcopy` of them is what each form gets."""

    def __deepcopy__(self, memo):
        return {name: _copy(field, memo) for name, field in self.items()}


def _copy(field, memo):
    if type(field).__deepcopy__ is not forms.ChoiceField.__deepcopy__:
        return copy.deepcopy(field, memo)
    result = forms.Field.__deepcopy__(field, memo)
    result._choices = choices = copy.copy(field._choices)
    if hasattr(choices, "field"):  # django-filter's ChoiceIterator adds its field's empty label
        choices.field = result
    return result


class FieldsMetaclass(DeclarativeFieldsMetaclass):
    def __new__(mcs, name, bases, attrs):
        new_class = super().__new__(mcs, name, bases, attrs)
        new_class.base_fields = Fields(new_class.base_fields)
        return new_class


class Form(forms.BaseForm, metaclass=FieldsMetaclass):
    """forms.Form, whose fields are copied for each form as above (codes/forms.py)."""
