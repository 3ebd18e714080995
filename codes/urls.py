from django.urls import path, register_converter

from . import converters, views

register_converter(converters.CptCodeConverter, "cpt")
register_converter(converters.ModifierConverter, "modifier")
register_converter(converters.TaxonomyConverter, "taxonomy")
register_converter(converters.Icd10Converter, "icd10")
register_converter(converters.PlaceOfServiceConverter, "pos")

app_name = "codes"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search_results, name="search"),
    path("codes/", views.cpt_list, name="cpt-list"),
    path("codes/<cpt:code>/", views.cpt_detail, name="cpt-detail"),
    path("codes/<cpt:code>/preview/", views.cpt_preview, name="cpt-preview"),
    path("policy-updates/", views.policy_updates, name="policy-updates"),
    path("modifiers/", views.modifier_list, name="modifier-list"),
    path("modifiers/<modifier:code>/", views.modifier_detail, name="modifier-detail"),
    path("taxonomies/", views.taxonomy_list, name="taxonomy-list"),
    path("taxonomies/<taxonomy:code>/", views.taxonomy_detail, name="taxonomy-detail"),
    path("icd10/", views.icd10_chapters, name="icd10-chapters"),
    path("icd10/codes/", views.icd10_list, name="icd10-list"),
    path("icd10/<icd10:code>/", views.icd10_detail, name="icd10-detail"),
    path("payers/", views.payer_list, name="payer-list"),
    path("payers/<slug:slug>/", views.payer_detail, name="payer-detail"),
    path("places-of-service/", views.pos_list, name="pos-list"),
    path("places-of-service/<pos:code>/", views.pos_detail, name="pos-detail"),
]
