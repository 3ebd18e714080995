"""codes/numbers.py for the templates in Django's language (the tables' template,
templates/django/_table.html): `{% load numbers %}`, then `{{ count|number }}`."""

from django import template

from .. import numbers

register = template.Library()
register.filter("number", numbers.number)
