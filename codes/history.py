"""What changed, when, by whom, and going back: the article's history read from the history tables.

An article is its CptCode row and its parts (sections, links, policy updates, change log lines),
each with its own history table (django-simple-history). The admin saves the article row on
every save of its page, before the parts, so the article's history records mark the versions:
a version is an article record and the part records written after it, up to the next one.

Records loaded by fixtures have no history (loaddata saves raw). `record_baseline` writes their
current state once, just before the first edit in the admin, so that state can be shown and
restored like any other.
"""

import difflib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst

from .locking import EditConflict
from .models import (
    ArticleSection,
    ChangeLogEntry,
    CptCode,
    CptDiagnosis,
    CptModifier,
    CptPayer,
    CptTaxonomy,
    PolicyUpdate,
    RelatedCode,
)

# In the order the article's page shows them.
PART_MODELS = [
    ArticleSection,
    CptModifier,
    CptTaxonomy,
    CptDiagnosis,
    CptPayer,
    PolicyUpdate,
    RelatedCode,
    ChangeLogEntry,
]
# Bookkeeping every save changes: not worth showing, never restored.
BOOKKEEPING = {"id", "version", "updated_at", "edited_at"}
# The article's place in the review workflow: a revert restores content, never publishes or
# unpublishes (that stays a reviewer's act, CptCode.set_status).
WORKFLOW = {"status", "published_at", "published_by", "last_reviewed"}
BASELINE_REASON = "As it was before its first recorded edit"
# Longer text is shown as the words that changed, with a few words around them.
SHORT_TEXT = 80
CONTEXT_WORDS = 6


class RevertRefused(Exception):
    """The version cannot be restored; `problems` says why, one sentence each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(" ".join(problems))


# Reading values -----------------------------------------------------------------------------


def tracked_fields(model) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if f.name not in BOOKKEEPING]


def _linked(model, pk, cache: dict):
    """The record `pk` of `model` and whether it still exists: the live row, else its last
    recorded state. One query per record, remembered in `cache`."""
    if (model, pk) not in cache:
        obj = model._base_manager.filter(pk=pk).first()
        if obj is not None:
            cache[model, pk] = (obj, True)
        else:
            last = None
            if hasattr(model, "history"):
                last = model.history.filter(id=pk).order_by("-history_date").first()
            cache[model, pk] = (last.instance if last else None, False)
    return cache[model, pk]


def _label(model, pk, cache: dict) -> str:
    """How a linked record is named: its str, marked when it was deleted."""
    obj, exists = _linked(model, pk, cache)
    name = str(obj) if obj is not None else f"{model._meta.verbose_name} #{pk}"
    return name if exists else f"{name} (deleted)"


def display(model_field: models.Field, value, names: dict | None = None) -> str:
    """A field's value as an editor reads it: choice labels, linked records by name."""
    if value is None or value == "":
        return "(empty)"
    if model_field.is_relation:
        return _label(model_field.related_model, value, {} if names is None else names)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


@dataclass
class Change:
    """One field's change: `old` and `new` as text; long text also as the words that changed
    (`old_html`, `new_html`: escaped, with <del> and <ins> around the changed words)."""

    field: str
    old: str
    new: str
    name: str = ""  # the field's name, e.g. "body"
    old_html: str = ""
    new_html: str = ""

    def __str__(self):
        old, new = _shorten(self.old, self.new)
        return f"{self.field}: “{old}” → “{new}”"

    def shown(self) -> tuple[str, str]:
        """Old and new as a page shows them: the changed words marked, or both shortened."""
        if self.old_html and self.new_html:
            return self.old_html, self.new_html
        old, new = _shorten(self.old, self.new)
        return self.old_html or old, self.new_html or new


def _shorten(old: str, new: str) -> tuple[str, str]:
    """Both values cut to the part that differs, with a few words of context."""
    if len(old) <= SHORT_TEXT and len(new) <= SHORT_TEXT:
        return old, new
    a, b = old.split(), new.split()
    blocks = [op for op in difflib.SequenceMatcher(a=a, b=b).get_opcodes() if op[0] != "equal"]
    if not blocks:
        return old, new
    i1, i2 = blocks[0][1], blocks[-1][2]
    j1, j2 = blocks[0][3], blocks[-1][4]
    start_a, start_b = max(0, i1 - CONTEXT_WORDS), max(0, j1 - CONTEXT_WORDS)

    def cut(words, start, end):
        text = " ".join(words[start : end + CONTEXT_WORDS])
        return ("…" if start else "") + text + ("…" if end + CONTEXT_WORDS < len(words) else "")

    return cut(a, start_a, i2), cut(b, start_b, j2)


def _word_diff(old: str, new: str) -> tuple[str, str]:
    """Old and new text as HTML: unchanged runs longer than the context are elided, removed
    words in <del>, added ones in <ins>. Everything typed is escaped."""
    a, b = old.split(), new.split()
    old_parts, new_parts = [], []
    opcodes = difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()
    for n, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            words = a[i1:i2]
            if len(words) > 2 * CONTEXT_WORDS:
                head = words[:CONTEXT_WORDS] if n else []
                tail = words[-CONTEXT_WORDS:] if n < len(opcodes) - 1 else []
                words = [*head, "…", *tail]
            text = " ".join(words)
            old_parts.append(format_html("{}", text))
            new_parts.append(format_html("{}", text))
            continue
        if i2 > i1:
            old_parts.append(format_html("<del>{}</del>", " ".join(a[i1:i2])))
        if j2 > j1:
            new_parts.append(format_html("<ins>{}</ins>", " ".join(b[j1:j2])))
    join = lambda parts: format_html_join(" ", "{}", ((p,) for p in parts))  # noqa: E731
    return join(old_parts), join(new_parts)


def changes_between(old, new, names: dict | None = None) -> list[Change]:
    """The fields that differ between two states of one record (history records or model
    instances, in any mix), readably: verbose names, choice labels, linked records by name,
    long text as the words that changed. Bookkeeping fields (version, dates of saving) are
    left out. May query for the names of linked records; pass one `names` dict to reuse them."""
    if old is None or new is None:
        return []
    names = {} if names is None else names
    model = getattr(new, "instance_type", type(new))
    changes = []
    for model_field in tracked_fields(model):
        before, after = getattr(old, model_field.attname), getattr(new, model_field.attname)
        if before == after:
            continue
        change = Change(
            capfirst(str(model_field.verbose_name)),
            display(model_field, before, names),
            display(model_field, after, names),
            model_field.name,
        )
        text = isinstance(model_field, models.TextField)
        if text or len(change.old) > SHORT_TEXT or len(change.new) > SHORT_TEXT:
            if before and after:
                change.old_html, change.new_html = _word_diff(str(before), str(after))
        changes.append(change)
    return changes


# Baselines ----------------------------------------------------------------------------------


def record_baseline(objs, when=None) -> None:
    """Write a history record of each of `objs` that has none (loaded by a fixture), as it is
    now, so the first edit has something to be compared with and reverted to."""
    by_model: dict = {}
    for obj in objs:
        by_model.setdefault(type(obj), []).append(obj)
    when = when or timezone.now()
    for model, group in by_model.items():
        recorded = set(
            model.history.filter(id__in=[o.pk for o in group]).values_list("id", flat=True)
        )
        missing = [o for o in group if o.pk not in recorded]
        if missing:
            model.history.bulk_history_create(
                missing,
                update=True,
                default_date=when,
                default_change_reason=BASELINE_REASON,
                default_user=None,
            )


def record_article_baseline(cpt: CptCode) -> None:
    """`record_baseline` for an article and all its parts, at one moment."""
    parts = [obj for model in PART_MODELS for obj in model.objects.filter(cpt=cpt)]
    record_baseline([cpt, *parts])


# An article's versions ----------------------------------------------------------------------


@dataclass
class PartChange:
    """A part's record within a version: added, changed (with its changes) or deleted."""

    record: object
    kind: str  # "added", "changed", "deleted"
    label: str
    changes: list[Change] = field(default_factory=list)


@dataclass
class ArticleVersion:
    """An article record and the part records written after it, up to the next version."""

    record: object  # the article's history record
    changes: list[Change]
    parts: list[PartChange]

    @property
    def date(self):
        return self.record.history_date

    @property
    def user(self):
        return self.record.history_user

    @property
    def reason(self) -> str:
        return self.record.history_change_reason or ""

    @property
    def is_empty(self) -> bool:
        return not self.changes and not self.parts


def part_label(record, cache: dict) -> str:
    """ "Section “Clinical context”": what a part is, by its kind and its str (the records its
    str names come from `cache`, so a long history costs one query per linked record)."""
    obj = record.instance if hasattr(record, "instance_type") else record
    model = type(obj)
    for model_field in model._meta.concrete_fields:
        pk = getattr(obj, model_field.attname)
        if model_field.is_relation and pk is not None:
            linked, _ = _linked(model_field.related_model, pk, cache)
            if linked is not None:
                setattr(obj, model_field.name, linked)
    return f"{capfirst(model._meta.verbose_name)} “{obj}”"


def _part_records(cpt: CptCode) -> list:
    """Every history record of the article's parts, oldest first: one query per part model."""
    records = []
    for model in PART_MODELS:
        rows = model.history.filter(cpt_id=cpt.pk).select_related("history_user")
        records.extend(rows)
    records.sort(key=lambda r: (r.history_date, r.history_id))
    return records


def article_versions(cpt: CptCode) -> list[ArticleVersion]:
    """The article's versions, newest first, each with what changed in the article and in its
    parts (field by field). Queries: the article's history, one per part model, and the names
    of linked records that changed."""
    article_records = list(
        cpt.history.select_related("history_user").order_by("history_date", "history_id")
    )
    names: dict = {}
    previous_part: dict = {}
    versions: list[ArticleVersion] = []
    part_records = iter(_part_records(cpt))
    pending = next(part_records, None)
    for n, record in enumerate(article_records):
        previous = article_records[n - 1] if n else None
        end = article_records[n + 1].history_date if n + 1 < len(article_records) else None
        parts = []
        while pending is not None and (end is None or pending.history_date < end):
            key = (pending.instance_type, pending.id)
            before = previous_part.get(key)
            if pending.history_type == "+":
                parts.append(PartChange(pending, "added", part_label(pending, names)))
            elif pending.history_type == "-":
                parts.append(PartChange(pending, "deleted", part_label(pending, names)))
            elif before is not None:
                if changes := changes_between(before, pending, names):
                    label = part_label(pending, names)
                    parts.append(PartChange(pending, "changed", label, changes))
            previous_part[key] = pending
            pending = next(part_records, None)
        versions.append(ArticleVersion(record, changes_between(previous, record, names), parts))
    versions.reverse()
    return versions


# The article at a moment --------------------------------------------------------------------


@dataclass
class ArticleState:
    """An article and its parts as they were at `when`: history records (or, for a record never
    changed since it was loaded, the record itself). `unknown` are parts whose state then was
    not recorded; a revert leaves them as they are."""

    when: datetime
    article: object
    parts: dict  # model -> {id: record or instance}
    unknown: set = field(default_factory=set)  # (model, id)


def article_as_of(cpt: CptCode, when: datetime) -> ArticleState:
    """The article and every part as they were at `when`, from the history tables. Queries:
    the article's last record before `when` and one per part model."""
    article = cpt.history.filter(history_date__lte=when).order_by("-history_date").first()
    if article is None:
        article = cpt  # no history before then: unchanged since it was loaded
    parts, unknown = {}, set()
    for model in PART_MODELS:
        latest: dict = {}
        first_after: dict = {}
        for record in model.history.filter(cpt_id=cpt.pk).order_by("history_date", "history_id"):
            if record.history_date <= when:
                latest[record.id] = record
            else:
                first_after.setdefault(record.id, record)
        state = {pk: r for pk, r in latest.items() if r.history_type != "-"}
        for pk, record in first_after.items():
            if pk not in latest and record.history_type != "+":
                unknown.add((model, pk))  # it existed then, but its state was not recorded
        recorded = latest.keys() | first_after.keys()
        for obj in model.objects.filter(cpt=cpt).exclude(pk__in=recorded):
            state[obj.pk] = obj  # never changed since it was loaded
        parts[model] = state
    return ArticleState(when, article, parts, unknown)


def version_end(record) -> datetime:
    """The last moment of the version an article record starts: just before the next one."""
    following = (
        type(record)
        ._default_manager.filter(id=record.id, history_date__gt=record.history_date)
        .order_by("history_date")
        .first()
    )
    return following.history_date - timedelta(microseconds=1) if following else timezone.now()


# Reverting ----------------------------------------------------------------------------------


@dataclass
class PartAction:
    kind: str  # "restore", "recreate", "delete"
    label: str
    model: type
    pk: int
    target: object = None  # the state to restore (history record), None to delete
    changes: list[Change] = field(default_factory=list)

    @property
    def description(self) -> str:
        return {
            "restore": "restored",
            "recreate": "re-created (deleted since)",
            "delete": "deleted (added since)",
        }[self.kind]


@dataclass
class RevertPlan:
    """What reverting the article to `when` changes; `problems` are what it cannot restore."""

    cpt: CptCode
    when: datetime
    target: object  # the article's history record, or the article when it had none
    reason: str
    article_changes: list[Change] = field(default_factory=list)
    actions: list[PartAction] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return bool(self.article_changes or self.actions)


def _missing_links(obj, label: str) -> list[str]:
    """Sentences naming the records `obj` (a history record) links to that no longer exist."""
    problems = []
    for model_field in tracked_fields(obj.instance_type):
        if not model_field.is_relation or model_field.name == "cpt":
            continue
        pk = getattr(obj, model_field.attname)
        if pk is None or model_field.related_model._base_manager.filter(pk=pk).exists():
            continue
        name = _label(model_field.related_model, pk, {})
        problems.append(
            f"{label}: its {model_field.verbose_name} {name} no longer exists. Add it again "
            "(or restore it from its own history) first."
        )
    return problems


def revert_reason(record) -> str:
    """ "Reverted to the version of 2026-11-29 14:02 by alice": the history's reason for a
    revert to `record` (a history record)."""
    text = f"Reverted to the version of {timezone.localtime(record.history_date):%Y-%m-%d %H:%M}"
    return f"{text} by {record.history_user}" if record.history_user else text


def _reason(record, when) -> str:
    if record is None:
        return f"Reverted to the state of {timezone.localtime(when):%Y-%m-%d %H:%M}"
    return revert_reason(record)


def plan_revert(cpt: CptCode, version) -> RevertPlan:
    """What reverting to `version` (an article history id, or a moment) would change, and what
    it cannot restore. Queries the history tables; writes nothing."""
    if isinstance(version, datetime):
        record, when = None, version
    else:
        record = cpt.history.get(history_id=version)
        when = version_end(record)
    state = article_as_of(cpt, when)
    plan = RevertPlan(cpt, when, state.article, _reason(record, when))
    names: dict = {}
    content = [c for c in changes_between(cpt, state.article, names)]
    workflow_labels = {capfirst(str(cpt._meta.get_field(f).verbose_name)) for f in WORKFLOW}
    plan.article_changes = [c for c in content if c.field not in workflow_labels]
    if plan.article_changes and state.article is not cpt:
        plan.problems += _missing_links(state.article, f"The article {cpt}")
    for model in PART_MODELS:
        current = {obj.pk: obj for obj in model.objects.filter(cpt=cpt)}
        then = state.parts[model]
        for pk, obj in current.items():
            if (model, pk) in state.unknown:
                continue
            if pk not in then:
                plan.actions.append(PartAction("delete", part_label(obj, names), model, pk))
            else:
                changes = changes_between(obj, then[pk], names)
                if changes:
                    label = part_label(obj, names)
                    plan.actions.append(PartAction("restore", label, model, pk, then[pk], changes))
                    plan.problems += _missing_links(then[pk], label)
        for pk, record in then.items():
            if pk not in current:
                label = part_label(record, names)
                plan.actions.append(PartAction("recreate", label, model, pk, record))
                plan.problems += _missing_links(record, label)
    return plan


def _as_user(obj, user, reason):
    obj._history_user = user
    obj._change_reason = reason
    return obj


def revert_article(cpt: CptCode, version, user) -> RevertPlan:
    """Restore the article and its parts to `version` (an article history id, or a moment), in
    one transaction: parts changed since are restored, parts deleted since are re-created,
    parts added since are deleted; the article's workflow fields (status, publication) stay.
    Every write goes through a model instance, so versions go up and the history records the
    revert, with `user` and a reason naming the version. Raises RevertRefused, writing nothing,
    when a part links to a record that no longer exists or the restored rows clash with
    others. Returns the plan it carried out (nothing to do: nothing written)."""
    with transaction.atomic():
        cpt = CptCode.objects.select_for_update().get(pk=cpt.pk)
        plan = plan_revert(cpt, version)
        if plan.problems:
            raise RevertRefused(plan.problems)
        if not plan.has_changes:
            return plan
        try:
            with transaction.atomic():
                _carry_out(plan, user)
        except IntegrityError as error:
            raise RevertRefused(
                [
                    "The restored records clash with the article's current ones (the same "
                    f"slug, link or date twice): {error}. Nothing was changed."
                ]
            ) from error
        except EditConflict as conflict:
            raise RevertRefused([f"{conflict} Try again."]) from conflict
    return plan


def _carry_out(plan: RevertPlan, user) -> None:
    cpt, reason = plan.cpt, plan.reason
    # The article first: its record marks the revert as a version of its own.
    for model_field in tracked_fields(CptCode):
        if model_field.name not in WORKFLOW and plan.target is not cpt:
            setattr(cpt, model_field.attname, getattr(plan.target, model_field.attname))
    _as_user(cpt, user, reason).save()
    order = {"delete": 0, "restore": 1, "recreate": 2}  # free slugs and pairs before reuse
    for action in sorted(plan.actions, key=lambda a: order[a.kind]):
        if action.kind == "delete":
            _as_user(action.model.objects.get(pk=action.pk), user, reason).delete()
        elif action.kind == "restore":
            obj = action.model.objects.get(pk=action.pk)
            for model_field in tracked_fields(action.model):
                setattr(obj, model_field.attname, getattr(action.target, model_field.attname))
            _as_user(obj, user, reason).save()
        else:
            obj = action.target.instance
            last = action.model.history.filter(id=action.pk).aggregate(v=models.Max("version"))
            obj.version = (last["v"] or 0) + 1
            _as_user(obj, user, reason).save(force_insert=True)


# Conflicts ----------------------------------------------------------------------------------


@dataclass
class Conflict:
    """Who changed a record since an editor opened `opened`, when, and what."""

    who: str
    when: datetime | None
    changes: list[Change]
    recorded: bool  # whether the opened version is in the history

    def touches(self, names) -> bool:
        """Whether their changes include any of the fields `names` (those a form would save);
        when the opened version is not recorded, assume so."""
        return not self.recorded or any(change.name in names for change in self.changes)

    def sentences(self, instance) -> list[str]:
        name = instance._meta.verbose_name
        when = f" on {timezone.localtime(self.when):%Y-%m-%d at %H:%M}" if self.when else ""
        lines = [
            f"{self.who} changed this {name}{when}, after you opened the page. Nothing was saved."
        ]
        if self.changes:
            lines.append("Their changes: " + "; ".join(str(c) for c in self.changes) + ".")
        elif not self.recorded:
            lines.append("What it was before their change is not recorded.")
        lines.append(
            "Your changes are still in the form. Saving again replaces their changes with what "
            "the form holds; to keep theirs instead, note your changes and reload the page."
        )
        return lines


def describe_conflict(instance, opened: int) -> Conflict:
    """Compare the version an editor opened with the record's current one (from history)."""
    records = list(
        instance.history.filter(version__gte=opened)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    base = next((r for r in reversed(records) if r.version == opened), None)
    newer = [r for r in records if r.version > opened]
    users = []
    for record in newer:
        name = record.history_user.get_username() if record.history_user else "Someone"
        if name not in users:
            users.append(name)
    who = " and ".join(users) if users else "Another editor"
    latest = newer[-1] if newer else None
    changes = changes_between(base, latest) if base and latest else []
    return Conflict(who, latest.history_date if latest else None, changes, base is not None)
