"""django-filter FilterSets of the index pages. A value that is not valid is ignored and the form
says why; the page still shows (never a 500)."""

import django_filters
from django import forms

from .caching import per_version
from .formhtml import SelectRenderer
from .models import (
    BaseUnit,
    ConversionFactor,
    CptCode,
    Icd10Code,
    Modifier,
    Payer,
    PolicyUpdate,
    ProviderTaxonomy,
)

BILLABLE = [("", "Billable or not"), ("true", "Billable"), ("false", "Header, not billable")]


class FilterForm(forms.Form):
    # The <select>s are written in Python (codes/formhtml.py): one template include per option
    # took 10 ms on the taxonomy index. Only these forms: the admin keeps Django's renderer.
    default_renderer = SelectRenderer()


class FilterSet(django_filters.FilterSet):
    """The FilterSet of an index page; each Meta extends this one."""

    class Meta:
        form = FilterForm


class PublishedSectionFilter(django_filters.ChoiceFilter):
    """The sections of the codes readers can open: published articles (a draft's section is not
    public) and anesthesia codes without an article, in one query."""

    @property
    def field(self):
        articles = CptCode.objects.published().values_list("section").order_by()
        codes = BaseUnit.objects.without_article().values_list("section").order_by()
        sections = sorted({section for (section,) in articles.union(codes)})
        self.extra["choices"] = [(section, section) for section in sections]
        return super().field


ARTICLE = [("", "With or without an article"), ("yes", "With an article"), ("no", "No article yet")]


class CptCodeFilter(FilterSet):
    """The CPT index: published articles and anesthesia codes without one, in one table. Each
    filter applies to both before they are put together (a union cannot be filtered)."""

    section = PublishedSectionFilter(empty_label="Any section")
    service_type = django_filters.ChoiceFilter(
        choices=CptCode.ServiceType.choices, empty_label="Any service type"
    )
    article = django_filters.ChoiceFilter(
        label="Article", choices=ARTICLE[1:], empty_label=ARTICLE[0][1], method="no_filter"
    )

    class Meta(FilterSet.Meta):
        model = CptCode
        fields = ["section", "service_type"]

    def no_filter(self, queryset, name, value):
        return queryset  # applied to the union in filter_queryset

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        articles = super().filter_queryset(queryset).index_rows()
        codes = BaseUnit.objects.index_rows()
        if data.get("section"):
            codes = codes.filter(section=data["section"])
        if data.get("service_type") not in (None, "", CptCode.ServiceType.ANESTHESIOLOGY):
            codes = codes.none()
        wanted = data.get("article")
        if wanted == "yes":
            codes = codes.none()
        elif wanted == "no":
            articles = articles.none()
        # Articles first, then the codes without one; a column heading sorts them all.
        return articles.union(codes, all=True).order_by("-has_article", "code")


class Icd10Filter(FilterSet):
    chapter = django_filters.ModelChoiceFilter(
        queryset=Icd10Code.objects.filter(kind=Icd10Code.Kind.CHAPTER).order_by("position"),
        # By its number (?chapter=13), as readers and the tabular list name chapters.
        to_field_name="code",
        empty_label="Any chapter",
    )
    billable = django_filters.BooleanFilter(widget=forms.Select(choices=BILLABLE))

    class Meta(FilterSet.Meta):
        model = Icd10Code
        fields = ["chapter", "billable"]


class ModifierFilter(FilterSet):
    code_set = django_filters.ChoiceFilter(
        choices=Modifier.CodeSet.choices, empty_label="Any code set"
    )
    kind = django_filters.ChoiceFilter(choices=Modifier.Kind.choices, empty_label="Any kind")

    class Meta(FilterSet.Meta):
        model = Modifier
        fields = ["code_set", "kind"]


class KeptValuesFilter(django_filters.ChoiceFilter):
    """AllValuesFilter's choices (every value of the field in the table, in order), read once per
    content version (codes/caching.py `per_version`) rather than with a SELECT DISTINCT on every
    request. The FilterSet needs the request (`request=request`) to know the version."""

    def __init__(self, model, field_name, **kwargs):
        super().__init__(field_name=field_name, **kwargs)
        values = model._default_manager.distinct().order_by(field_name)
        self.values = per_version(lambda: list(values.values_list(field_name, flat=True)))

    @property
    def field(self):
        request = getattr(self.parent, "request", None)
        state = getattr(request, "content_state", None)
        self.extra["choices"] = [(value, value) for value in self.values(state)]
        return super().field


class TaxonomyFilter(FilterSet):
    grouping = KeptValuesFilter(ProviderTaxonomy, "grouping", empty_label="Any grouping")
    classification = KeptValuesFilter(
        ProviderTaxonomy, "classification", empty_label="Any classification"
    )

    class Meta(FilterSet.Meta):
        model = ProviderTaxonomy
        fields = ["grouping", "classification"]


class PolicyUpdateFilter(FilterSet):
    payer = django_filters.ModelChoiceFilter(
        queryset=Payer.objects.all(), to_field_name="slug", empty_label="Any payer"
    )
    since = django_filters.DateFilter(
        field_name="date",
        lookup_expr="gte",
        label="On or after",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta(FilterSet.Meta):
        model = PolicyUpdate
        fields = ["payer", "since"]


class ConversionFactorFilter(FilterSet):
    payer = django_filters.ModelChoiceFilter(
        queryset=Payer.objects.filter(conversion_factors__isnull=False).distinct(),
        to_field_name="slug",
        empty_label="Any payer",
    )
    on = django_filters.DateFilter(
        label="In force on",
        method="in_force",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta(FilterSet.Meta):
        model = ConversionFactor
        fields = ["payer", "on"]

    def in_force(self, queryset, name, value):
        return queryset.in_force(value)
