"""The editors' admin: a CPT code is edited with its article sections and every link inline.

Every admin keeps the history of its records (django-simple-history: who, when, each field).
Articles move through draft, in review, published and archived (CptCode.set_status): editors
change drafts and articles in review, reviewers also publish, archive and change published
articles. Sections, links and policy updates are edited on their article's page; their own lists
are for finding them across codes.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from . import search
from .models import (
    ArticleSection,
    ChangeLogEntry,
    CptCode,
    CptDiagnosis,
    CptModifier,
    CptPayer,
    CptTaxonomy,
    Icd10Code,
    Modifier,
    Payer,
    PlaceOfService,
    PolicyUpdate,
    ProviderTaxonomy,
    RelatedCode,
)


class ArticlePartInline:
    """An inline of an article's parts, changeable while the article is (CptCode.editable_by)."""

    extra = 0

    def _article_editable(self, request, obj) -> bool:
        return obj is None or obj.editable_by(request.user)

    def has_add_permission(self, request, obj):
        return self._article_editable(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._article_editable(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._article_editable(request, obj) and super().has_delete_permission(request, obj)


class ArticleSectionInline(ArticlePartInline, admin.StackedInline):
    model = ArticleSection
    fields = (("position", "level", "kind"), ("heading", "slug"), "body")
    prepopulated_fields = {"slug": ("heading",)}


class LinkInline(ArticlePartInline, admin.StackedInline):
    # Stacked, not tabular: a tabular inline's fields have no <label>, only a column heading
    # that screen readers do not announce with the field (axe: label, critical).
    pass


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


class PolicyUpdateInline(LinkInline):
    model = PolicyUpdate
    autocomplete_fields = ["payer"]
    fields = ("date", "payer", "summary", "reference")
    verbose_name_plural = "policy updates"


class ChangeLogEntryInline(LinkInline):
    model = ChangeLogEntry
    fields = ("date", "summary")
    verbose_name_plural = "public change log"


class SiteSearchAdmin(SimpleHistoryAdmin):
    """The list's search box (and the autocomplete of fields that link here) matches as the
    site's search does: a code or its start, or words, misspellings included (codes/search.py).
    `search_fields` only turns the box on."""

    search_kind = ""
    search_help_text = (
        "A code or the start of one (M48.0, 006), or words; a misspelled word is matched to the "
        "most similar word in the index."
    )

    def save_model(self, request, obj, form, change):
        obj.edited_at = timezone.now()  # export_content keeps records editors changed
        super().save_model(request, obj, form, change)

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return queryset.filter(search.admin_filter(self.search_kind, search_term)), False


class CptCodeForm(forms.ModelForm):
    """The article's form: the statuses the signed-in user may give, and the change log line
    that publishing writes for readers."""

    change_note = forms.CharField(
        required=False,
        max_length=300,
        label="Change log entry",
        help_text="What changed, for readers: it is added to the article's public change log "
        "with today's date. Needed when publishing a change; the first publication is logged "
        "as “First published”.",
    )
    user = None  # set per request by CptCodeAdmin.get_form

    class Meta:
        model = CptCode
        fields = ["code", "title", "service_type", "section", "place_of_service"]
        fields += ["status", "last_reviewed"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        status = self.fields.get("status")
        if status is not None and self.user is not None:
            allowed = set(CptCode.statuses_for(self.user)) | {self.instance.status}
            status.choices = [c for c in CptCode.Status.choices if c[0] in allowed]

    def clean(self):
        cleaned = super().clean()
        status = cleaned.get("status")
        if status and status != self.instance.status:
            probe = CptCode(status=self.instance.status)
            try:
                probe.set_status(status, self.user)
            except PermissionDenied as denied:
                self.add_error("status", str(denied))
            published = status == CptCode.Status.PUBLISHED
            if published and self.instance.published_at and not cleaned.get("change_note"):
                self.add_error("change_note", "Say what changed: readers see it in the change log.")
        return cleaned


@admin.register(CptCode)
class CptCodeAdmin(SimpleHistoryAdmin):
    form = CptCodeForm
    list_display = (
        "code",
        "title",
        "status",
        "service_type",
        "section",
        "last_reviewed",
        "updated_at",
        "section_count",
    )
    list_select_related = ("place_of_service",)
    list_filter = ("status", "service_type", "section", "place_of_service")
    # Few rows, drafts included: the public search index holds published articles only.
    search_fields = ("code", "title")
    autocomplete_fields = ["place_of_service"]
    readonly_fields = ("preview", "published_at", "published_by", "updated_at")
    fieldsets = [
        (None, {"fields": ("code", "title", "service_type", "section", "place_of_service")}),
        (
            "Publishing",
            {
                "fields": (
                    "status",
                    "change_note",
                    "preview",
                    "last_reviewed",
                    ("published_at", "published_by"),
                    "updated_at",
                )
            },
        ),
    ]
    inlines = [
        ArticleSectionInline,
        CptModifierInline,
        CptTaxonomyInline,
        CptDiagnosisInline,
        CptPayerInline,
        PolicyUpdateInline,
        RelatedCodeInline,
        ChangeLogEntryInline,
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(section_count=Count("sections"))

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.user = request.user  # a class made for this request
        return form

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.has_perm(CptCode.PUBLISH_PERMISSION):
            fields.append("last_reviewed")  # a reviewer's statement
        return fields

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.editable_by(request.user))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.editable_by(request.user))

    def save_model(self, request, obj, form, change):
        status = obj.status  # as the form set it; set_status checks it again (the model's rule)
        obj.status = form.initial["status"] if change else CptCode.Status.DRAFT
        first_publication = obj.published_at is None
        obj.set_status(status, request.user)
        super().save_model(request, obj, form, change)
        note = form.cleaned_data.get("change_note", "")
        published_now = status == CptCode.Status.PUBLISHED and (
            not change or form.initial["status"] != status
        )
        if published_now and first_publication and not note:
            note = "First published"
        if note:
            ChangeLogEntry.objects.get_or_create(cpt=obj, date=timezone.localdate(), summary=note)

    @admin.display(description="Sections", ordering="section_count")
    def section_count(self, obj):
        return obj.section_count

    @admin.display(description="Preview")
    def preview(self, obj):
        # The saved code: a form sent back with errors holds what the editor typed.
        saved = CptCode.objects.filter(pk=obj.pk).values_list("code", flat=True).first()
        if saved is None:
            return "Save the article first."
        return format_html(
            '<a href="{}">Preview this article as readers would see it</a> '
            "(marked as a preview; readers see only published articles)",
            reverse("codes:cpt-preview", args=[saved]),
        )


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


class ArticlePartAdmin(SimpleHistoryAdmin):
    """Sections, links and policy updates are edited on their article's page, where its status
    decides who may change them; these lists find them across codes and show their history."""

    list_select_related = True
    autocomplete_fields = ["cpt"]
    search_fields = ("cpt__code",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ArticleSection)
class ArticleSectionAdmin(ArticlePartAdmin):
    list_display = ("cpt", "position", "heading", "level", "kind")
    list_filter = ("level", "kind")
    search_fields = ("cpt__code", "heading", "body")


@admin.register(CptModifier)
class CptModifierAdmin(ArticlePartAdmin):
    list_display = ("cpt", "modifier", "usage")
    list_filter = ("modifier",)
    autocomplete_fields = ["cpt", "modifier"]
    search_fields = ("cpt__code", "modifier__code")


@admin.register(CptTaxonomy)
class CptTaxonomyAdmin(ArticlePartAdmin):
    list_display = ("cpt", "taxonomy", "note")
    autocomplete_fields = ["cpt", "taxonomy"]
    search_fields = ("cpt__code", "taxonomy__code")


@admin.register(CptDiagnosis)
class CptDiagnosisAdmin(ArticlePartAdmin):
    list_display = ("cpt", "icd10", "rationale")
    autocomplete_fields = ["cpt", "icd10"]
    search_fields = ("cpt__code", "icd10__code")


@admin.register(CptPayer)
class CptPayerAdmin(ArticlePartAdmin):
    list_display = ("cpt", "payer", "last_reviewed")
    list_filter = ("payer",)
    autocomplete_fields = ["cpt", "payer"]
    search_fields = ("cpt__code", "payer__name")


@admin.register(RelatedCode)
class RelatedCodeAdmin(ArticlePartAdmin):
    list_display = ("cpt", "code", "description")
    search_fields = ("cpt__code", "code")


@admin.register(PolicyUpdate)
class PolicyUpdateAdmin(ArticlePartAdmin):
    list_display = ("date", "cpt", "payer", "summary")
    list_filter = ("payer",)
    date_hierarchy = "date"
    search_fields = ("cpt__code", "payer__name", "summary")


@admin.register(ChangeLogEntry)
class ChangeLogEntryAdmin(ArticlePartAdmin):
    list_display = ("date", "cpt", "summary")
    search_fields = ("cpt__code", "summary")
