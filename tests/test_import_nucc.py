"""`import_nucc_taxonomy`: loading the NUCC taxonomy CSV, all or nothing, and idempotently."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError

from codes.management.commands.import_nucc_taxonomy import source_line
from codes.models import Confidence, NaturalKeyManager, ProviderTaxonomy

pytestmark = pytest.mark.django_db

HEADER = "Code,Grouping,Classification,Specialization,Definition,Notes,Display Name,Section"
FILE_NAME = "nucc_taxonomy_251.csv"
SOURCE_LINE = f"Source: NUCC Health Care Provider Taxonomy, v25.1 (file {FILE_NAME})"

# Rows in the shape of the official file: fields with commas, quotes or line breaks are quoted.
# The definition of 207LP4000X spans three lines of the file (lines 2 to 4 when it comes first).
NUTRITION = (
    "207LP4000X,Allopathic & Osteopathic Physicians,Anesthesiology,"
    'Physician Nutrition Specialist,"A physician who specializes in nutrition (e.g.,\n'
    "undernutrition, overnutrition).\n"
    'Also ""perioperative"" nutrition.",'
    '"Source: National Board of Physician Nutrition Specialists, www.nbpns.org.",'
    "Physician Nutrition Specialist (Anesthesiology),Individual"
)
NUTRITION_DEFINITION = (
    "A physician who specializes in nutrition (e.g.,\n"
    'undernutrition, overnutrition).\nAlso "perioperative" nutrition.'
)
ANESTHESIOLOGY = (
    "207L00000X,Allopathic & Osteopathic Physicians,Anesthesiology,,"
    '"An anesthesiologist is trained to provide pain relief, and maintenance of a stable '
    'condition.","Source: American Board of Medical Specialties, 2007. [7/1/2007: added '
    'definition]",Anesthesiology Physician,Individual'
)
GROUP = (
    '193200000X,Group,Multi-Specialty,,"A business group of one or more individual practitioners, '
    'who practice with different areas of specialization.",[7/1/2003: new],'
    "Multi-Specialty Group,Individual"
)


def quoted(value: str) -> str:
    return f'"{value.replace(chr(34), chr(34) * 2)}"' if any(c in value for c in ',"\n') else value


def row(
    code: str,
    grouping: str = "Allopathic & Osteopathic Physicians",
    classification: str = "Anesthesiology",
    specialization: str = "",
    definition: str = "",
    notes: str = "",
    display_name: str = "",
    section: str = "Individual",
) -> str:
    fields = [code, grouping, classification, specialization, definition, notes, display_name]
    return ",".join(quoted(field) for field in [*fields, section])


def row_of(record: ProviderTaxonomy) -> str:
    """The line of the file that says exactly what the database already holds."""
    return row(
        record.code,
        record.grouping,
        record.classification,
        record.specialization,
        record.definition,
        record.nucc_notes,
        record.display_name,
        record.nucc_section,
    )


def write(
    tmp_path: Path,
    *lines: str,
    header: str = HEADER,
    name: str = FILE_NAME,
    encoding: str = "utf-8",
    newline: str = "\n",
) -> Path:
    path = tmp_path / name
    path.write_bytes(newline.join([header, *lines, ""]).replace("\n", newline).encode(encoding))
    return path


def run(path: Path, **options) -> str:
    out = io.StringIO()
    call_command("import_nucc_taxonomy", str(path), stdout=out, **options)
    return out.getvalue()


def snapshot() -> list[dict]:
    return list(ProviderTaxonomy.objects.order_by("code").values())


def test_import_creates_new_codes_with_the_nucc_fields_and_a_source_line(tmp_path):
    output = run(write(tmp_path, NUTRITION, GROUP))

    assert output.strip() == (
        "NUCC taxonomy: 2 created, 0 updated, 0 unchanged, 0 not in the file (left alone)."
    )
    nutrition = ProviderTaxonomy.objects.get(code="207LP4000X")
    assert nutrition.grouping == "Allopathic & Osteopathic Physicians"
    assert nutrition.classification == "Anesthesiology"
    assert nutrition.specialization == "Physician Nutrition Specialist"
    assert nutrition.definition == NUTRITION_DEFINITION
    assert nutrition.nucc_notes == (
        "Source: National Board of Physician Nutrition Specialists, www.nbpns.org."
    )
    assert nutrition.display_name == "Physician Nutrition Specialist (Anesthesiology)"
    assert nutrition.nucc_section == "Individual"
    assert (nutrition.source, nutrition.confidence, nutrition.note) == (
        SOURCE_LINE,
        Confidence.HIGH,
        "",
    )
    group = ProviderTaxonomy.objects.get(code="193200000X")
    assert (group.grouping, group.classification, group.specialization) == (
        "Group",
        "Multi-Specialty",
        "",
    )
    assert group.nucc_notes == "[7/1/2003: new]"


def test_import_creates_new_codes_and_updates_changed_ones(content, tmp_path):
    unchanged = ProviderTaxonomy.objects.get(code="207T00000X")
    before = {record["code"]: record for record in snapshot()}

    output = run(write(tmp_path, NUTRITION, ANESTHESIOLOGY, row_of(unchanged)))

    assert output.strip() == (
        "NUCC taxonomy: 1 created, 1 updated, 1 unchanged, 10 not in the file (left alone)."
    )
    after = {record["code"]: record for record in snapshot()}
    assert set(after) == set(before) | {"207LP4000X"}
    anesthesiology = after["207L00000X"]
    assert anesthesiology["definition"] == (
        "An anesthesiologist is trained to provide pain relief, and maintenance of a stable "
        "condition."
    )
    assert anesthesiology["nucc_notes"] == (
        "Source: American Board of Medical Specialties, 2007. [7/1/2007: added definition]"
    )
    assert anesthesiology["nucc_section"] == "Individual"
    assert anesthesiology["display_name"] == "Anesthesiology Physician"
    assert anesthesiology["source"] == f"{before['207L00000X']['source']}\n{SOURCE_LINE}"
    # Rows whose NUCC fields match the file, and rows the file does not list, are not touched.
    for code in set(before) - {"207L00000X"}:
        assert after[code] == before[code], code


def test_a_second_run_of_the_same_file_changes_nothing(content, tmp_path):
    path = write(tmp_path, NUTRITION, ANESTHESIOLOGY, GROUP)
    first = run(path)
    after_first = snapshot()

    second = run(path)

    assert "Nothing changed" not in first
    assert snapshot() == after_first
    assert second.strip() == (
        "NUCC taxonomy: 0 created, 0 updated, 3 unchanged, 11 not in the file (left alone). "
        "Nothing changed."
    )


def test_the_same_codes_in_a_file_of_another_name_change_nothing(content, tmp_path):
    run(write(tmp_path, NUTRITION, ANESTHESIOLOGY))
    after_first = snapshot()

    output = run(write(tmp_path, NUTRITION, ANESTHESIOLOGY, name="nucc_taxonomy_260.csv"))

    assert snapshot() == after_first
    assert "0 created, 0 updated, 2 unchanged" in output
    assert "nucc_taxonomy_260.csv" not in ProviderTaxonomy.objects.get(code="207L00000X").source


def test_a_changed_code_gains_the_source_line_of_its_file_only_once(tmp_path):
    run(write(tmp_path, row("207LP4000X", definition="First definition.")))
    output = run(write(tmp_path, row("207LP4000X", definition="Second definition.")))

    assert "0 created, 1 updated, 0 unchanged" in output
    record = ProviderTaxonomy.objects.get(code="207LP4000X")
    assert record.definition == "Second definition."
    assert record.source == SOURCE_LINE

    run(write(tmp_path, row("207LP4000X", definition="Third."), name="nucc_taxonomy_260.csv"))

    record.refresh_from_db()
    assert record.source.splitlines() == [
        SOURCE_LINE,
        "Source: NUCC Health Care Provider Taxonomy, v26.0 (file nucc_taxonomy_260.csv)",
    ]


def test_fixture_records_keep_their_curated_source_confidence_and_note(content, tmp_path):
    ProviderTaxonomy.objects.filter(code="207L00000X").update(
        confidence=Confidence.MEDIUM, note="An editor's caveat for readers."
    )
    curated = ProviderTaxonomy.objects.get(code="207L00000X")
    assert curated.note and curated.source  # editorial text

    run(write(tmp_path, ANESTHESIOLOGY))

    record = ProviderTaxonomy.objects.get(code="207L00000X")
    assert record.definition.startswith("An anesthesiologist is trained")
    assert record.confidence == Confidence.MEDIUM
    assert record.note == curated.note
    assert record.source.splitlines() == [*curated.source.splitlines(), SOURCE_LINE]


def test_lower_case_codes_and_stray_spaces_are_normalised(content, tmp_path):
    output = run(
        write(
            tmp_path,
            row(" 207l00000x ", grouping=" Allopathic & Osteopathic Physicians "),
            row("207lp4000x", specialization="Physician Nutrition Specialist  "),
        )
    )

    assert "1 created, 1 updated" in output
    assert ProviderTaxonomy.objects.filter(code__in=["207L00000X", "207LP4000X"]).count() == 2
    assert ProviderTaxonomy.objects.get(code="207L00000X").grouping == (
        "Allopathic & Osteopathic Physicians"
    )
    assert ProviderTaxonomy.objects.get(code="207LP4000X").specialization == (
        "Physician Nutrition Specialist"
    )


def test_columns_are_found_by_name_and_other_columns_are_ignored(tmp_path):
    # Some NUCC releases had unnamed columns; the order here is not the official one either.
    header = "Section,Display Name,Code,,Classification,Grouping,Specialization,Notes,Definition"
    line = "Non-Individual,Multi-Specialty Group,193200000X,,Multi-Specialty,Group,,[new],A group."

    run(write(tmp_path, line, header=header))

    record = ProviderTaxonomy.objects.get(code="193200000X")
    assert (record.grouping, record.classification, record.display_name) == (
        "Group",
        "Multi-Specialty",
        "Multi-Specialty Group",
    )
    assert (record.definition, record.nucc_notes, record.nucc_section) == (
        "A group.",
        "[new]",
        "Non-Individual",
    )


def test_a_file_with_windows_line_endings_stores_plain_line_breaks(tmp_path):
    run(write(tmp_path, NUTRITION, GROUP, newline="\r\n"))

    assert ProviderTaxonomy.objects.get(code="207LP4000X").definition == NUTRITION_DEFINITION
    assert ProviderTaxonomy.objects.get(code="193200000X").nucc_section == "Individual"


def test_a_cp1252_file_with_non_ascii_characters_loads(tmp_path):
    line = row("207LP4000X", definition="Alzheimer’s disease – and café nutrition.")
    path = write(tmp_path, line, encoding="cp1252")
    assert b"\x92" in path.read_bytes()  # the apostrophe, a byte that UTF-8 refuses

    run(path)

    definition = ProviderTaxonomy.objects.get(code="207LP4000X").definition
    assert definition == "Alzheimer’s disease – and café nutrition."


def test_a_utf8_file_with_a_byte_order_mark_loads(tmp_path):
    run(write(tmp_path, row("207LP4000X", definition="Alzheimer’s"), encoding="utf-8-sig"))

    assert ProviderTaxonomy.objects.get(code="207LP4000X").definition == "Alzheimer’s"


def test_verbosity_two_lists_the_changes_and_verbosity_zero_prints_nothing(content, tmp_path):
    path = write(tmp_path, NUTRITION, ANESTHESIOLOGY)
    detailed = run(path, verbosity=2)

    assert "Reading nucc_taxonomy_251.csv as UTF-8." in detailed
    assert "Created 207LP4000X Anesthesiology: Physician Nutrition Specialist" in detailed
    assert "Updated 207L00000X Anesthesiology: Definition, Notes, Section" in detailed
    assert run(path, verbosity=0) == ""


# Each bad file first lists a new code (on lines 2 to 4) and a changed fixture code (line 5), so
# an import that wrote row by row would leave traces; the bad line is line 6.
TEN = "A NUCC taxonomy code has ten characters: nine letters or digits, then X"
BAD_LINES = {
    "code of nine characters": (row("207L0000X"), f'line 6: Code "207L0000X": {TEN}'),
    "code of eleven characters": (row("207L000000X"), f'line 6: Code "207L000000X": {TEN}'),
    "code not ending in X": (row("207L00000Y"), f'line 6: Code "207L00000Y": {TEN}'),
    "code with a hyphen": (row("207L-0000X"), f'line 6: Code "207L-0000X": {TEN}'),
    "empty code": (row(""), "line 6: Code is empty."),
    "empty grouping": (row("207LX0000X", grouping=""), "line 6: Grouping is empty."),
    "blank classification": (
        row("207LX0000X", classification=" "),
        "line 6: Classification is empty.",
    ),
    "duplicate code": (row("207lp4000x"), 'line 6: Code "207LP4000X" is also on line 2.'),
    "missing field": (
        "207LX0000X,Group,Single Specialty,,,,",
        "line 6: 7 fields, but the header has 8",
    ),
    "unclosed quote": ('207LX0000X,Group,"Single,,,,,', "line 6: the CSV cannot be read"),
}


@pytest.mark.parametrize("bad_line, message", BAD_LINES.values(), ids=BAD_LINES.keys())
def test_a_bad_line_aborts_the_import_naming_the_line_and_changes_nothing(
    content, tmp_path, bad_line, message
):
    before = snapshot()
    path = write(tmp_path, NUTRITION, ANESTHESIOLOGY, bad_line, row("207LX0001X"))

    with pytest.raises(CommandError) as error:
        run(path)

    assert message in str(error.value)
    assert str(error.value).startswith(f"{FILE_NAME}, line 6:")
    assert str(error.value).endswith("Nothing was imported.")
    assert snapshot() == before


def test_a_missing_column_aborts_naming_the_column(content, tmp_path):
    before = snapshot()
    header = HEADER.removesuffix(",Section")
    path = write(tmp_path, NUTRITION.removesuffix(",Individual"), header=header)

    with pytest.raises(CommandError) as error:
        run(path)

    assert str(error.value).startswith(
        f'{FILE_NAME}, line 1: the header lacks the column "Section"'
    )
    assert snapshot() == before


def test_every_bad_line_is_reported_at_once(content, tmp_path):
    before = snapshot()
    path = write(tmp_path, row("207L0000X"), NUTRITION, row("207LX0000X", grouping=""))

    with pytest.raises(CommandError) as error:
        run(path)

    assert str(error.value).splitlines() == [
        f"{FILE_NAME}: 2 problems; nothing was imported.",
        '  line 2: Code "207L0000X": A NUCC taxonomy code has ten characters: nine letters or '
        "digits, then X (e.g. 207L00000X).",
        "  line 6: Grouping is empty.",
    ]
    assert snapshot() == before


def test_a_file_that_is_neither_utf8_nor_cp1252_aborts_naming_the_line(content, tmp_path):
    before = snapshot()
    path = write(tmp_path, ANESTHESIOLOGY, row("207LP4000X", definition="XX"))
    path.write_bytes(path.read_bytes().replace(b"XX", b"\x81"))  # undefined in both encodings

    with pytest.raises(CommandError) as error:
        run(path)

    assert str(error.value).startswith(f"{FILE_NAME}, line 3: byte 0x81 is neither UTF-8 nor")
    assert snapshot() == before


def test_a_file_that_does_not_exist_aborts(content, tmp_path):
    before = snapshot()

    with pytest.raises(CommandError, match="no such file"):
        run(tmp_path / "missing.csv")

    assert snapshot() == before


def test_an_empty_file_aborts(tmp_path):
    path = tmp_path / FILE_NAME
    path.write_bytes(b"")

    with pytest.raises(CommandError, match="line 1: the file is empty"):
        run(path)


def test_a_database_error_midway_rolls_back_the_whole_file(content, tmp_path, monkeypatch):
    before = snapshot()

    def refuse(*args, **kwargs):
        raise DatabaseError("disk I/O error")

    # The new code is created first; the update of 207L00000X then fails.
    monkeypatch.setattr(NaturalKeyManager, "bulk_update", refuse)
    with pytest.raises(CommandError, match="the database refused the import"):
        run(write(tmp_path, NUTRITION, ANESTHESIOLOGY))

    assert snapshot() == before


SHIPPED = Path(__file__).parent.parent / "fixtures" / "sources" / "nucc" / "nucc_taxonomy_251.csv"


def test_make_run_imports_the_shipped_taxonomy():
    makefile = (Path(__file__).parent.parent / "Makefile").read_text()
    assert "NUCC_FILE := fixtures/sources/nucc/nucc_taxonomy_251.csv" in makefile
    assert "import_nucc_taxonomy $(NUCC_FILE)" in makefile
    run = next(line for line in makefile.splitlines() if line.startswith("run:"))
    assert "taxonomies" in run.split()


def test_the_shipped_file_gives_the_whole_taxonomy_and_the_editors_records_stay(client, cpt_00620):
    kept = {t.code: (t.note, t.confidence) for t in ProviderTaxonomy.objects.all()}
    call_command("import_nucc_taxonomy", str(SHIPPED), verbosity=0)
    assert ProviderTaxonomy.objects.count() == 883
    for code, (note, confidence) in kept.items():
        record = ProviderTaxonomy.objects.get(code=code)
        assert (record.note, record.confidence) == (note, confidence), code
    linked = set(cpt_00620.taxonomy_links.values_list("taxonomy__code", flat=True))
    assert linked == {"207L00000X", "367500000X"}
    body = client.get("/taxonomies/").content.decode()
    assert "883" in body.replace(",", "")
    nurses = client.get(
        "/taxonomies/", {"classification": "Nurse Anesthetist, Certified Registered"}
    )
    assert "367500000X" in nurses.content.decode() and "207L00000X" not in nurses.content.decode()
    page = client.get("/taxonomies/367500000X/").content.decode()
    assert "Definition" in page and "unverified" not in page


def test_records_from_nuccs_file_carry_its_attribution():
    assert source_line(SHIPPED) == (
        "Source: NUCC Health Care Provider Taxonomy, v25.1 (file nucc_taxonomy_251.csv)"
    )
    assert (
        source_line(Path("codes.csv"))
        == "NUCC Health Care Provider Taxonomy code set, file codes.csv"
    )
