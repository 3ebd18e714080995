"""django-filter FilterSets of the index pages. A value that is not valid is ignored and the form
says why; the page still shows (never a 500)."""

import copy

import django_filters
from django import forms
from django.db.models import Subquery
from django_filters.filters import FilterMethod

from . import pageparts
from .caching import per_version
from .formhtml import FilterField, Select
from .forms import Form, SharedFields
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


class FilterForm(Form):
    """The <select>s are written in Python (codes/formhtml.py Select): one template include per
    option took 10 ms on the taxonomy index. Only these forms: the admin keeps Django's.

    A FilterSet's form class, made once per content version, has its fields set up once and
    shared by its forms (`shared`), which never change them. Its fields' widgets get their
    attributes only when there are any to add (codes/formhtml.py FilterField)."""

    bound_field_class = FilterField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # fields not shared (`shared`) are the form's own
            if type(field.widget) is forms.Select:
                field.widget = Select.like(field.widget)

    @classmethod
    def shared(cls) -> None:
        """Set up the class's fields once (their <select>s written in Python) and share them
        among its forms (codes/forms.py SharedFields): Django deep-copied them for each form,
        a twentieth of the taxonomy index's time, their choices included."""
        fields = {}
        for name, field in cls.base_fields.items():
            if type(field.widget) is forms.Select:
                field = copy.copy(field)
                field.widget = Select.like(field.widget)
            fields[name] = field
        cls.base_fields = SharedFields(fields)


class Filters(dict):
    """A FilterSet class's filters. django-filter deep-copies them for each FilterSet, so that
    each has its own (it sets their `parent`); a copy of each filter and of its options does as
    much at a fraction of the cost (0.1 ms a request on the CPT index): the options are passed
    to the form field, which copies what it keeps (its widget, its choices)."""

    def __deepcopy__(self, memo):
        return {name: _copy_filter(one, memo) for name, one in self.items()}


def _copy_filter(one, memo):
    if hasattr(type(one), "__deepcopy__"):  # a filter that says how it is copied
        return copy.deepcopy(one, memo)
    twin = copy.copy(one)
    twin.extra = one.extra.copy()
    twin.__dict__.pop("_field", None)  # each FilterSet's filter makes its own form field
    if one.method is not None:
        twin.method = one.method  # its FilterMethod, bound to the copy (and its parent)
    return twin


class FilterSetMetaclass(django_filters.filterset.FilterSetMetaclass):
    def __new__(mcs, name, bases, attrs):
        new_class = super().__new__(mcs, name, bases, attrs)
        new_class.base_filters = Filters(new_class.base_filters)
        return new_class


# Form classes of the FilterSets, by FilterSet class and content version (`get_form_class`).
FORM_CLASSES: dict = {}


class FilterSet(django_filters.FilterSet, metaclass=FilterSetMetaclass):
    """The FilterSet of an index page; each Meta extends this one."""

    class Meta:
        form = FilterForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        pageparts.made(self)  # released once its page is written

    def release(self):
        """Take back what refers to the filter set from its filters (codes/pageparts.py): each
        filter's `parent`, and the FilterMethod that calls its method, which refers to the
        filter."""
        for one in self.filters.values():
            one.__dict__.pop("parent", None)
            if isinstance(one.__dict__.get("filter"), FilterMethod):
                del one.filter

    def get_form_class(self):
        """The form class of the filters, made once per content version: django-filter makes a
        class with a field per filter for every request (60 µs), though the fields depend only
        on the filters and on the choices read for the version (KeptChoicesFilter)."""
        state = getattr(self.request, "content_state", None)
        if state is None:
            return super().get_form_class()
        key = (type(self), state)
        form_class = FORM_CLASSES.get(key)
        if form_class is None:
            if len(FORM_CLASSES) >= 64:
                FORM_CLASSES.clear()
            form_class = FORM_CLASSES[key] = super().get_form_class()
            form_class.shared()
        return form_class


class KeptChoicesFilter(django_filters.ChoiceFilter):
    """A ChoiceFilter whose choices come from the content: `read()` gives them as (value, label)
    pairs, read once per content version (codes/caching.py `per_version`) rather than on every
    request. The FilterSet needs the request (`request=request`) to know the version."""

    def __init__(self, read, **kwargs):
        super().__init__(**kwargs)
        self.read = per_version(read)

    @property
    def field(self):
        request = getattr(self.parent, "request", None)
        self.extra["choices"] = self.read(getattr(request, "content_state", None))
        return super().field


def kept_values(model, field_name: str):
    """AllValuesFilter's choices: every value of the field in the table, in order."""
    values = model._default_manager.distinct().order_by(field_name)
    return lambda: [(value, value) for value in values.values_list(field_name, flat=True)]


def published_sections():
    """The sections of the codes readers can open: published articles (a draft's section is
    not public) and anesthesia codes without an article, in one query."""
    articles = CptCode.objects.published().values_list("section").order_by()
    codes = BaseUnit.objects.without_article().values_list("section").order_by()
    return [(section, section) for section in sorted({s for (s,) in articles.union(codes)})]


def chapters():
    """ICD-10-CM's chapters in their order, by number (?chapter=13, as readers and the tabular
    list name them)."""
    rows = Icd10Code.objects.filter(kind=Icd10Code.Kind.CHAPTER).order_by("position")
    return [(chapter.code, str(chapter)) for chapter in rows.only("code", "description")]


def payers(**having):
    """Payers by slug (?payer=medicare), those with `having` if given."""
    rows = Payer.objects.filter(**having).distinct()
    return lambda: [(payer.slug, str(payer)) for payer in rows.all()]


ARTICLE = [("", "With or without an article"), ("yes", "With an article"), ("no", "No article yet")]


class CptCodeFilter(FilterSet):
    """The CPT index: published articles and anesthesia codes without one, in one table. Each
    filter applies to both before they are put together (a union cannot be filtered)."""

    section = KeptChoicesFilter(published_sections, empty_label="Any section")
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
    chapter = KeptChoicesFilter(
        chapters, label="Chapter", empty_label="Any chapter", method="in_chapter"
    )
    billable = django_filters.BooleanFilter(
        widget=forms.Select(choices=BILLABLE), method="billable_or_not"
    )

    class Meta(FilterSet.Meta):
        model = Icd10Code
        fields = ["chapter", "billable"]

    def in_chapter(self, queryset, name, value):
        """The chapter's id by a subquery, not a join: the database then reads the chapter's
        rows in the order asked from an index (codes_icd10_chapter_code, _desc), rather than
        every row of the chapter, sorted (0.1 ms against 3 ms)."""
        chapter = Icd10Code.objects.filter(kind=Icd10Code.Kind.CHAPTER, code=value)
        return queryset.filter(chapter_id=Subquery(chapter.values("id")))

    def billable_or_not(self, queryset, name, value):
        """`billable IN (true)` where `billable=True` is written as the bare column on SQLite
        (`NOT billable` for False), which its planner cannot match to an index's column: the
        rows of one kind then come in order from codes_icd10_billable_chapter
        (?billable=true&sort=chapter, page 1,000: 14-29 ms before)."""
        return queryset.filter(billable__in=[value])


class ModifierFilter(FilterSet):
    code_set = django_filters.ChoiceFilter(
        choices=Modifier.CodeSet.choices, empty_label="Any code set"
    )
    kind = django_filters.ChoiceFilter(choices=Modifier.Kind.choices, empty_label="Any kind")

    class Meta(FilterSet.Meta):
        model = Modifier
        fields = ["code_set", "kind"]


class TaxonomyFilter(FilterSet):
    grouping = KeptChoicesFilter(
        kept_values(ProviderTaxonomy, "grouping"), field_name="grouping", empty_label="Any grouping"
    )
    classification = KeptChoicesFilter(
        kept_values(ProviderTaxonomy, "classification"),
        field_name="classification",
        empty_label="Any classification",
    )

    class Meta(FilterSet.Meta):
        model = ProviderTaxonomy
        fields = ["grouping", "classification"]


class PolicyUpdateFilter(FilterSet):
    payer = KeptChoicesFilter(
        payers(), field_name="payer__slug", label="Payer", empty_label="Any payer"
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
    payer = KeptChoicesFilter(
        payers(conversion_factors__isnull=False),
        field_name="payer__slug",
        label="Payer",
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
