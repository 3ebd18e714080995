"""Function views: look the record up, build its tables, render."""

from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django_tables2 import RequestConfig

from . import article, tables
from .models import (
    CptCode,
    Icd10Code,
    Modifier,
    Payer,
    PlaceOfService,
    ProviderTaxonomy,
)

PAGE_SIZE = 50


def _get_or_404(queryset, message: str, **lookup):
    try:
        return queryset.get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404(message) from None


def _paginated(request, table):
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    return table


def _cpt_table(request):
    codes = CptCode.objects.select_related("place_of_service")
    return _paginated(request, tables.CptCodeTable(codes, caption="All CPT codes on cptref"))


def home(request):
    return render(request, "codes/home.html", {"table": _cpt_table(request)})


def cpt_list(request):
    return render(
        request,
        "codes/reference_list.html",
        {
            "title": "CPT codes",
            "intro": "Every CPT code with an article on cptref. Select a column heading to sort.",
            "table": _cpt_table(request),
        },
    )


def cpt_detail(request, code):
    if code != code.upper():
        return redirect("codes:cpt-detail", code.upper(), permanent=True)
    try:
        page = article.load(code)
    except CptCode.DoesNotExist:
        raise Http404(f"There is no article for CPT code {code} yet.") from None
    return render(request, "codes/cpt_detail.html", {"article": page})


def _reference_list(request, *, title, intro, table_class, queryset, caption, count="cpt_links"):
    table = table_class(queryset.annotate(cpt_count=Count(count)), caption=caption)
    context = {"title": title, "intro": intro, "table": _paginated(request, table)}
    return render(request, "codes/reference_list.html", context)


def _record_page(request, kind, record, table_class, caption):
    """A record's page, `codes/<kind>_detail.html`, with the CPT codes linked to it."""
    links = record.cpt_links.select_related("cpt").order_by("cpt__code")
    table = table_class(links, caption=caption)
    return render(request, f"codes/{kind}_detail.html", {"record": record, "table": table})


def modifier_list(request):
    return _reference_list(
        request,
        title="Modifiers",
        intro="HCPCS Level II and CPT modifiers used in anesthesia billing.",
        table_class=tables.ModifierTable,
        queryset=Modifier.objects.all(),
        caption="Modifiers",
    )


def modifier_detail(request, code):
    if code != code.upper():
        return redirect("codes:modifier-detail", code.upper(), permanent=True)
    modifier = _get_or_404(Modifier.objects, f"There is no modifier {code} on cptref.", code=code)
    caption = f"CPT codes reported with modifier {modifier.code}"
    return _record_page(request, "modifier", modifier, tables.ModifierCptTable, caption)


def taxonomy_list(request):
    return _reference_list(
        request,
        title="Provider taxonomies",
        intro="NUCC Health Care Provider Taxonomy codes of the providers who bill these services.",
        table_class=tables.TaxonomyTable,
        queryset=ProviderTaxonomy.objects.all(),
        caption="Provider taxonomies",
    )


def taxonomy_detail(request, code):
    if code != code.upper():
        return redirect("codes:taxonomy-detail", code.upper(), permanent=True)
    message = f"There is no provider taxonomy {code} on cptref."
    taxonomy = _get_or_404(ProviderTaxonomy.objects, message, code=code)
    caption = f"CPT codes billed by {taxonomy.code}"
    return _record_page(request, "taxonomy", taxonomy, tables.TaxonomyCptTable, caption)


def icd10_list(request):
    return _reference_list(
        request,
        title="ICD-10-CM diagnoses",
        intro="ICD-10-CM diagnosis codes, with whether each is billable or a header.",
        table_class=tables.Icd10Table,
        queryset=Icd10Code.objects.all(),
        caption="ICD-10-CM codes",
    )


def icd10_detail(request, code):
    canonical = Icd10Code.canonical(code)
    if code != canonical:
        return redirect("codes:icd10-detail", canonical, permanent=True)
    message = f"There is no ICD-10-CM code {code} on cptref."
    icd10 = _get_or_404(Icd10Code.objects, message, code=code)
    caption = f"CPT codes that diagnosis {icd10.code} supports"
    return _record_page(request, "icd10", icd10, tables.DiagnosisCptTable, caption)


def payer_list(request):
    return _reference_list(
        request,
        title="Payers",
        intro="Health plans whose coverage of these codes the articles describe.",
        table_class=tables.PayerTable,
        queryset=Payer.objects.all(),
        caption="Payers",
    )


def payer_detail(request, slug):
    payer = _get_or_404(Payer.objects, f"There is no payer “{slug}” on cptref.", slug=slug)
    caption = f"CPT codes with {payer.name} coverage notes"
    return _record_page(request, "payer", payer, tables.PayerCptTable, caption)


def pos_list(request):
    return _reference_list(
        request,
        title="Places of service",
        intro="CMS place-of-service codes (CMS-1500 item 24B).",
        table_class=tables.PlaceOfServiceTable,
        queryset=PlaceOfService.objects.all(),
        caption="Places of service",
        count="cpt_codes",
    )


def pos_detail(request, code):
    message = f"There is no place of service {code} on cptref."
    place = _get_or_404(PlaceOfService.objects, message, code=code)
    table = tables.PlaceOfServiceCptTable(
        place.cpt_codes.all(), caption=f"CPT codes typically billed at POS {place.code}"
    )
    return render(request, "codes/pos_detail.html", {"record": place, "table": table})


def page_not_found(request, exception):
    """The 404 page: the reason when a view gave one, and the way back to the indexes."""
    message = ""
    if exception is not None and exception.args and isinstance(exception.args[0], str):
        message = exception.args[0]
    return render(request, "404.html", {"message": message}, status=404)
