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
    regex = r"[A-Za-z][0-9][0-9A-Za-z](?:\.?[0-9A-Za-z]{1,4})?"


class PlaceOfServiceConverter(CptCodeConverter):
    regex = "[0-9]{2}"
