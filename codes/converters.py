"""Path converters: a URL part that cannot be a code never reaches a view (it gets the 404 page).

Each accepts the forms a person types (lower case, a missing leading zero, an ICD-10-CM code
without its dot) and hands the view the code's canonical form; `paths.canonical_address` then
sends the reader to the canonical address with a 301. Addresses built by `reverse` are canonical.
"""

from .models import Icd10Code


class CodeConverter:
    regex = "[0-9A-Za-z]+"

    @staticmethod
    def canonical(value: str) -> str:
        return value.upper()

    def to_python(self, value):
        return self.canonical(value)

    def to_url(self, value):
        return self.canonical(str(value))


class CptCodeConverter(CodeConverter):
    # 00620, also 620; 0213T, also 0213t or 213T.
    regex = "[0-9]{1,4}[0-9FTUftu]"

    @staticmethod
    def canonical(value: str) -> str:
        return value.upper().zfill(5)


class ModifierConverter(CodeConverter):
    regex = "[0-9A-Za-z]{2}"


class TaxonomyConverter(CodeConverter):
    regex = "[0-9A-Za-z]{9}[Xx]"


class Icd10Converter(CodeConverter):
    # A code (M48.04, also typed M4804), a block (M45-M49) or a chapter (13, also 013).
    regex = (
        r"[A-Za-z][0-9A-Za-z]{2}(?:\.?[0-9A-Za-z]{1,4})?"
        r"|[A-Za-z][0-9A-Za-z]{2}-[A-Za-z][0-9A-Za-z]{2}"
        r"|0?[0-9]{1,2}"
    )

    @staticmethod
    def canonical(value: str) -> str:
        # Chapters are numbered as the tabular list numbers them: 1 to 22, no leading zero.
        return str(int(value)) if value.isdigit() else Icd10Code.canonical(value)


class PlaceOfServiceConverter(CodeConverter):
    # 01, also 1.
    regex = "[0-9]{1,2}"

    @staticmethod
    def canonical(value: str) -> str:
        return value.zfill(2)


class PayerSlugConverter(CodeConverter):
    # Slugs are written in lower case (the admin derives them from the name); Medicare finds
    # medicare.
    regex = "[-a-zA-Z0-9_]+"

    @staticmethod
    def canonical(value: str) -> str:
        return value.lower()
