"""Function views: look the record up, build its tables, render."""

from functools import cache
from urllib.parse import parse_qsl, urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django_tables2 import RequestConfig

from . import (
    article,
    claimcheck,
    claims,
    estimator,
    exports,
    kinds,
    paging,
    reads,
    statements,
    tables,
)
from . import lookup as code_list
from .caching import PerVersion, cached_page, per_version
from .models import (
    CodeSetRelease,
    CptCode,
    Icd10Code,
    Modifier,
    Payer,
    PlaceOfService,
    ProviderTaxonomy,
)
from .paths import canonical_address
from .search import query as search

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500  # ?per_page= may ask for more rows per page, up to this


class CountedPaginator(Paginator):
    """A paginator told how many rows there are (`count`), rather than counting them."""

    def __init__(self, object_list, per_page, *, count: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.count = count


# The number of rows of an index with the filters it was given, by kind and filters.
ROW_COUNTS = PerVersion(size=512)
# The SQL of a page of an index, by kind, filters, sort and page.
KEPT_PAGES = statements.KeptRows()


def _paginated(request, table, count_key=None):
    """Sort from ?sort=, paginate from ?page= and ?per_page=. A page out of range or not a
    number shows the nearest page; a page size out of 1..MAX_PAGE_SIZE the default. With
    `count_key`, the number of rows is read once per content version for that key (the rows'
    filters): other pages and sort orders of the same rows do not count them again."""
    RequestConfig(request, paginate=False).configure(table)
    per_page = request.GET.get(table.prefixed_per_page_field, "")
    per_page = int(per_page) if per_page.isdigit() else PAGE_SIZE
    per_page = per_page if 0 < per_page <= MAX_PAGE_SIZE else PAGE_SIZE
    if count_key is None:
        table.paginate(per_page=per_page)
    else:
        count = ROW_COUNTS.get(request.content_state, count_key, table.data.data.count)
        table.paginate(paginator_class=CountedPaginator, per_page=per_page, count=count)
    table.page = table.paginator.get_page(request.GET.get(table.prefixed_page_field))
    return table


def _read_page(table, rows_key, state):
    """Read the rows of the table's page by SQL compiled once per process for these rows
    (`rows_key`: the kind and the filters), sort and page: Django took longer to compile it
    than the database to run it (0.13-0.29 ms of an index page). A page deep in a long index is
    read from a bookmark kept under the content version `state` (codes/paging.py)."""
    rows = table.page.object_list
    # The order the queryset was given decides the SQL (a table's order_<column> may choose it).
    order = tuple(str(term) for term in rows.data.query.order_by)
    queryset, key = paging.page_rows(rows.data, (rows_key, order), state)
    rows.data = KEPT_PAGES.rows(queryset, key)


@per_version
def _releases() -> dict[str, CodeSetRelease]:
    return {release.code_set: release for release in CodeSetRelease.objects.all()}


def _release(request, code_set: str) -> CodeSetRelease | None:
    """The release of a code set that the site holds (read once per content version)."""
    return _releases(request.content_state).get(code_set) if code_set else None


def _export_links(request):
    """The current page's filters and sort, as CSV and XLSX downloads of every matching row."""
    query = parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True)
    kept = urlencode([(name, value) for name, value in query if name not in ("page", "_export")])
    kept = f"{kept}&" if kept else ""  # encoded once for every format
    return [
        (label, f"?{kept}{urlencode({'_export': fmt})}") for fmt, label in exports.FORMATS.items()
    ]


def _build(model, name: str, fields: tuple[str, ...]):
    rows = getattr(model.objects, name)()
    return rows.only(*fields) if fields else rows


_built = cache(_build)


def _rows(model, name: str, fields: tuple[str, ...] = ()):
    """`model.objects.<name>()`, the rows of an index or of the home page before their filters,
    sort and page, with only `fields` if given: built once per process, and each request
    filters and sorts a copy. Building them again resolved their count annotation on every
    request, a tenth of the modifiers' page. Rows with a Prefetch are built afresh: Django gives
    a Prefetch's queryset hints from the rows of each request."""
    rows = _built(model, name, fields)
    if rows._prefetch_related_lookups:
        return _build(model, name, fields)
    return rows.all()


# An index's rows filtered, by kind and filters (the filters' cleaned values).
_FILTERED: dict = {}


def _filtered(kind: str, filters: tuple, filterset):
    """`filterset.qs`, built once per process for these filters (as `_rows`) and copied for
    each request: the CPT index's union of articles and codes took 0.5 ms to build. Rows with
    a Prefetch are built afresh, as in `_rows`."""
    key = (kind, filters)
    rows = _FILTERED.get(key)
    if rows is None:
        rows = filterset.qs
        if rows._prefetch_related_lookups:
            return rows
        if len(_FILTERED) >= 512:
            _FILTERED.clear()
        _FILTERED[key] = rows
    return rows.all()


@cached_page
def index(request, kind):
    """The index of a kind of content (codes/kinds.py): its rows in a sortable, paginated table,
    its filters, and the download of every row the filters keep, as CSV or XLSX."""
    listing = kinds.get(kind).listing
    rows = _rows(kinds.get(kind).model, "listed", listing.fields)
    filterset, filters = None, ()
    if listing.filterset:
        filterset = listing.filterset_class()(request.GET, queryset=rows, request=request)
        filterset.is_valid()  # a value that is not valid is left out of the filters
        filters = tuple(sorted((k, str(v)) for k, v in filterset.form.cleaned_data.items()))
        rows = _filtered(kind, filters, filterset)
    table = listing.table_class()(rows, caption=listing.caption)
    table = _paginated(request, table, count_key=(kind, filters))
    release = _release(request, listing.release)
    export_format = request.GET.get("_export")
    if exports.is_format(export_format):
        return exports.response(
            table,
            export_format,
            f"{listing.export_name}-{release.file_label}" if release else listing.export_name,
            listing.title,
            rows=table.paginator.count,
            state=request.content_state,
            key=request.get_full_path(),
        )
    _read_page(table, (kind, filters), request.content_state)
    context = {
        "title": listing.title,
        "intro": listing.intro,
        "table": table,
        "filter": filterset,
        "export_links": _export_links(request),
        "release": release,
    }
    return render(request, "codes/reference_list.html", context)


@cached_page
def home(request):
    table = tables.CptCodeTable(_rows(CptCode, "index_rows"), caption="CPT codes on cptref")
    table = _paginated(request, table, count_key=("home",))  # counted once per version
    _read_page(table, ("home",), request.content_state)
    return render(request, "codes/home.html", {"table": table})


@canonical_address
@cached_page
def cpt_detail(request, code):
    """The article of a code; for an anesthesia code without one, the page of its base units,
    its section and the estimator."""
    try:
        page = article.load(code)
    except CptCode.DoesNotExist:
        return anesthesia_code(request, code)
    return render(request, "codes/cpt_detail.html", {"article": page})


def anesthesia_code(request, code):
    message = f"There is no article for CPT code {code} yet."
    base = reads.one_or_404(reads.BASE_UNIT, message, value=code)
    context = {
        "record": base,
        "code": code,
        "fields": estimator.blank_fields(request.content_state),
        "neighbours": base.neighbours(),
        "named_by": reads.NAMED_BY(code=code),
    }
    return render(request, "codes/anesthesia_code.html", context)


@canonical_address
@cached_page
def estimate(request, code):
    """`/codes/<code>/estimate/?minutes=…&modifiers=…&payer=…&dos=…`: what the case pays, payer
    by payer, with every step; `_export=csv|xlsx` downloads the steps."""
    figures = estimator.figures(request.content_state)
    base = figures.base_units.get(code)
    if base is None:
        raise Http404(f"There are no base units for CPT code {code} on cptref, so no estimate.")
    data = request.GET if set(request.GET) - {"_export"} else None
    if data is not None and not data.get("dos"):
        # A link to an estimate names its date of service, so that it gives the same answer
        # tomorrow: an empty date is today's, written into the address.
        query = request.GET.copy()
        query["dos"] = timezone.localdate().isoformat()
        return redirect(f"{request.path}?{query.urlencode()}")
    form = estimator.EstimateForm(data, figures=figures)
    worked = None
    if form.is_bound and form.is_valid():
        worked = estimator.work_out(code, base.sourced(), form)
    export_format = request.GET.get("_export")
    if worked is not None and exports.is_format(export_format):
        table = tables.EstimateStepTable(worked.step_rows())
        title = f"Estimate for {code}"
        rows = len(table.rows)
        return exports.response(table, export_format, f"estimate-{code}", title, rows=rows)
    context = {
        "code": code,
        "base_units": base,
        "form": form,
        "fields": form.html(),
        "worked": worked,
        "export_links": _export_links(request),
    }
    return render(request, "codes/estimate.html", context)


@canonical_address
@never_cache
def cpt_preview(request, code):
    """An editor's preview of an article in any status, marked as such, never cached or indexed.
    Readers without the right to view articles in the admin get the 404 page: a draft's
    existence is not public."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not request.user.has_perm("codes.view_cptcode"):
        raise Http404(f"There is no article for CPT code {code} yet.")
    try:
        page = article.load(code, published_only=False)
    except CptCode.DoesNotExist:
        raise Http404(f"There is no article for CPT code {code} yet.") from None
    context = {
        "article": page,
        "preview": True,
        "admin_url": reverse("admin:codes_cptcode_change", args=[page.cpt.pk]),
    }
    response = render(request, "codes/cpt_detail.html", context)
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _record_page(request, kind, record, table_class, caption, extra=None):
    """A record's page, `codes/<kind>_detail.html`, with the CPT codes linked to it."""
    table = table_class(reads.cpt_links(record), caption=caption)
    context = {"record": record, "table": table, **(extra or {})}
    return render(request, f"codes/{kind}_detail.html", context)


@canonical_address
@cached_page
def modifier_detail(request, code):
    modifier = reads.one_or_404(Modifier, f"There is no modifier {code} on cptref.", value=code)
    caption = f"CPT codes reported with modifier {modifier.code}"
    return _record_page(request, "modifier", modifier, tables.ModifierCptTable, caption)


@canonical_address
@cached_page
def taxonomy_detail(request, code):
    message = f"There is no provider taxonomy {code} on cptref."
    taxonomy = reads.one_or_404(ProviderTaxonomy, message, value=code)
    caption = f"CPT codes billed by {taxonomy.code}"
    return _record_page(request, "taxonomy", taxonomy, tables.TaxonomyCptTable, caption)


@cached_page
def icd10_chapters(request):
    chapters = Icd10Code.objects.filter(kind=Icd10Code.Kind.CHAPTER).order_by("position")
    chapters = chapters.only("code", "description", "kind", "billable")  # not their notes
    table = tables.Icd10ChildTable(chapters, caption="Chapters of ICD-10-CM", orderable=False)
    context = {"table": table, "release": _release(request, CodeSetRelease.CodeSet.ICD10CM)}
    return render(request, "codes/icd10_chapters.html", context)


@canonical_address
@cached_page
def icd10_detail(request, code):
    message = f"There is no ICD-10-CM code {code} on cptref."
    icd10 = reads.one_or_404(Icd10Code, message, value=code)
    # All of them (27 at most) rather than a count and a page; a code, like most of the 98,000,
    # has none, and then no table is made (40 µs).
    children = reads.ICD10_CHILDREN(parent=icd10.pk)
    within = None
    if children:
        within = tables.Icd10ChildTable(children, caption=f"Within {icd10.code}")
        within = _paginated(request, within)
    caption = f"CPT codes that diagnosis {icd10.code} supports"
    ancestors = icd10.ancestors(request.content_state)
    extra = {
        "ancestors": ancestors,
        "children": within,
        "instructions": icd10.instructions(ancestors, request.content_state),
        "release": _release(request, CodeSetRelease.CodeSet.ICD10CM),
    }
    return _record_page(request, "icd10", icd10, tables.DiagnosisCptTable, caption, extra)


@canonical_address
@cached_page
def payer_detail(request, slug):
    """A payer's coverage notes, how it counts anesthesia units and its conversion factors."""
    message = f"There is no payer “{slug}” on cptref."
    payer = reads.one_or_404(Payer, message, "slug", related=("anesthesia_rule",), value=slug)
    factors = tables.ConversionFactorTable(
        reads.CONVERSION_FACTORS(payer=payer.pk),
        caption=f"Anesthesia conversion factors of {payer.name}",
        exclude=("payer",),
        orderable=False,
    )
    extra = {"factors": factors, "has_rule": hasattr(payer, "anesthesia_rule")}
    caption = f"CPT codes with {payer.name} coverage notes"
    return _record_page(request, "payer", payer, tables.PayerCptTable, caption, extra)


@canonical_address
@cached_page
def pos_detail(request, code):
    message = f"There is no place of service {code} on cptref."
    place = reads.one_or_404(PlaceOfService, message, value=code)
    table = tables.PlaceOfServiceCptTable(
        reads.CPT_AT_PLACE(place=place.pk),
        caption=f"CPT codes typically billed at POS {place.code}",
    )
    return render(request, "codes/pos_detail.html", {"record": place, "table": table})


@cached_page
def search_results(request):
    """`/search/?q=`: a query that names one code goes to its page, one that lists two or more
    codes and nothing else to their lookup; others list the codes it begins or the records that
    contain its words, of all kinds or of one (`kind=`)."""
    query = request.GET.get("q", "")
    if code_list.is_list(query):
        return redirect(_lookup_url(code_list.read(query).text))
    target = search.jump(query)
    if target:
        return redirect(target)
    results = search.search(
        query,
        kind=request.GET.get("kind"),
        page=request.GET.get("page"),
        billable=request.GET.get("billable"),
        state=request.content_state,
    )
    return render(request, "codes/search.html", {"results": results, "query": results.query})


def _lookup_url(text: str, **query) -> str:
    return f"{reverse('codes:lookup')}?{urlencode({'codes': text, **query})}"


@cached_page
def lookup(request):
    """`/lookup/?codes=…`: up to 200 codes of any kind, each with what it is, in the order
    given (codes/lookup.py); `_export=csv|xlsx` downloads the table."""
    given = "codes" in request.GET
    reading = code_list.read(request.GET.get("codes", ""))
    entries = code_list.look_up(reading.tokens)
    table = tables.LookupTable(code_list.rows(entries), caption="Codes looked up")
    export_format = request.GET.get("_export")
    if entries and exports.is_format(export_format):
        title, rows = "Codes looked up", len(table.rows)
        return exports.response(table, export_format, "codes-looked-up", title, rows=rows)
    context = {
        "form": code_list.LookupForm({"codes": reading.text} if given else None),
        "given": given,
        "reading": reading,
        "entries": entries,
        "table": table,
        "summary": code_list.summary(entries) if entries else "",
        "rest_url": _lookup_url(reading.rest_text) if reading.rest else "",
        # What was read, not the address: it may hold a megabyte of text.
        "export_links": [
            (label, _lookup_url(reading.text, _export=fmt))
            for fmt, label in exports.FORMATS.items()
        ],
        "max_codes": code_list.MAX_CODES,
        "example": code_list.EXAMPLE,
        "example_url": _lookup_url(code_list.EXAMPLE),
    }
    return render(request, "codes/lookup.html", context)


def page_not_found(request, exception):
    """The 404 page: the reason when a view gave one, and the way back to the indexes."""
    message = ""
    if exception is not None and exception.args and isinstance(exception.args[0], str):
        message = exception.args[0]
    return render(request, "404.html", {"message": message}, status=404)


@cached_page
def claim_check(request):
    """`/check/?code=…&modifiers=…&diagnoses=…` or `?lines=…`: each claim line's findings, with
    the pages that support them."""
    form, answered = _checked(request)
    context = {
        "form": form,
        "results": answered,
        "payers": form.figures.payers.values(),
        "rules": claims.RULES,
        "max_lines": claimcheck.MAX_LINES,
    }
    return render(request, "codes/check.html", context)


@cached_page
def claim_check_json(request):
    """The same findings as JSON, for a practice-management system (README.md § Claim check)."""
    form, answered = _checked(request)
    if form.is_bound and answered is None:
        errors = {name: list(messages) for name, messages in form.errors.items()}
        return JsonResponse({"errors": errors}, status=400)
    return JsonResponse(
        {
            "checked": [{"rule": r.name, "checks": r.checks} for r in claims.RULES],
            "lines": [result.as_json() for result in answered or ()],
        }
    )


def _checked(request):
    figures = estimator.figures(request.content_state)
    known = claimcheck.catalog(request.content_state)
    form = claimcheck.CheckForm(request.GET or None, figures=figures, catalog=known)
    if not (form.is_bound and form.is_valid()):
        return form, None
    return form, claimcheck.results(form.entries, figures, known)
