"""The editors' admin: a CPT code is edited with its article sections and every link inline.

Every admin keeps the history of its records (django-simple-history: who, when, each field).
Articles move through draft, in review, published and archived (CptCode.set_status): editors
change drafts and articles in review, reviewers also publish, archive and change published
articles. Sections, links and policy updates are edited on their article's page; their own lists
are for finding them across codes.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from . import history, kinds
from .locking import EditConflict
from .models import (
    ArticleSection,
    ChangeLogEntry,
    ConversionFactor,
    CptCode,
    CptDiagnosis,
    CptModifier,
    CptPayer,
    CptTaxonomy,
    Modifier,
    PayerRule,
    PolicyUpdate,
    RelatedCode,
)
from .search import query as search


class VersionField(forms.IntegerField):
    """The version of the record the editor opened, sent back with the form (hidden)."""

    widget = forms.HiddenInput

    def has_changed(self, initial, data):
        return False  # bookkeeping, not an edit: an untouched inline row stays unsaved


class VersionedForm(forms.ModelForm):
    """A form that refuses to overwrite changes made since the editor opened it.

    It carries the record's version (a hidden field). When the record has changed since, and the
    form would change it, the form is invalid: the error says who changed it, when, and what
    (codes/history.py), and the form keeps what the editor typed. The hidden version is moved
    on to the current one, so saving again, after reading their changes, replaces them.
    A form sent without a version (a script) is checked in the model layer only, against the
    row as the request read it (codes/locking.py).
    """

    version = VersionField(required=False, min_value=1)
    reverting = False  # set by ReadableHistoryAdmin: the instance is a past version
    deleted_elsewhere = False  # set by VersionedInlineFormSet: the row is gone

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self._changes_a_record():
            self.initial["version"] = self._current_version()

    def _changes_a_record(self) -> bool:
        return self.instance.pk is not None and not self.instance._state.adding

    def _current_version(self):
        if self.reverting:  # the instance holds the past version's values, and its version
            model = type(self.instance)
            current = model._base_manager.filter(pk=self.instance.pk)
            return current.values_list("version", flat=True).first()
        return self.instance.version  # read with the row by this request

    def clean(self):
        cleaned = super().clean()
        if self.deleted_elsewhere:
            name = self._meta.model._meta.verbose_name
            raise ValidationError(
                f"Another editor deleted this {name} after you opened the page, so it cannot "
                "be saved. Tick “Delete” to save the rest of the page without it; to keep it, "
                "copy what it says into a new one first."
            )
        if not self._changes_a_record():
            return cleaned
        opened, current = cleaned.get("version"), self._current_version()
        if current is None:
            raise ValidationError("Another editor deleted this record; nothing was saved.")
        if opened is not None and opened != current and (self.reverting or self.has_changed()):
            conflict = history.describe_conflict(self.instance, opened)
            if self.reverting or conflict.touches(self.fields):
                self._refuse(conflict, current)
        # Unchanged, based on the current version, or their changes were to fields this form
        # does not hold (or only bookkeeping): nothing of theirs is overwritten. A save between
        # now and the write is refused by the model (EditConflict), and the admin checks again.
        self.instance.version = current
        return cleaned

    def _refuse(self, conflict, current):
        self.data = self.data.copy()  # the form comes back based on their version
        self.data[self.add_prefix("version")] = str(current)
        raise ValidationError(conflict.sentences(self.instance))


class VersionedInlineFormSet(BaseInlineFormSet):
    """Inline rows that another editor deleted are kept in the form with an explanation
    (VersionedForm.deleted_elsewhere), and each row is shown with its own record."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        if self.is_bound and i < self.initial_form_count() and form.instance.pk is None:
            form.deleted_elsewhere = True  # its id was posted, but the row is gone
        return form

    def get_queryset(self):
        # The admin pairs each posted row with a record by position (InlineAdminFormSet);
        # once the forms exist, give it their own, so a row deleted or moved by another editor
        # does not shift the others (or drop the last one from the page).
        forms = self.__dict__.get("forms")
        if self.is_bound and forms is not None:
            return [form.instance for form in forms[: self.initial_form_count()]]
        return super().get_queryset()


class VersionedInline:
    """An inline whose rows carry their version (VersionedForm); the template renders that
    hidden field. Stacked, not tabular: a tabular inline's fields have no <label>, only a column
    heading that screen readers do not announce with the field (axe: label, critical)."""

    extra = 0
    form = VersionedForm
    formset = VersionedInlineFormSet
    template = "admin/codes/edit_inline/stacked.html"

    def get_view_on_site_url(self, obj=None):
        return super().get_view_on_site_url(obj) if obj is not None and obj.pk else None


class ArticlePartInline(VersionedInline):
    """An inline of an article's parts, changeable while the article is (CptCode.editable_by)."""

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
    pass


class CptModifierInline(LinkInline):
    model = CptModifier
    autocomplete_fields = ["modifier"]
    fields = ("position", "modifier", "usage")
    verbose_name = "modifier"
    verbose_name_plural = "modifiers"


class CptTaxonomyInline(LinkInline):
    model = CptTaxonomy
    autocomplete_fields = ["taxonomy"]
    fields = ("position", "taxonomy", "note")
    verbose_name = "provider taxonomy"
    verbose_name_plural = "provider taxonomies"


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


class ReadableHistoryAdmin(SimpleHistoryAdmin):
    """simple-history's admin, with readable changes (codes/history.py: choice labels, linked
    records by name, the words that changed), forms that carry their version (VersionedForm),
    and its per-record revert working with versions: the revert form is based on the current
    version, records its reason, and a clash ends in a message, never an error page."""

    form = VersionedForm
    object_history_form_template = "admin/codes/object_history_form.html"

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        names: dict = {}
        newer = None
        for record in historical_records:  # newest first
            if newer is not None:
                newer.history_delta_changes = [
                    dict(zip(("field", "old", "new"), (change.field, *change.shown()), strict=True))
                    for change in history.changes_between(record, newer, names)
                ]
            newer = record

    def get_fields(self, request, obj=None):
        # The version is the form's own hidden field, rendered by the change form template.
        return [name for name in super().get_fields(request, obj) if name != "version"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.reverting = getattr(request, "reverting_to", None) is not None
        return form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and object_id:
            obj = self.get_object(request, unquote(object_id))
            if obj is not None:
                self.record_baseline(obj)
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except EditConflict:
            # Another save landed between this request's checks and its writes; the admin's
            # transaction undid every write. Checked again, the form finds their version and
            # explains it, keeping what the editor typed.
            try:
                return super().changeform_view(request, object_id, form_url, extra_context)
            except EditConflict as conflict:
                self.message_user(
                    request, f"{conflict} Open the page again to see the changes.", messages.ERROR
                )
                return HttpResponseRedirect(request.get_full_path())

    def record_baseline(self, obj):
        """Before the first edit of a record loaded by a fixture: record it as it was."""
        history.record_baseline([obj])

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        manager = self.model.history
        request.reverting_to = get_object_or_404(
            manager, **{self.opts.pk.attname: unquote(object_id), "history_id": version_id}
        )
        current = self.get_object(request, unquote(object_id))
        if request.method == "POST" and not self.has_change_history_permission(request, current):
            # simple-history saves a posted revert form for anyone who may view the history;
            # a revert is a change (sections of a published article: reviewers only).
            raise PermissionDenied
        try:
            return super().history_form_view(request, object_id, version_id, extra_context)
        except EditConflict as conflict:
            self.message_user(request, f"{conflict} Look at it again.", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        record = getattr(request, "reverting_to", None)
        if record is not None:
            obj._change_reason = history.revert_reason(record)
        super().save_model(request, obj, form, change)


class SiteSearchAdmin(ReadableHistoryAdmin):
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


class CptCodeForm(VersionedForm):
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


class CptCodeAdmin(ReadableHistoryAdmin):
    """The article with all its parts inline. Its history page shows each version of the whole
    article (codes/history.py) and reverts the article with its parts in one action."""

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

    def record_baseline(self, obj):
        history.record_article_baseline(obj)

    def get_urls(self):
        revert = path(
            "<path:object_id>/history/<int:history_id>/revert/",
            self.admin_site.admin_view(self.revert_view),
            name="codes_cptcode_revert",
        )
        return [revert, *super().get_urls()]

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": f"History of {obj}",
            "object": obj,
            "opts": self.opts,
            "module_name": self.opts.verbose_name_plural,
            "versions": history.article_versions(obj),
            "can_revert": self.has_change_permission(request, obj),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/codes/cptcode/object_history.html", context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # One record's revert would leave its sections and links as they are: revert the
        # whole article instead.
        return redirect("admin:codes_cptcode_revert", object_id, version_id)

    def revert_view(self, request, object_id, history_id):
        """GET: what reverting to the version would change (or why it cannot). POST: revert."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        record = get_object_or_404(obj.history, history_id=history_id)
        history_url = reverse("admin:codes_cptcode_history", args=[obj.pk])
        problems = []
        if request.method == "POST":
            try:
                plan = history.revert_article(obj, history_id, request.user)
            except history.RevertRefused as refused:
                problems = refused.problems
            else:
                if plan.has_changes:
                    self.message_user(request, f"{plan.reason}. The history lists the revert.")
                else:
                    self.message_user(request, "The article already matches that version.")
                return HttpResponseRedirect(history_url)
        plan = history.plan_revert(obj, history_id)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Revert {obj.code} to the version of "
            f"{timezone.localtime(record.history_date):%Y-%m-%d %H:%M}",
            "object": obj,
            "opts": self.opts,
            "module_name": self.opts.verbose_name_plural,
            "record": record,
            "plan": plan,
            "problems": problems or plan.problems,
            "history_url": history_url,
        }
        return TemplateResponse(request, "admin/codes/cptcode/revert_confirmation.html", context)

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


class ModifierForm(VersionedForm):
    def clean(self):
        cleaned = super().clean()
        unknown = Modifier.unknown_reporters(cleaned.get("reported_by", ""))
        if unknown:
            self.add_error(
                "reported_by",
                "Not a NUCC grouping or classification of a taxonomy on cptref: "
                f"{'; '.join(unknown)}. Copy it from a taxonomy's page.",
            )
        return cleaned


class ModifierAdmin(SourcedRecordAdmin):
    form = ModifierForm
    search_kind = "modifier"
    list_display = ("code", "name", "code_set", "kind", "confidence")
    list_filter = ("code_set", "kind", "confidence")
    search_fields = ("code", "name", "description", "when_to_use")


class ProviderTaxonomyAdmin(SourcedRecordAdmin):
    search_kind = "taxonomy"
    list_display = ("code", "classification", "specialization", "grouping", "confidence")
    list_filter = ("grouping", "classification", "confidence")
    search_fields = ("code", "classification", "specialization", "display_name")


class Icd10CodeAdmin(SourcedRecordAdmin):
    search_kind = "icd10"
    list_display = ("code", "description", "kind", "billable", "confidence")
    list_filter = ("kind", "billable", "confidence")
    search_fields = ("code", "description")
    # The place in the tabular list comes from import_icd10cm; a select of 98,000 parents
    # would not be usable anyway.
    readonly_fields = ("kind", "parent", "chapter", "lineage", "position", "notes", "terms")


class ReadOnly:
    """An admin's list and pages, without adding, changing or deleting."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CodeSetReleaseAdmin(ReadOnly, admin.ModelAdmin):
    """Written by the imports (import_icd10cm): readers see it; nobody edits it."""

    list_display = ("name", "code_set", "loaded_at", "replaced")


class PlaceOfServiceAdmin(SourcedRecordAdmin):
    search_kind = "pos"
    list_display = ("code", "name", "confidence")
    search_fields = ("code", "name")


class PayerRuleInline(VersionedInline, admin.StackedInline):
    """A payer's anesthesia rules; a new one starts with Medicare's values."""

    model = PayerRule
    # One row at most (one-to-one), so its heading is the singular.
    verbose_name = "anesthesia rules"
    verbose_name_plural = "anesthesia rules (how the payer counts units)"
    fields = (
        ("minutes_per_unit", "time_rounding", "round_up_after"),
        ("physical_status_units", "qualifying_circumstance_units"),
        "direction_share",
        "no_time_units",
        ("supervision_base_units", "supervision_induction_units"),
        "source",
        "confidence",
        "note",
        "time_source",
        "modifying_source",
        "direction_source",
        "no_time_source",
        "supervision_source",
    )


class ConversionFactorInline(VersionedInline, admin.StackedInline):
    """A payer's conversion factors; the estimator takes the one in force on the date of
    service at once."""

    model = ConversionFactor
    fields = (
        ("label", "clinicians"),
        ("effective_from", "effective_to"),
        "amount",
        "source",
        "confidence",
        "note",
    )


class PayerAdmin(SiteSearchAdmin):
    search_kind = "payer"
    list_display = ("name", "slug")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = [PayerRuleInline, ConversionFactorInline]


class BaseUnitAdmin(SourcedRecordAdmin):
    search_kind = "anescode"
    list_display = ("code", "units", "section", "period", "confidence")
    list_filter = ("section", "confidence")
    search_fields = ("code",)


class QualifyingCircumstanceAdmin(SourcedRecordAdmin):
    list_display = ("code", "units", "confidence")
    search_fields = ("code",)

    def get_search_results(self, request, queryset, search_term):
        # Not in the site's search (no words to find): the code, or the start of it.
        return queryset.filter(code__startswith=search_term.strip()), False


class ConversionFactorAdmin(ReadableHistoryAdmin):
    list_display = ("payer", "label", "clinicians", "effective_from", "effective_to", "amount")
    list_filter = ("payer", "clinicians", "confidence")
    list_select_related = ("payer",)
    date_hierarchy = "effective_from"
    search_fields = ("payer__name", "label")
    autocomplete_fields = ["payer"]


class PayerRuleAdmin(ReadableHistoryAdmin):
    list_display = ("payer", "time_rounding", "minutes_per_unit", "direction_share")
    list_select_related = ("payer",)
    search_fields = ("payer__name",)
    autocomplete_fields = ["payer"]


class ArticlePartAdmin(ReadOnly, ReadableHistoryAdmin):
    """Sections, links and policy updates are edited on their article's page, where its status
    decides who may change them; these lists find them across codes and show their history."""

    list_select_related = True
    autocomplete_fields = ["cpt"]
    search_fields = ("cpt__code",)


class ArticleSectionAdmin(ArticlePartAdmin):
    list_display = ("cpt", "position", "heading", "level", "kind")
    list_filter = ("level", "kind")
    search_fields = ("cpt__code", "heading", "body")


class CptModifierAdmin(ArticlePartAdmin):
    list_display = ("cpt", "modifier", "usage")
    list_filter = ("modifier",)
    autocomplete_fields = ["cpt", "modifier"]
    search_fields = ("cpt__code", "modifier__code")


class CptTaxonomyAdmin(ArticlePartAdmin):
    list_display = ("cpt", "taxonomy", "note")
    autocomplete_fields = ["cpt", "taxonomy"]
    search_fields = ("cpt__code", "taxonomy__code")


class CptDiagnosisAdmin(ArticlePartAdmin):
    list_display = ("cpt", "icd10", "rationale")
    autocomplete_fields = ["cpt", "icd10"]
    search_fields = ("cpt__code", "icd10__code")


class CptPayerAdmin(ArticlePartAdmin):
    list_display = ("cpt", "payer", "last_reviewed")
    list_filter = ("payer",)
    autocomplete_fields = ["cpt", "payer"]
    search_fields = ("cpt__code", "payer__name")


class RelatedCodeAdmin(ArticlePartAdmin):
    list_display = ("cpt", "code", "description")
    search_fields = ("cpt__code", "code")


class PolicyUpdateAdmin(ArticlePartAdmin):
    list_display = ("date", "cpt", "payer", "summary")
    list_filter = ("payer",)
    date_hierarchy = "date"
    search_fields = ("cpt__code", "payer__name", "summary")


class ChangeLogEntryAdmin(ArticlePartAdmin):
    list_display = ("date", "cpt", "summary")
    search_fields = ("cpt__code", "summary")


# Every kind of content, with the admin codes/kinds.py names for it.
for kind in kinds.KINDS:
    admin.site.register(kind.model, kind.admin_class())
