from django.urls import path, register_converter

from . import converters, kinds, views

register_converter(converters.CptCodeConverter, "cpt")
register_converter(converters.ModifierConverter, "modifier")
register_converter(converters.TaxonomyConverter, "taxonomy")
register_converter(converters.Icd10Converter, "icd10")
register_converter(converters.PlaceOfServiceConverter, "pos")
register_converter(converters.PayerSlugConverter, "payer")

app_name = "codes"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search_results, name="search"),
    path("check/", views.claim_check, name="check"),
    path("check.json", views.claim_check_json, name="check-json"),
    path("lookup/", views.lookup, name="lookup"),
    # The index of every kind of content that has one (codes/kinds.py).
    *(
        path(kind.listing.path, views.index, {"kind": kind.name}, name=kind.listing.url_name)
        for kind in kinds.listed()
    ),
    path("codes/<cpt:code>/", views.cpt_detail, name="cpt-detail"),
    path("codes/<cpt:code>/preview/", views.cpt_preview, name="cpt-preview"),
    path("codes/<cpt:code>/estimate/", views.estimate, name="estimate"),
    path("modifiers/<modifier:code>/", views.modifier_detail, name="modifier-detail"),
    path("taxonomies/<taxonomy:code>/", views.taxonomy_detail, name="taxonomy-detail"),
    path("icd10/", views.icd10_chapters, name="icd10-chapters"),
    path("icd10/<icd10:code>/", views.icd10_detail, name="icd10-detail"),
    path("payers/<payer:slug>/", views.payer_detail, name="payer-detail"),
    path("places-of-service/<pos:code>/", views.pos_detail, name="pos-detail"),
]
