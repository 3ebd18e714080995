"""What the record pages read, as statements compiled once per process (codes/statements.py):
the record by its code, the published CPT codes linked to it, and the rest of its page. Each is
a queryset, so the models' rules (what readers may see, the order) stay where they are."""

from functools import cache

from django.http import Http404

from .models import BaseUnit, ConversionFactor, CptCode, Icd10Code, RelatedCode, published
from .statements import Statement


@cache
def _by(model, field: str, related: tuple = ()) -> Statement:
    rows = model._default_manager.select_related(*related)
    return Statement(lambda value: rows.filter(**{field: value}))


def one_or_404(model, message: str, field: str = "code", *, related: tuple = (), value):
    """The record of `model` whose `field` is `value`, its `related` records with it, or the
    404 page saying `message`. `model` may be a statement of the value instead."""
    statement = model if isinstance(model, Statement) else _by(model, field, related)
    found = statement(value=value)
    if not found:
        raise Http404(message)
    return found[0]


@cache
def _links(model) -> Statement:
    relation = model.cpt_links.field  # the link's foreign key to the record
    links = relation.model.objects.filter(published("cpt__")).select_related("cpt")
    return Statement(lambda id: links.filter(**{relation.attname: id}).order_by("cpt__code"))


def cpt_links(record) -> list:
    """The links of the published CPT codes to `record` (a modifier, taxonomy, diagnosis or
    payer), with their codes, in code order."""
    return _links(type(record))(id=record.pk)


CONVERSION_FACTORS = Statement(
    lambda payer: ConversionFactor.objects.filter(payer_id=payer).select_related("payer")
)
CPT_AT_PLACE = Statement(
    lambda place: CptCode.objects.published().filter(place_of_service_id=place)
)
# What the table of children shows: not their notes and terms.
ICD10_CHILDREN = Statement(
    lambda parent: (
        Icd10Code.objects.filter(parent_id=parent)
        .only("code", "description", "kind", "billable")
        .order_by("position")
    )
)
NAMED_BY = Statement(
    lambda code: (
        RelatedCode.objects.filter(published("cpt__"), code=code)
        .select_related("cpt")
        .order_by("cpt__code")
    )
)
# An anesthesia code's page, when the code has no article.
BASE_UNIT = Statement(lambda value: BaseUnit.objects.without_article().filter(code=value))
