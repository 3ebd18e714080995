"""The editors' admin: a CPT code is edited with its article sections and every link inline."""

from django.contrib import admin
from django.db.models import Count

from . import search
from .models import (
    ArticleSection,
    CptCode,
    CptDiagnosis,
    CptModifier,
    CptPayer,
    CptTaxonomy,
    Icd10Code,
    Modifier,
    Payer,
    PlaceOfService,
    ProviderTaxonomy,
    RelatedCode,
)


class ArticleSectionInline(admin.StackedInline):
    model = ArticleSection
    extra = 0
    fields = (("position", "level", "kind"), ("heading", "slug"), "body")
    prepopulated_fields = {"slug": ("heading",)}


class LinkInline(admin.StackedInline):
    # Stacked, not tabular: a tabular inline's fields have no <label>, only a column heading
    # that screen readers do not announce with the field (axe: label, critical).
    extra = 0


class CptModifierInline(LinkInline):
    model = CptModifier
    autocomplete_fields = ["modifier"]
    fields = ("position", "modifier", "usage")


class CptTaxonomyInline(LinkInline):
    model = CptTaxonomy
    autocomplete_fields = ["taxonomy"]
    fields = ("position", "taxonomy", "note")


class CptDiagnosisInline(LinkInline):
    model = CptDiagnosis
    autocomplete_fields = ["icd10"]
    fields = ("position", "icd10", "rationale")
    verbose_name = "ICD-10-CM diagnosis"
    verbose_name_plural = "ICD-10-CM diagnoses"


class CptPayerInline(LinkInline):
    model = CptPayer
    autocomplete_fields = ["payer"]
    fields = ("position", "payer", "coverage_note", "policy_reference", "last_reviewed")
    verbose_name = "payer"
    verbose_name_plural = "payer coverage"


class RelatedCodeInline(LinkInline):
    model = RelatedCode
    fields = ("position", "code", "description", "source")
    verbose_name_plural = "related codes"


class SiteSearchAdmin(admin.ModelAdmin):
    """The list's search box (and the autocomplete of fields that link here) matches as the
    site's search does: a code or its start, or words, misspellings included (codes/search.py).
    `search_fields` only turns the box on."""

    search_kind = ""
    search_help_text = (
        "A code or the start of one (M48.0, 006), or words; a misspelled word is matched to the "
        "most similar word in the index."
    )

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return queryset.filter(search.admin_filter(self.search_kind, search_term)), False


@admin.register(CptCode)
class CptCodeAdmin(SiteSearchAdmin):
    search_kind = "cpt"
    list_display = ("code", "title", "service_type", "section", "place_of_service", "section_count")
    list_select_related = ("place_of_service",)
    list_filter = ("service_type", "section", "place_of_service")
    search_fields = ("code", "title")
    autocomplete_fields = ["place_of_service"]
    inlines = [
        ArticleSectionInline,
        CptModifierInline,
        CptTaxonomyInline,
        CptDiagnosisInline,
        CptPayerInline,
        RelatedCodeInline,
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(section_count=Count("sections"))

    @admin.display(description="Sections", ordering="section_count")
    def section_count(self, obj):
        return obj.section_count


class SourcedRecordAdmin(SiteSearchAdmin):
    list_filter = ("confidence",)
    search_fields = ("code",)


@admin.register(Modifier)
class ModifierAdmin(SourcedRecordAdmin):
    search_kind = "modifier"
    list_display = ("code", "name", "code_set", "kind", "confidence")
    list_filter = ("code_set", "kind", "confidence")
    search_fields = ("code", "name", "description", "when_to_use")


@admin.register(ProviderTaxonomy)
class ProviderTaxonomyAdmin(SourcedRecordAdmin):
    search_kind = "taxonomy"
    list_display = ("code", "classification", "specialization", "grouping", "confidence")
    list_filter = ("grouping", "classification", "confidence")
    search_fields = ("code", "classification", "specialization", "display_name")


@admin.register(Icd10Code)
class Icd10CodeAdmin(SourcedRecordAdmin):
    search_kind = "icd10"
    list_display = ("code", "description", "kind", "billable", "confidence")
    list_filter = ("kind", "billable", "confidence")
    search_fields = ("code", "description")
    # The place in the tabular list comes from import_icd10cm; a select of 98,000 parents
    # would not be usable anyway.
    readonly_fields = ("kind", "parent", "chapter", "lineage", "position")


@admin.register(PlaceOfService)
class PlaceOfServiceAdmin(SourcedRecordAdmin):
    search_kind = "pos"
    list_display = ("code", "name", "confidence")
    search_fields = ("code", "name")


@admin.register(Payer)
class PayerAdmin(SiteSearchAdmin):
    search_kind = "payer"
    list_display = ("name", "slug")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}


@admin.register(ArticleSection)
class ArticleSectionAdmin(admin.ModelAdmin):
    list_display = ("cpt", "position", "heading", "level", "kind")
    list_select_related = ("cpt",)
    list_filter = ("level", "kind")
    search_fields = ("cpt__code", "heading", "body")
    autocomplete_fields = ["cpt"]


class LinkAdmin(admin.ModelAdmin):
    """Links are edited inline on the CPT code; these lists help find them across codes."""

    list_select_related = True
    autocomplete_fields = ["cpt"]
    search_fields = ("cpt__code",)


@admin.register(CptModifier)
class CptModifierAdmin(LinkAdmin):
    list_display = ("cpt", "modifier", "usage")
    list_filter = ("modifier",)
    autocomplete_fields = ["cpt", "modifier"]
    search_fields = ("cpt__code", "modifier__code")


@admin.register(CptTaxonomy)
class CptTaxonomyAdmin(LinkAdmin):
    list_display = ("cpt", "taxonomy", "note")
    autocomplete_fields = ["cpt", "taxonomy"]
    search_fields = ("cpt__code", "taxonomy__code")


@admin.register(CptDiagnosis)
class CptDiagnosisAdmin(LinkAdmin):
    list_display = ("cpt", "icd10", "rationale")
    autocomplete_fields = ["cpt", "icd10"]
    search_fields = ("cpt__code", "icd10__code")


@admin.register(CptPayer)
class CptPayerAdmin(LinkAdmin):
    list_display = ("cpt", "payer", "last_reviewed")
    list_filter = ("payer",)
    autocomplete_fields = ["cpt", "payer"]
    search_fields = ("cpt__code", "payer__name")


@admin.register(RelatedCode)
class RelatedCodeAdmin(LinkAdmin):
    list_display = ("cpt", "code", "description")
    search_fields = ("cpt__code", "code")
