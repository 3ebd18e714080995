from .paths import code_url

NAV = [
    ("CPT codes", "codes:cpt-list"),
    ("Modifiers", "codes:modifier-list"),
    ("Taxonomies", "codes:taxonomy-list"),
    ("ICD-10-CM", "codes:icd10-chapters"),
    ("Payers", "codes:payer-list"),
    ("Places of service", "codes:pos-list"),
    ("Policy updates", "codes:policy-updates"),
]


def site_nav(request):
    """The header's search and links to the code-set indexes, on every page."""
    return {
        "home_url": code_url("codes:home"),
        "admin_url": code_url("admin:index"),
        "search_url": code_url("codes:search"),
        "nav": [(label, code_url(name)) for label, name in NAV],
    }
