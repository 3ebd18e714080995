"""Each form has its own copy of its fields (codes/forms.py), made at less cost than Django's:
what one form changes reaches no other form and not its class. (The estimator's forms share
the fields set up for a content version, which they never change: tests/test_estimator.py.)"""

import pytest
from django import forms
from django.test import RequestFactory

from codes import filters
from codes.forms import Form
from codes.models import Icd10Code

pytestmark = pytest.mark.django_db


class StatusForm(Form):
    ps = forms.ChoiceField(
        choices=[("P1", "P1"), ("P3", "P3")], error_messages={"invalid_choice": "Not a status."}
    )


def test_a_forms_choices_are_its_own():
    first, second = StatusForm(None), StatusForm(None)
    first.fields["ps"].choices = [("P9", "P9")]
    first.fields["ps"].error_messages["invalid_choice"] = "changed"
    first.fields["ps"].widget.attrs["class"] = "changed"
    assert list(first.fields["ps"].choices) == [("P9", "P9")]
    for fields in (second.fields, StatusForm.base_fields):
        assert ("P3", "P3") in list(fields["ps"].choices)
        assert fields["ps"].error_messages["invalid_choice"] != "changed"
        assert "class" not in fields["ps"].widget.attrs
    assert first.fields["ps"].validators is not second.fields["ps"].validators


def test_a_filter_forms_empty_label_is_its_own_fields(content):
    """django-filter's choices read the empty label from their field: the copy's."""
    Icd10Code.objects.create(code="13", kind=Icd10Code.Kind.CHAPTER, description="Musculo")
    request = RequestFactory().get("/icd10/codes/")
    request.content_state = None
    first = filters.Icd10Filter({}, request=request).form
    second = filters.Icd10Filter({}, request=request).form
    first.fields["chapter"].empty_label = "Every chapter"
    assert list(first.fields["chapter"].choices)[0] == ("", "Every chapter")
    assert list(second.fields["chapter"].choices)[0] == ("", "Any chapter")
    assert ("13", "13 Musculo") in list(second.fields["chapter"].choices)


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-02",
        " 2026-03-02 ",
        "2024-02-29",
        "2026-02-30",
        "2026-3-2",
        "03/02/2026",
        "20260302",
        "2026-W10-1",
        "2026-03-02T10:00",
        "",
        "not a date",
        "0000-01-01",
    ],
)
def test_a_date_is_read_as_djangos_date_field_reads_it(text):
    """codes/forms.py IsoDateField reads a date input's form itself and leaves the rest to
    Django: the same date, or the same error, as forms.DateField."""
    from django import forms as django_forms
    from django.core.exceptions import ValidationError

    from codes.forms import IsoDateField

    def read(field):
        try:
            return field.clean(text)
        except ValidationError as error:
            return error.messages

    assert read(IsoDateField(required=False)) == read(django_forms.DateField(required=False))


def test_the_sites_forms_take_djangos_label_suffix_without_reading_the_language(
    content, monkeypatch
):
    """Django's forms ask gettext for their label suffix, each time (the active language is read
    through asgiref's Local); the site's forms, all in English, take Django's default as it is."""
    from django.forms import forms as django_forms

    from codes import estimator

    asked = []
    monkeypatch.setattr(django_forms, "_", lambda text: asked.append(text) or text)
    assert forms.Form().label_suffix == ":" and asked == [":"]  # Django's way asks
    asked.clear()
    request = RequestFactory().get("/icd10/codes/")
    request.content_state = None
    made = [
        StatusForm(None),
        estimator.EstimateForm({"minutes": "60"}, figures=estimator.figures(None)),
        filters.Icd10Filter({}, request=request).form,
    ]
    assert [form.label_suffix for form in made] == [":"] * 3
    assert [str(form["minutes"].label_tag()) for form in made[1:2]] == [
        '<label for="id_minutes">Anesthesia time, in minutes:</label>'
    ]
    assert asked == []
