"""The ICD-10-CM tabular list's instructional notes, as a coder reads them: pure functions, no
Django.

import_icd10cm stores each entry's own notes (`Icd10Code.notes`: a dict of the kinds below, each a
list of texts, and the 7th-character definition of the category that has one, as pairs of
character and meaning in the book's order). A page shows them
grouped by kind in the book's order, with the notes the entry inherits from its category, block
and chapter, marked with where they come from: the book's rule is that a note applies to
everything below the entry that carries it. Inclusion terms describe their own entry only and are
not inherited.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

# Kind -> heading and what it means for the claim, in the book's order.
NOTE_KINDS: dict[str, tuple[str, str]] = {
    "includes": (
        "Includes",
        "Conditions this entry covers, to further define it or give examples.",
    ),
    "inclusion_terms": (
        "Inclusion terms",
        "Other conditions coded here: synonyms or conditions of the same kind. The list is not "
        "exhaustive.",
    ),
    "excludes1": (
        "Excludes1",
        "Not coded here: the two conditions are never coded together on a claim. The exception "
        "the guidelines allow: the two conditions are unrelated to each other.",
    ),
    "excludes2": (
        "Excludes2",
        "Not part of this condition: a patient may have both, and both may be coded together.",
    ),
    "code_first": (
        "Code first",
        "This condition is coded after the underlying condition, which is listed first on the "
        "claim.",
    ),
    "use_additional_code": (
        "Use additional code",
        "Add a code for the associated condition or detail, listed after this one.",
    ),
    "code_also": (
        "Code also",
        "A second code may be needed; the circumstances decide which is listed first.",
    ),
    "notes": ("Notes", "Instructions of the tabular list that apply to this entry."),
}
INHERITED = tuple(kind for kind in NOTE_KINDS if kind != "inclusion_terms")
SEVENTH_DEF, SEVENTH_NOTE = "seven_chr_def", "seven_chr_note"
PLACEHOLDER = "X"

# A code or range inside a note: A00, M50.-, H35.0-, S23.0, O10-O11, C7A, M1A.0, C00-C96.
REFERENCE = re.compile(
    r"(?<![0-9A-Za-z.])([A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?)(\.?-|-[A-Z][0-9][0-9A-Z]"
    r"(?:\.[0-9A-Z]{1,4})?)?(?![0-9A-Za-z])"
)


@dataclass(frozen=True)
class Piece:
    """A piece of a note's text; `code` is the entry it names (the page links it if the site has
    it). A range names its block, and its two ends for when there is no such block."""

    text: str
    code: str = ""
    ends: tuple[str, ...] = ()


@dataclass(frozen=True)
class Note:
    """A note as shown: its pieces, and the entry it comes from when inherited ("" if its own)."""

    pieces: tuple[Piece, ...]
    source: str = ""


@dataclass(frozen=True)
class Group:
    kind: str
    heading: str
    meaning: str
    notes: tuple[Note, ...]


@dataclass(frozen=True)
class SeventhCharacter:
    """The 7th-character table that applies to an entry: where it is defined, its characters and
    their meaning, the entry's own character (for a 7-character code), and whether the code uses
    the placeholder X to reach the 7th place."""

    source: str
    note: str
    characters: tuple[tuple[str, str], ...]
    own: str = ""
    placeholder: bool = False


def bare(code: str) -> str:
    return code.replace(".", "")


@lru_cache(maxsize=16384)
def pieces(text: str) -> tuple[Piece, ...]:
    """The note's text, with each code and range it names as its own piece: `M50.-` names M50,
    `H35.0-` H35.0, `O10-O11` the block O10-O11 (or, without one, O10 and O11). Remembered: a
    chapter's notes are read again by every code page under it."""
    found: list[Piece] = []
    at = 0
    for match in REFERENCE.finditer(text):
        first, tail = match.group(1), match.group(2) or ""
        if at < match.start():
            found.append(Piece(text[at : match.start()]))
        if len(tail) > 1 and tail.startswith("-"):
            found.append(Piece(match.group(0), f"{first}{tail}", (first, tail[1:])))
        else:
            found.append(Piece(match.group(0), first))
        at = match.end()
    if at < len(text):
        found.append(Piece(text[at:]))
    return tuple(found)


def linked(note: tuple[Piece, ...], known: set[str]) -> tuple[Piece, ...]:
    """The pieces with a `code` only where the site has the entry: a range without its block
    becomes its two ends, each linked if the site has it."""
    result: list[Piece] = []
    for piece in note:
        if not piece.code or piece.code in known:
            result.append(piece)
        elif piece.ends:
            first, last = piece.ends
            result.append(Piece(first, first if first in known else ""))
            result.append(Piece("-"))
            result.append(Piece(last, last if last in known else ""))
        else:
            result.append(Piece(piece.text))
    return tuple(result)


def references(own: dict, ancestors: list[tuple[str, dict]]) -> set[str]:
    """Every code and range that the notes `groups` shows name: the candidates for links."""
    names = set()
    shown = [(own, NOTE_KINDS), *((notes, INHERITED) for _, notes in ancestors)]
    for notes, kinds in shown:
        for kind in kinds:
            for text in notes.get(kind, ()):
                for piece in pieces(text):
                    names.update({piece.code, *piece.ends} - {""})
    return names


def groups(
    own: dict,
    ancestors: list[tuple[str, dict]],
    known: set[str],
    inherited: dict[str, tuple[Note, ...]] | None = None,
) -> list[Group]:
    """The notes that apply to an entry, by kind in the book's order: its own first, then those
    of its ancestors from the nearest up (`ancestors` is chapter first, as breadcrumbs are). The
    codes they name carry a `code` where `known` holds them (see `references`). `inherited`:
    the ancestors' notes as `inherited_notes` gives them, if already at hand."""
    if inherited is None:
        inherited = inherited_notes(ancestors, known)
    result = []
    for kind, (heading, meaning) in NOTE_KINDS.items():
        notes = [Note(linked(pieces(text), known)) for text in own.get(kind, ())]
        notes.extend(inherited.get(kind, ()))
        if notes:
            result.append(Group(kind, heading, meaning, tuple(notes)))
    return result


def inherited_notes(ancestors: list[tuple[str, dict]], known: set[str]) -> dict[str, tuple]:
    """The notes an entry inherits, by kind: those of its ancestors that apply below them, from
    the nearest up, each marked with where it comes from; the same for every entry below."""
    result = {}
    for kind in INHERITED:
        notes = tuple(
            Note(linked(pieces(text), known), code)
            for code, notes_of in reversed(ancestors)
            for text in notes_of.get(kind, ())
        )
        if notes:
            result[kind] = notes
    return result


def seventh_character(
    code: str, own: dict, ancestors: list[tuple[str, dict]]
) -> SeventhCharacter | None:
    """The 7th-character table of the nearest entry (itself or above) that defines one."""
    for source, notes in [(code, own), *reversed(ancestors)]:
        table = notes.get(SEVENTH_DEF)
        if table:
            digits = bare(code)
            own_character = digits[6] if len(digits) == 7 else ""
            return SeventhCharacter(
                source=source,
                note=notes.get(SEVENTH_NOTE, ""),
                characters=tuple((character, meaning) for character, meaning in table),
                own=own_character,
                placeholder=bool(own_character) and PLACEHOLDER in digits[3:6],
            )
    return None


def search_terms(notes: dict) -> str:
    """The words of the book that find an entry: its Includes and inclusion terms, a line each."""
    return "\n".join([*notes.get("includes", ()), *notes.get("inclusion_terms", ())])
