"""What editors record about an article over time: payers' policy updates and the public change
log."""

from django.db import models
from django.utils import timezone

from .articles import ArticlePart, CptCode
from .base import NaturalKeyManager, SourceLink, published, source_links
from .reference import Payer


class PolicyUpdateQuerySet(models.QuerySet):
    def listed(self):
        """The policy updates of published articles, newest first."""
        rows = self.filter(published("cpt__")).select_related("cpt", "payer")
        return rows.order_by("-date", "-pk")


class PolicyUpdate(ArticlePart):
    """A dated change in a payer's policy for a code, as editors record it."""

    NATURAL_KEY = ("cpt__code", "payer__slug", "date", "summary")

    cpt = models.ForeignKey(CptCode, on_delete=models.CASCADE, related_name="policy_updates")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="policy_updates")
    date = models.DateField(help_text="When the change takes effect, or was announced.")
    summary = models.CharField(max_length=300, help_text="What changed, in one sentence.")
    reference = models.TextField(
        blank=True, help_text="The payer's notice or policy: a URL or a citation, one per line."
    )

    objects = NaturalKeyManager.from_queryset(PolicyUpdateQuerySet)()

    class Meta:
        ordering = ["-date", "payer__name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["cpt", "payer", "date", "summary"], name="codes_policyupdate_unique"
            )
        ]

    def __str__(self):
        return f"{self.cpt.code}, {self.payer.name}, {self.date:%Y-%m-%d}: {self.summary}"

    def get_absolute_url(self):
        return f"{self.cpt.get_absolute_url()}#policy-updates"

    def natural_key(self):
        return super().natural_key()

    natural_key.dependencies = ["codes.cptcode", "codes.payer"]

    def source_links(self) -> list[SourceLink]:
        return source_links(self.reference)


class ChangeLogEntry(ArticlePart):
    """A dated line of an article's public change log ("Added Aetna's 2026 policy")."""

    NATURAL_KEY = ("cpt__code", "date", "summary")

    cpt = models.ForeignKey(CptCode, on_delete=models.CASCADE, related_name="change_log")
    date = models.DateField(default=timezone.localdate)
    summary = models.CharField(max_length=300, help_text="What changed, for readers.")

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = "change log entry"
        verbose_name_plural = "change log entries"
        constraints = [
            models.UniqueConstraint(
                fields=["cpt", "date", "summary"], name="codes_changelogentry_unique"
            )
        ]

    def __str__(self):
        return f"{self.cpt.code}, {self.date:%Y-%m-%d}: {self.summary}"

    def natural_key(self):
        return super().natural_key()

    natural_key.dependencies = ["codes.cptcode"]
