"""django-filter FilterSets of the index pages. A value that is not valid is ignored and the form
says why; the page still shows (never a 500)."""

import django_filters
from django import forms

from .models import CptCode, Icd10Code, Modifier, Payer, PolicyUpdate, ProviderTaxonomy

BILLABLE = [("", "Billable or not"), ("true", "Billable"), ("false", "Header, not billable")]


class PublishedSectionFilter(django_filters.ChoiceFilter):
    """The sections of published articles only: a draft's section is not public."""

    @property
    def field(self):
        rows = CptCode.objects.published().order_by(self.field_name).distinct()
        self.extra["choices"] = [(v, v) for v in rows.values_list(self.field_name, flat=True)]
        return super().field


class CptCodeFilter(django_filters.FilterSet):
    section = PublishedSectionFilter(empty_label="Any section")
    service_type = django_filters.ChoiceFilter(
        choices=CptCode.ServiceType.choices, empty_label="Any service type"
    )

    class Meta:
        model = CptCode
        fields = ["section", "service_type"]


class Icd10Filter(django_filters.FilterSet):
    chapter = django_filters.ModelChoiceFilter(
        queryset=Icd10Code.objects.filter(kind=Icd10Code.Kind.CHAPTER).order_by("position"),
        empty_label="Any chapter",
    )
    billable = django_filters.BooleanFilter(widget=forms.Select(choices=BILLABLE))

    class Meta:
        model = Icd10Code
        fields = ["chapter", "billable"]


class ModifierFilter(django_filters.FilterSet):
    code_set = django_filters.ChoiceFilter(
        choices=Modifier.CodeSet.choices, empty_label="Any code set"
    )
    kind = django_filters.ChoiceFilter(choices=Modifier.Kind.choices, empty_label="Any kind")

    class Meta:
        model = Modifier
        fields = ["code_set", "kind"]


class TaxonomyFilter(django_filters.FilterSet):
    grouping = django_filters.AllValuesFilter(empty_label="Any grouping")
    classification = django_filters.AllValuesFilter(empty_label="Any classification")

    class Meta:
        model = ProviderTaxonomy
        fields = ["grouping", "classification"]


class PolicyUpdateFilter(django_filters.FilterSet):
    payer = django_filters.ModelChoiceFilter(
        queryset=Payer.objects.all(), to_field_name="slug", empty_label="Any payer"
    )
    since = django_filters.DateFilter(
        field_name="date",
        lookup_expr="gte",
        label="On or after",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = PolicyUpdate
        fields = ["payer", "since"]
