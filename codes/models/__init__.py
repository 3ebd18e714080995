"""The models of the codes app, by subject: what they share (base), the public code sets
(reference), what anesthesia pays (payment), CPT codes with their articles (articles), what
editors record over time (editorial) and what the site derives from the content (site). Every
kind of content is declared once, with its listing, search document and editors' rights, in
codes/kinds.py.

Every model has a natural key so fixtures name codes, never numeric ids, a version that refuses a
save based on a stale copy (codes/locking.py) and a history of its changes (django-simple-history).
"""

from ..locking import VersionField
from .articles import (
    ArticlePart,
    ArticleSection,
    CptCode,
    CptDiagnosis,
    CptLink,
    CptModifier,
    CptPayer,
    CptTaxonomy,
    RelatedCode,
)
from .base import (
    CPT_CODE_PATTERN,
    ICD10_PATTERN,
    MARKDOWN,
    MODIFIER_PATTERN,
    POS_PATTERN,
    PUBLISHED,
    TAXONOMY_PATTERN,
    CodeField,
    Confidence,
    NaturalKeyManager,
    NaturalKeyModel,
    SourcedRecord,
    SourceLink,
    published,
    published_sql,
    source_links,
    taxonomy_name,
)
from .editorial import ChangeLogEntry, PolicyUpdate
from .payment import (
    INDEX_COLUMNS,
    BaseUnit,
    ConversionFactor,
    PayerRule,
    QualifyingCircumstance,
)
from .reference import (
    LISTED,
    CodeSetRelease,
    Icd10Code,
    Modifier,
    Payer,
    PlaceOfService,
    ProviderTaxonomy,
)
from .site import ContentVersion, SearchEntry

__all__ = [
    "CPT_CODE_PATTERN",
    "ICD10_PATTERN",
    "LISTED",
    "MARKDOWN",
    "MODIFIER_PATTERN",
    "POS_PATTERN",
    "PUBLISHED",
    "TAXONOMY_PATTERN",
    "INDEX_COLUMNS",
    "ArticlePart",
    "BaseUnit",
    "ArticleSection",
    "ChangeLogEntry",
    "CodeField",
    "Confidence",
    "ConversionFactor",
    "ContentVersion",
    "CptCode",
    "CptDiagnosis",
    "CptLink",
    "CptModifier",
    "CptPayer",
    "CptTaxonomy",
    "CodeSetRelease",
    "Icd10Code",
    "Modifier",
    "NaturalKeyManager",
    "NaturalKeyModel",
    "Payer",
    "PayerRule",
    "PlaceOfService",
    "PolicyUpdate",
    "ProviderTaxonomy",
    "QualifyingCircumstance",
    "RelatedCode",
    "SearchEntry",
    "SourceLink",
    "SourcedRecord",
    "VersionField",
    "published",
    "published_sql",
    "source_links",
    "taxonomy_name",
]
