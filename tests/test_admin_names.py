"""The names the admin shows for each model and inline (index, changelist titles, inline headings,
"Add another …", history pages) read as English: Django's default plural only adds an "s",
which gave "Modifier of a CPT codes"."""

import re

import pytest
from django.contrib import admin
from django.urls import reverse

from codes.models import Payer

pytestmark = pytest.mark.django_db

# Every model registered in the admin for these apps, with its (singular, plural).
MODEL_NAMES = {
    "auth.Group": ("group", "groups"),
    "auth.User": ("user", "users"),
    "codes.ArticleSection": ("article section", "article sections"),
    "codes.BaseUnit": ("anesthesia base unit value", "anesthesia base unit values"),
    "codes.ChangeLogEntry": ("change log entry", "change log entries"),
    "codes.CodeSetRelease": ("code set release", "code set releases"),
    "codes.ConversionFactor": ("conversion factor", "conversion factors"),
    "codes.CptCode": ("CPT code", "CPT codes"),
    "codes.CptDiagnosis": ("diagnosis of a CPT code", "diagnoses of CPT codes"),
    "codes.CptModifier": ("modifier of a CPT code", "modifiers of CPT codes"),
    "codes.CptPayer": ("payer of a CPT code", "payers of CPT codes"),
    "codes.CptTaxonomy": ("provider taxonomy of a CPT code", "provider taxonomies of CPT codes"),
    "codes.Icd10Code": ("ICD-10-CM code", "ICD-10-CM codes"),
    "codes.Modifier": ("modifier", "modifiers"),
    "codes.Payer": ("payer", "payers"),
    "codes.PayerRule": ("payer's anesthesia rules", "payers' anesthesia rules"),
    "codes.PlaceOfService": ("place of service", "places of service"),
    "codes.PolicyUpdate": ("policy update", "policy updates"),
    "codes.ProviderTaxonomy": ("provider taxonomy", "provider taxonomies"),
    "codes.QualifyingCircumstance": ("qualifying circumstance", "qualifying circumstances"),
    "codes.RelatedCode": ("related code", "related codes"),
}
APPS = {"auth", "codes"}

# Every inline of those models' admins, as "Model.Inline", with its (singular, plural). Where
# an inline sits on its parent's page, the parent need not be named again ("modifiers").
INLINE_NAMES = {
    "codes.CptCode.ArticleSectionInline": ("article section", "article sections"),
    "codes.CptCode.CptModifierInline": ("modifier", "modifiers"),
    "codes.CptCode.CptTaxonomyInline": ("provider taxonomy", "provider taxonomies"),
    "codes.CptCode.CptDiagnosisInline": ("ICD-10-CM diagnosis", "ICD-10-CM diagnoses"),
    "codes.CptCode.CptPayerInline": ("payer", "payer coverage"),
    "codes.CptCode.PolicyUpdateInline": ("policy update", "policy updates"),
    "codes.CptCode.RelatedCodeInline": ("related code", "related codes"),
    "codes.CptCode.ChangeLogEntryInline": ("change log entry", "public change log"),
    "codes.Payer.PayerRuleInline": (
        "anesthesia rules",
        "anesthesia rules (how the payer counts units)",
    ),
    "codes.Payer.ConversionFactorInline": ("conversion factor", "conversion factors"),
}

# The CPT code page's inline headings, by formset prefix: the plural, as several rows may show.
CPT_INLINE_HEADINGS = {
    "sections": "Article sections",
    "modifier_links": "Modifiers",
    "taxonomy_links": "Provider taxonomies",
    "diagnosis_links": "ICD-10-CM diagnoses",
    "payer_links": "Payer coverage",
    "policy_updates": "Policy updates",
    "related_codes": "Related codes",
    "change_log": "Public change log",
}


def registered_names() -> dict[str, tuple[str, str]]:
    return {
        f"{model._meta.app_label}.{model.__name__}": (
            str(model._meta.verbose_name),
            str(model._meta.verbose_name_plural),
        )
        for model in admin.site._registry
    }


def inline_names() -> dict[str, tuple[str, str]]:
    names = {}
    for model, model_admin in admin.site._registry.items():
        for inline_class in model_admin.inlines:
            inline = inline_class(model, admin.site)
            key = f"{model._meta.app_label}.{model.__name__}.{inline_class.__name__}"
            names[key] = (str(inline.verbose_name), str(inline.verbose_name_plural))
    return names


def historical_names() -> dict[str, tuple[str, str]]:
    return {
        f"{model._meta.app_label}.{model.__name__}.history": (
            str(model.history.model._meta.verbose_name),
            str(model.history.model._meta.verbose_name_plural),
        )
        for model in admin.site._registry
        if hasattr(model, "history")
    }


def all_names() -> dict[str, tuple[str, str]]:
    return {**registered_names(), **inline_names(), **historical_names()}


def english_problems(singular: str, plural: str) -> list[str]:
    """What is wrong with a (singular, plural) pair, in words; empty when it reads well."""
    problems = []
    if not singular.strip() or not plural.strip():
        problems.append("a name is empty")
    if singular != singular.strip() or plural != plural.strip():
        problems.append("a name has spaces around it")
    if singular == plural:
        problems.append("the plural is the singular")
    if re.search(r" of an? ", plural):
        problems.append("the plural still says “of a”: only the head noun was meant to change")
    if re.search(r" of an? ", singular) and plural == singular + "s":
        problems.append("the plural adds “s” to the last word, not to the head noun")
    if plural == singular + "s" and re.search(r"([^aeiou]y|s|x|ch|sh)$", singular):
        problems.append("“s” is not how this word makes its plural")
    return problems


def test_the_names_table_covers_every_registered_model():
    registered = {key for key in registered_names() if key.split(".")[0] in APPS}
    assert registered == set(MODEL_NAMES), "add the new model's names to MODEL_NAMES"


def test_the_names_table_covers_every_inline():
    assert set(inline_names()) == set(INLINE_NAMES), "add the new inline's names to INLINE_NAMES"


def test_every_registered_model_has_the_names_in_the_table():
    names = registered_names()
    assert {key: names[key] for key in MODEL_NAMES} == MODEL_NAMES


def test_every_inline_has_the_names_in_the_table():
    assert inline_names() == INLINE_NAMES


def test_historical_models_are_named_after_their_model():
    for key, (singular, plural) in historical_names().items():
        model_singular, model_plural = registered_names()[key.removesuffix(".history")]
        assert (singular, plural) == (f"historical {model_singular}", f"historical {model_plural}")


@pytest.mark.parametrize("key", sorted(all_names()))
def test_names_read_as_english(key):
    assert english_problems(*all_names()[key]) == []


@pytest.mark.parametrize(
    "singular, plural",
    [
        ("modifier of a CPT code", "modifier of a CPT codes"),
        ("modifier of a CPT code", "modifiers of a CPT code"),
        ("provider taxonomy", "provider taxonomys"),
        ("anesthesia base units", "anesthesia base units"),
        ("", "s"),
    ],
)
def test_the_english_check_catches_django_default_plurals(singular, plural):
    assert english_problems(singular, plural)


def headings(html: str) -> dict[str, str]:
    found = re.findall(r'<h2 id="([\w-]+)-heading" class="inline-heading">\s*(.*?)\s*</h2>', html)
    return dict(found)


def test_cpt_code_page_shows_its_inlines_by_their_plural(client, reviewer, cpt_00620):
    client.force_login(reviewer)
    response = client.get(reverse("admin:codes_cptcode_change", args=[cpt_00620.pk]))
    body = response.content.decode()
    assert headings(body) == CPT_INLINE_HEADINGS
    assert '<b>Modifier:</b> <span class="inline_label">00620 with' in body
    assert "of a CPT code" not in body


def test_payer_page_shows_its_inlines_by_name(client, reviewer, content):
    client.force_login(reviewer)
    payer = Payer.objects.get(slug="medicare")
    response = client.get(reverse("admin:codes_payer_change", args=[payer.pk]))
    assert headings(response.content.decode()) == {
        "anesthesia_rule": "Anesthesia rules",
        "conversion_factors": "Conversion factors",
    }


def test_admin_index_lists_the_models_by_their_plural(client, reviewer):
    client.force_login(reviewer)
    body = client.get(reverse("admin:index")).content.decode()
    assert ">Modifiers of CPT codes</a>" in body
    assert ">Payers of CPT codes</a>" in body
    assert "of a CPT codes" not in body
