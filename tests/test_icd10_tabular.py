"""ICD-10-CM as a coder reads it: the whole tree (nested blocks), the tabular list's notes on every
page with those an entry inherits, the 7th-character table, and the release the codes come from."""

import io
import re

import pytest
from django.core.management import call_command
from django.db.models import Count

from codes import tabular
from codes.management.commands import import_icd10cm
from codes.models import CodeSetRelease, Icd10Code

Kind = Icd10Code.Kind
RELEASE = "ICD-10-CM FY2026, April 1, 2026 update (CDC/NCHS)"


# -- The notes, as pure functions ------------------------------------------------------------


def test_a_note_names_codes_and_ranges_as_pieces():
    found = tabular.pieces("hypertensive disease (O10-O11, O13-O16) and eye (H35.0-), (M50.-)")
    named = [(p.text, p.code, p.ends) for p in found if p.code]
    assert named == [
        ("O10-O11", "O10-O11", ("O10", "O11")),
        ("O13-O16", "O13-O16", ("O13", "O16")),
        ("H35.0-", "H35.0", ()),
        ("M50.-", "M50", ()),
    ]
    assert "".join(p.text for p in found) == (
        "hypertensive disease (O10-O11, O13-O16) and eye (H35.0-), (M50.-)"
    )
    # Words are not codes; neither are codes inside longer words.
    assert not [p for p in tabular.pieces("type 2 NOS, X12345 and AB10") if p.code]


def test_links_go_only_where_the_site_has_the_entry():
    note = tabular.pieces("(O10-O11, M50-M54, Q99.9)")
    linked = tabular.linked(note, {"O10", "M50-M54"})
    assert [(p.text, p.code) for p in linked if p.text.strip(", ()")] == [
        ("O10", "O10"),  # the range O10-O11 is no block: its ends, linked where they exist
        ("-", ""),
        ("O11", ""),
        ("M50-M54", "M50-M54"),  # a block: the whole range is one link
        ("Q99.9", ""),  # the site lacks it: text
    ]


def test_inherited_notes_follow_the_own_by_kind_in_the_books_order():
    own = {"excludes1": ["own exclusion (A01)"], "inclusion_terms": ["own term"]}
    chain = [
        ("1", {"excludes2": ["chapter's (B01)"], "inclusion_terms": ["chapter's term"]}),
        ("A00-A09", {"excludes1": ["block's"]}),
        ("A01", {"excludes1": ["category's"], "notes": ["a note"]}),
    ]
    groups = tabular.groups(own, chain, known={"A01"})
    assert [g.kind for g in groups] == ["inclusion_terms", "excludes1", "excludes2", "notes"]
    excludes1 = groups[1]
    assert [(n.source, "".join(p.text for p in n.pieces)) for n in excludes1.notes] == [
        ("", "own exclusion (A01)"),
        ("A01", "category's"),  # nearest first
        ("A00-A09", "block's"),
    ]
    assert excludes1.notes[0].pieces[1].code == "A01"
    # Inclusion terms belong to their own entry only.
    assert [n.source for n in groups[0].notes] == [""]
    assert "never coded together" in excludes1.meaning
    assert "both may be coded" in groups[2].meaning
    assert tabular.references(own, chain) == {"A01", "B01"}


def test_the_seventh_character_comes_from_the_nearest_definition():
    chain = [
        ("19", {}),
        ("T36", {"seven_chr_def": [["A", "initial"], ["D", "subsequent"], ["S", "sequela"]]}),
        ("T36.0", {}),
    ]
    seventh = tabular.seventh_character("T36.0X1D", {}, chain)
    assert seventh.source == "T36" and seventh.own == "D" and seventh.placeholder
    assert seventh.characters == (("A", "initial"), ("D", "subsequent"), ("S", "sequela"))
    category = tabular.seventh_character("T36", chain[1][1], chain[:1])
    assert category.source == "T36" and not category.own and not category.placeholder
    assert tabular.seventh_character("I10", {}, [("9", {})]) is None


# -- The notes of the April 2026 release, as the import reads them ----------------------------


def test_the_import_reads_the_notes_of_the_release():
    i10 = import_icd10cm.notes_of("I10", block=False)
    assert "high blood pressure" in i10["includes"]
    assert i10["excludes1"] == [
        "hypertensive disease complicating pregnancy, childbirth and the puerperium "
        "(O10-O11, O13-O16)"
    ]
    assert tabular.search_terms(i10).splitlines()[0] == "high blood pressure"
    m51 = import_icd10cm.notes_of("M51", block=False)
    assert "cervical and cervicothoracic disc disorders (M50.-)" in m51["excludes2"]
    assert import_icd10cm.notes_of("M51.1", block=False)["excludes1"] == [
        "lumbar radiculitis NOS (M54.16)",
        "sciatica NOS (M54.3)",
    ]
    s32 = import_icd10cm.notes_of("S32", block=False)
    assert s32["seven_chr_def"][0] == ["A", "initial encounter for closed fracture"]
    assert [c for c, _ in s32["seven_chr_def"]] == ["A", "B", "D", "G", "K", "S"]
    assert s32["seven_chr_note"].startswith("The appropriate 7th character")
    assert import_icd10cm.notes_of("S32.010A", block=False) == {}


def test_the_release_is_read_from_the_packages_data():
    name, file_name = import_icd10cm.release()
    assert name == RELEASE
    assert file_name == "icd10c-tabular-April-1-2026.xml"


# -- The whole tree, its pages and the release, after the import -------------------------------


@pytest.mark.full_code_set
@pytest.mark.django_db
def test_the_whole_tree_its_notes_and_its_release(client, django_assert_max_num_queries):
    out = io.StringIO()
    call_command("import_icd10cm", stdout=out)
    assert f"Release: {RELEASE}." in out.getvalue()

    # Every entry but the chapters has a parent; every header has a child.
    assert not Icd10Code.objects.exclude(kind=Kind.CHAPTER).filter(parent=None).exists()
    childless = Icd10Code.objects.filter(billable=False).annotate(n=Count("children"))
    assert not childless.filter(n=0).exists()
    # Every billable code's ancestors lead to its chapter, each the parent of the next.
    rows = dict(Icd10Code.objects.values_list("id", "parent_id"))
    codes = dict(Icd10Code.objects.values_list("id", "code"))
    chapters = set(
        Icd10Code.objects.filter(kind=Kind.CHAPTER).values_list("id", flat=True).iterator()
    )
    for pk, chapter_id, lineage in Icd10Code.objects.filter(billable=True).values_list(
        "id", "chapter_id", "lineage"
    ):
        chain = []
        while rows[pk] is not None:
            pk = rows[pk]
            chain.append(codes[pk])
        assert pk == chapter_id and pk in chapters
        assert "/".join(reversed(chain)) == lineage
    # The outer blocks of chapter 13 hold their sub-blocks.
    outer = Icd10Code.objects.get(code="M40-M54")
    assert [c.code for c in outer.children.order_by("position")] == [
        "M40-M43",
        "M45-M49",
        "M50-M54",
    ]
    assert Icd10Code.objects.get(code="C7A").lineage == "2/C00-C96/C7A-C7A"
    assert Icd10Code.objects.get(code="C00").lineage == "2/C00-C96/C00-C75/C00-C14"

    body = client.get("/icd10/M48.04/").content.decode()
    assert (
        '<li><a href="/icd10/13/">Chapter 13</a></li><li><a href="/icd10/M40-M54/">M40-M54</a>'
        '</li><li><a href="/icd10/M45-M49/">M45-M49</a></li><li><a href="/icd10/M48/">M48</a>'
        '</li><li><a href="/icd10/M48.0/">M48.0</a></li><li aria-current="page">M48.04</li>'
    ) in body
    chapter = client.get("/icd10/13/").content.decode()
    within = chapter[chapter.index('id="children-heading"') :]
    assert 'href="/icd10/M40-M54/"' in within and 'href="/icd10/M45-M49/"' not in within
    assert 'href="/icd10/M45-M49/"' in client.get("/icd10/M40-M54/").content.decode()

    # I10: its Includes, and the exclusion of hypertension complicating pregnancy, linked.
    i10 = client.get("/icd10/I10/").content.decode()
    assert "high blood pressure" in text_of(section(i10, "notes-includes"))
    excludes1 = section(i10, "notes-excludes1")
    assert '<a href="/icd10/O10/">O10</a>-<a href="/icd10/O11/">O11</a>' in excludes1
    assert '<a href="/icd10/O13/">O13</a>-<a href="/icd10/O16/">O16</a>' in excludes1
    assert RELEASE in i10

    # M51.04 inherits M51's Excludes2, marked with where it comes from.
    m5104 = section(client.get("/icd10/M51.04/").content.decode(), "notes-excludes2")
    assert 'cervical and cervicothoracic disc disorders (<a href="/icd10/M50/">M50.-</a>)' in m5104
    assert '(from <a href="/icd10/M51/">M51</a>)' in m5104

    # M51.1: Excludes1 with links to M54.16 and M54.3.
    m511 = section(client.get("/icd10/M51.1/").content.decode(), "notes-excludes1")
    assert 'lumbar radiculitis NOS (<a href="/icd10/M54.16/">M54.16</a>)' in m511
    assert 'sciatica NOS (<a href="/icd10/M54.3/">M54.3</a>)' in m511

    # S32.010A: the 7th-character table of S32, with its own character picked out.
    with django_assert_max_num_queries(8):
        s32 = client.get("/icd10/S32.010A/").content.decode()
    seventh = s32[s32.index('id="seventh-heading"') :]
    assert 'Defined at <a href="/icd10/S32/">S32</a>' in seventh
    assert '<tr class="is-own"><th scope="row">A</th><td class="wrap">' in seventh
    assert "placeholder" not in seventh
    t36 = client.get("/icd10/T36.0X1A/").content.decode()
    assert "uses the placeholder <strong>X</strong>" in t36
    category = client.get("/icd10/S32/").content.decode()
    assert "Codes of S32 take a 7th character from this table." in category

    # The release on the chapters, the index and the downloads' names.
    assert RELEASE in client.get("/icd10/").content.decode()
    assert RELEASE in client.get("/icd10/codes/").content.decode()
    download = client.get("/icd10/codes/?chapter=13&_export=csv")
    assert download["Content-Disposition"] == (
        'attachment; filename="icd-10-cm-fy2026-april-1-2026-update.csv"'
    )

    # A re-import of another release says what it replaced.
    other = ("ICD-10-CM FY2027, October 1, 2026 release (CDC/NCHS)", "icd10c-tabular.xml")
    import_icd10cm.release, original = (lambda: other), import_icd10cm.release
    try:
        out = io.StringIO()
        call_command("import_icd10cm", stdout=out)
    finally:
        import_icd10cm.release = original
    assert f"Release: {other[0]} (replaces {RELEASE})." in out.getvalue()
    recorded = CodeSetRelease.current("icd10cm")
    assert recorded.name == other[0] and recorded.replaced == RELEASE


def section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    return html[start : html.index("</section>", start)]


def text_of(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


@pytest.mark.django_db
def test_a_note_that_names_a_code_the_site_lacks_renders_as_text(client):
    chapter = Icd10Code.objects.create(code="9", kind=Kind.CHAPTER, billable=False, description="C")
    Icd10Code.objects.create(
        code="I10",
        description="Essential (primary) hypertension",
        parent=chapter,
        chapter=chapter,
        lineage="9",
        notes={
            "excludes1": ["neonatal hypertension (P29.2) <script>alert(1)</script>"],
            "excludes2": ["eye (I10)"],
        },
    )
    body = client.get("/icd10/I10/").content.decode()
    excludes1 = section(body, "notes-excludes1")
    assert "neonatal hypertension (P29.2) &lt;script&gt;" in excludes1
    assert "/icd10/P29.2/" not in body
    assert '(<a href="/icd10/I10/">I10</a>)' in section(body, "notes-excludes2")
    assert "<script>alert" not in body


@pytest.mark.django_db
def test_a_change_to_an_ancestor_reaches_the_pages_below_it(client, settings):
    """A code's ancestors and which of the codes their notes name the site has are kept for the
    content version (Icd10Code.ancestors, instructions): an editor's change to the chapter, or
    the entry that its note names arriving, shows on the next page below it."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    chapter = Icd10Code.objects.create(
        code="9",
        kind=Kind.CHAPTER,
        billable=False,
        description="Diseases of the circulatory system",
        notes={"excludes2": ["hypertension in pregnancy (O10)"]},
    )
    for code in ("I10", "I11"):
        Icd10Code.objects.create(
            code=code, description=f"Entry {code}", parent=chapter, chapter=chapter, lineage="9"
        )
    first, sibling = (client.get(f"/icd10/{code}/").content.decode() for code in ("I10", "I11"))
    for page in (first, sibling):
        assert "Diseases of the circulatory system" in page
        assert "hypertension in pregnancy (O10)" in text_of(section(page, "notes-excludes2"))
        assert "/icd10/O10/" not in page
    Icd10Code.objects.filter(code="9").update(description="Circulatory system, changed")
    Icd10Code.objects.create(code="O10", description="Pre-existing hypertension")
    page = client.get("/icd10/I11/").content.decode()
    assert "Circulatory system, changed" in page
    assert '(<a href="/icd10/O10/">O10</a>)' in section(page, "notes-excludes2")
