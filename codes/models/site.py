"""Records the site derives from the content, written by database triggers only: the search
index and the content version."""

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q


class SearchEntry(models.Model):
    """A row of the search index: one per searchable record, written only by database triggers
    (migration 0004_search). On SQLite the table is an FTS5 table without `vector`; codes/search.py
    reads it with SQL there and through this model on PostgreSQL."""

    pk = models.CompositePrimaryKey("kind", "ref")
    kind = models.CharField(max_length=10)
    ref = models.BigIntegerField()  # the record's id
    code = models.TextField()  # the key of its URL: a code, or a payer's slug
    title = models.TextField()
    body = models.TextField()
    detail = models.TextField()  # a short label shown with the result, e.g. "Billable"
    vector = SearchVectorField(editable=False)  # PostgreSQL only

    class Meta:
        managed = False
        db_table = "codes_search"

    def __str__(self):
        return f"{self.kind} {self.code}"


class ContentVersion(models.Model):
    """One row counting the changes to the content: database triggers (migration
    0005_content_version) add one on every insert, update and delete of a content table, so
    cached pages and their ETags follow admin saves, bulk updates and imports alike."""

    number = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(help_text="When the content last changed.")

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="codes_contentversion_one")]

    def __str__(self):
        return f"content version {self.number} of {self.changed_at:%Y-%m-%d %H:%M:%S}"
