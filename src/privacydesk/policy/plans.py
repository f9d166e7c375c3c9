"""Request plans: access, rectification, restriction, erasure and retention as recorded steps.

One plan per request (Art. 15-18 GDPR) or retention sweep (Art. 5(1)(e)), persisted as a
``Plan`` with one ``PlanStep`` per source (P12, P14):

1. *find*: every source's keys are resolved first, parents before children (a vault item is
   found through its job, a TOTP device through its user), and stored in the steps, with the
   keys a legal hold keeps set apart;
2. *act*: the steps run children before parents, each in its own transaction together with
   its outcome and its audit entry. Nothing can lose another step's rows: they were found
   before anything changed. A step that raised is marked failed and the plan stops; running
   the plan again retries it and skips every finished step.

A source whose *find* raises stops the plan before anything acts: the plan is stored with one
failed step for that source (position 0, the find phase), so the request shows which source
failed, and :class:`StepFailed` is raised. Running the plan again redoes the whole find phase.

An erasure restricts (Art. 18(1)(c), 17(3)) what it keeps, where the source declares a
``restrict_field``: the rows a legal duty keeps (``keep``) and those a legal hold keeps are
marked restricted, stored but not used.

Access (``export``) reads, so its steps run again on every run and return the rows.
Objection (``object``, Art. 21) has a step for every source that acts on an objection
(``registry.handles_objection``), and only for those, even where it found no row: a
suppression list takes the identifiers of a person it never held.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from privacydesk.audit.services import link_subject, record, subject_ref
from privacydesk.policy import holds
from privacydesk.policy.models import Plan, PlanStep
from privacydesk.spine import registry
from privacydesk.spine.registry import Key, Source, Subject

VERBS = tuple(Plan.Verb.values)
#: Verbs that change rows: a legal hold keeps rows out of these.
_ERASING = {Plan.Verb.ERASE, Plan.Verb.EXPIRE}
_FINAL = {PlanStep.Status.DONE, PlanStep.Status.HELD, PlanStep.Status.KEPT}


class StepFailed(RuntimeError):
    """A step raised; it is recorded as failed and retried when the plan runs again."""

    def __init__(self, plan: Plan, source: str) -> None:
        super().__init__(f"plan {plan.key}: step {source} failed")
        self.plan = plan
        self.source = source


@dataclass
class PlanRun:
    """A plan after a run: its steps and, per source, the rows exported or changed."""

    plan: Plan
    results: dict[str, Any] = field(default_factory=dict)

    @property
    def steps(self) -> list[PlanStep]:
        return list(self.plan.steps.order_by("position"))

    @property
    def counts(self) -> dict[str, int]:
        return {s.source: s.rows for s in self.steps if s.rows}


def run(
    verb: str,
    subjects: Iterable[Subject] = (),
    *,
    key: str,
    actor: str,
    cutoffs: Mapping[str, datetime] | None = None,
    changes: Mapping[str, Mapping[str, Any]] | None = None,
    rectified: Subject | None = None,
) -> PlanRun:
    """Run the plan ``key`` (created with its find phase on the first call, resumed after).

    ``cutoffs`` (retention, per source label) drive ``expire``; ``changes`` (per source label)
    and ``rectified`` (the corrected identifier: every source's field for that kind takes it,
    and the old reference is linked to the new one) drive ``rectify``.
    """
    subjects = list(subjects)
    plan = prepare(verb, subjects, key=key, actor=actor, cutoffs=cutoffs)
    if verb == Plan.Verb.RECTIFY and rectified is not None:
        for subject in subjects:
            if subject.kind == rectified.kind:
                _link_once(subject, rectified, actor)
    return execute(plan, actor=actor, changes=changes or {}, rectified=rectified, subjects=subjects)


def prepare(
    verb: str,
    subjects: Iterable[Subject] = (),
    *,
    key: str,
    actor: str,
    cutoffs: Mapping[str, datetime] | None = None,
) -> Plan:
    """The plan ``key``: loaded if it exists, else found and stored before anything acts."""
    if verb not in VERBS:
        raise ValueError(f"unknown verb {verb!r}")
    existing = Plan.objects.filter(key=key).first()
    if existing is not None:
        if existing.verb != verb:
            raise ValueError(f"plan {key} is a {existing.verb} plan, not {verb}")
        if not existing.steps.filter(position=FIND_POSITION).exists():
            return existing
        # the find phase failed last time: it runs again, whole
    subjects = list(subjects)
    ref = subject_ref(subjects[0].kind, subjects[0].value) if subjects else ""
    if verb != Plan.Verb.EXPIRE and not subjects:
        raise ValueError("a request plan needs a data subject")
    try:
        if verb == Plan.Verb.EXPIRE:
            found = {}
            for src in registry.sources():
                if cutoffs and src.label in cutoffs:
                    with _finding(src):
                        found[src.label] = src.expired(cutoffs[src.label])
        else:
            found = _objecting(subjects) if verb == Plan.Verb.OBJECT else None
            if found is None:
                found = _find_all(subjects)
    except _FindFailed as failed:
        plan = _find_failed(existing, key, verb, ref, actor, failed)
        raise StepFailed(plan, failed.source) from failed.__cause__
    kept = holds.held_keys() if verb in _ERASING else {}
    order = registry.sources()
    if verb != Plan.Verb.EXPORT:
        order = list(reversed(order))  # children before parents
    with transaction.atomic():
        if existing is not None:
            existing.steps.all().delete()
            plan = existing
        else:
            plan = Plan.objects.create(key=key, verb=verb, subject_ref=ref, created_by=actor)
        position = 0
        for src in order:
            keys = found.get(src.label, [])
            held = sorted(set(keys) & kept.get(src.label, set()))
            acting = [k for k in keys if k not in set(held)]
            if verb == Plan.Verb.OBJECT:
                if not registry.handles_objection(src):
                    continue  # nothing to object to there
            elif not keys:
                continue
            position += 1
            PlanStep.objects.create(
                plan=plan,
                position=position,
                source=src.label,
                keys=acting,
                held_keys=held,
                status=_initial_status(verb, src, acting),
            )
        record(
            actor=actor,
            action=f"plan.{verb}.found",
            obj=plan,
            subject=ref,
            detail={"sources": {label: len(k) for label, k in sorted(found.items()) if k}},
        )
    return plan


#: The position of the step that records a failed find phase (real steps start at 1).
FIND_POSITION = 0


class _FindFailed(Exception):
    def __init__(self, source: str) -> None:
        super().__init__(source)
        self.source = source


class _finding:
    """Turns any exception of one source's find into :class:`_FindFailed` naming it."""

    def __init__(self, src: Source) -> None:
        self.src = src

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None and issubclass(exc_type, Exception):
            raise _FindFailed(self.src.label) from exc
        return False


def _find_all(subjects: list[Subject]) -> dict[str, list[Key]]:
    """``registry.find_all``, with the source whose find raised named."""
    return registry.find_all(subjects, guard=_finding)


def _find_failed(existing, key, verb, ref, actor, failed: _FindFailed) -> Plan:
    """Store the plan with one failed step for the source whose find raised."""
    error = type(failed.__cause__).__name__ if failed.__cause__ else "Error"
    with transaction.atomic():
        plan = existing or Plan.objects.create(
            key=key, verb=verb, subject_ref=ref, created_by=actor
        )
        plan.steps.all().delete()
        PlanStep.objects.create(
            plan=plan,
            position=FIND_POSITION,
            source=failed.source,
            status=PlanStep.Status.FAILED,
            attempts=1,
            error=error,  # only the type: the message may quote personal data
        )
        record(
            actor=actor,
            action=f"plan.{verb}.step_failed",
            obj=plan,
            subject=ref,
            detail={"source": failed.source, "error": error, "phase": "find"},
        )
    return plan


def _objecting(subjects: list[Subject]) -> dict[str, list[Key]] | None:
    """An objection's find phase: only the sources that act on it (None: one of them hangs
    from a parent, so the whole find phase is needed)."""
    wanted = [src for src in registry.sources() if registry.handles_objection(src)]
    if any(src.parent is not None for src in wanted):
        return None
    found = {}
    for src in wanted:
        with _finding(src):
            found[src.label] = sorted({k for s in subjects for k in src.find(s, {})})
    return found


def _initial_status(verb: str, src: Source, acting: list[Key]) -> str:
    if verb == Plan.Verb.ERASE and src.erasure == "keep":
        return PlanStep.Status.KEPT  # a legal duty to keep: never erased by a request
    if verb in _ERASING and not acting:
        return PlanStep.Status.HELD
    return PlanStep.Status.PENDING


def execute(
    plan: Plan,
    *,
    actor: str,
    changes: Mapping[str, Mapping[str, Any]] | None = None,
    rectified: Subject | None = None,
    subjects: Iterable[Subject] = (),
) -> PlanRun:
    """Run the plan's unfinished steps in order; raises :class:`StepFailed` and stops there.

    ``subjects`` (the request's identifiers) are what an ``object`` step acts on."""
    subjects = list(subjects)
    result = PlanRun(plan)
    for step in plan.steps.order_by("position"):
        kept_unmarked = plan.verb == Plan.Verb.ERASE and step.finished_at is None
        if step.status in _FINAL and plan.verb != Plan.Verb.EXPORT and not kept_unmarked:
            continue
        src = registry.source(step.source)
        try:
            with transaction.atomic():
                keys, held = _still_free(plan, step)
                if plan.verb == Plan.Verb.OBJECT:
                    outcome = registry.object_to(src, subjects, keys)
                elif step.status == PlanStep.Status.KEPT:
                    outcome = src.restrict(keys) if keys else 0  # a legal duty keeps them
                else:
                    outcome = _act(plan.verb, src, keys, changes or {}, rectified) if keys else 0
                if plan.verb == Plan.Verb.ERASE and held:
                    src.restrict(held)  # a legal hold keeps them: stored, not used
                rows = len(outcome) if isinstance(outcome, list) else outcome
                status = step.status if step.status in _FINAL else PlanStep.Status.DONE
                if not keys and held:
                    status = PlanStep.Status.HELD
                PlanStep.objects.filter(pk=step.pk).update(
                    status=status,
                    keys=keys,
                    held_keys=held,
                    rows=rows,
                    attempts=F("attempts") + 1,
                    error="",
                    finished_at=timezone.now(),
                )
                record(
                    actor=actor,
                    action=f"plan.{plan.verb}",
                    obj=plan,
                    subject=plan.subject_ref,
                    detail={"source": src.label, "rows": rows, "held": len(step.held_keys)},
                )
        except Exception as exc:
            # Only the exception's type: its message may quote personal data.
            PlanStep.objects.filter(pk=step.pk).update(
                status=PlanStep.Status.FAILED, attempts=F("attempts") + 1, error=type(exc).__name__
            )
            record(
                actor=actor,
                action=f"plan.{plan.verb}.step_failed",
                obj=plan,
                subject=plan.subject_ref,
                detail={"source": src.label, "error": type(exc).__name__},
            )
            raise StepFailed(plan, src.label) from exc
        result.results[src.label] = outcome
    if plan.finished_at is None:
        plan.finished_at = timezone.now()
        plan.save(update_fields=["finished_at"])
    return result


def _still_free(plan: Plan, step: PlanStep) -> tuple[list[Key], list[Key]]:
    """The step's keys that may be acted on now, and those a legal hold keeps.

    Holds are read again when a step runs, not only in the find phase: a hold placed between
    the find phase and this step (or before a resumed plan goes on) still keeps its rows.
    """
    if plan.verb not in _ERASING or not step.keys:
        return list(step.keys), list(step.held_keys)
    kept = holds.held_keys().get(step.source, set())
    late = set(step.keys) & kept
    if not late:
        return list(step.keys), list(step.held_keys)
    return [k for k in step.keys if k not in late], sorted(set(step.held_keys) | late)


def _act(verb, src: Source, keys, changes, rectified: Subject | None):
    if verb == Plan.Verb.EXPORT:
        return src.export(keys)
    if verb == Plan.Verb.RECTIFY:
        wanted = dict(changes.get(src.label, {}))
        identifier = src.identifier_fields().get(rectified.kind) if rectified else None
        if identifier is not None:
            wanted[identifier] = rectified.value.strip()
        return src.rectify(keys, wanted)
    if verb == Plan.Verb.RESTRICT:
        return src.restrict(keys)
    if verb == Plan.Verb.EXPIRE:
        return registry.expire(src, keys)  # also rows a legal duty kept until now
    return src.erase(keys)


def _link_once(old: Subject, new: Subject, actor: str) -> None:
    """Link the old reference to the new one, once (a resumed plan does not link again)."""
    from privacydesk.audit.services import subject_refs

    if subject_ref(new.kind, new.value) not in subject_refs(old.kind, old.value):
        link_subject((old.kind, old.value), (new.kind, new.value), actor=actor)
