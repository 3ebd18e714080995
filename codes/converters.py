"""Path converters: a URL part that cannot be a code never reaches a view (it gets the 404 page).

They accept lower case so that a code typed by hand still arrives; the views then redirect to the
canonical upper-case address.
"""


class CptCodeConverter:
    regex = "[0-9]{4}[0-9FTUftu]"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return str(value)


class ModifierConverter(CptCodeConverter):
    regex = "[0-9A-Za-z]{2}"


class TaxonomyConverter(CptCodeConverter):
    regex = "[0-9A-Za-z]{9}[Xx]"


class Icd10Converter(CptCodeConverter):
    # A code (M48.04, also typed M4804), a block (M45-M49) or a chapter (13).
    regex = (
        r"[A-Za-z][0-9A-Za-z]{2}(?:\.?[0-9A-Za-z]{1,4})?"
        r"|[A-Za-z][0-9A-Za-z]{2}-[A-Za-z][0-9A-Za-z]{2}"
        r"|[0-9]{1,2}"
    )


class PlaceOfServiceConverter(CptCodeConverter):
    regex = "[0-9]{2}"
