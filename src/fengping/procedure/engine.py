"""The one step engine: completing a step, sending a run back, and what the pages and the
API show of the procedure — for every scheme's steps and every app's runs.

The functions work on a run whose row the caller has locked inside its transaction
(``core.concurrency.lock``): the action checks access and its own rules, calls the engine,
applies what the app does after a step (statuses of other rows) and writes its audit
event. The engine bumps the run's version whenever it saves it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from fengping.core.concurrency import bump
from fengping.core.errors import ActionError, ConflictError
from fengping.schemes.model import Scheme, Step

from . import outputs
from .models import Run, StepState


class NoStepProduces(ActionError):
    """The (frozen) scheme has no step that produces an output the app relies on."""

    def __init__(self, scheme: Scheme, output: str) -> None:
        super().__init__(
            _(
                "评估方案“%(s)s”（版本 %(v)s）中没有产出“%(o)s”的步骤，无法进行此操作；"
                "请检查方案的 procedure.steps。"
            )
            % {"s": scheme.name, "v": scheme.version, "o": output}
        )
        self.output = output


class UnknownStep(ActionError):
    def __init__(self, scheme: Scheme, code: str) -> None:
        super().__init__(
            _("评估方案“%(s)s”中没有步骤“%(c)s”") % {"s": scheme.name, "c": code}, field="step"
        )
        self.step_code = code


# ------------------------------------------------------------------ lookups in a scheme


def find_step_producing(scheme: Scheme, output: str) -> Step | None:
    """The step that produces `output`, or None when the scheme has none. (The scheme
    validation refuses an output produced by two steps, so there is at most one.)"""
    return next((s for s in scheme.procedure.steps if output in s.produces), None)


def step_producing(scheme: Scheme, output: str) -> Step:
    """The step that produces `output`; a clear refusal when the scheme has none."""
    found = find_step_producing(scheme, output)
    if found is None:
        raise NoStepProduces(scheme, output)
    return found


def step(scheme: Scheme, code: str) -> Step:
    for s in scheme.procedure.steps:
        if s.code == code:
            return s
    raise UnknownStep(scheme, code)


def has_step(scheme: Scheme, code: str) -> bool:
    return code in scheme.procedure.step_codes()


def next_step(scheme: Scheme, code: str) -> Step | None:
    steps = scheme.procedure.steps
    for i, s in enumerate(steps):
        if s.code == code:
            return steps[i + 1] if i + 1 < len(steps) else None
    return None


# ------------------------------------------------------------------ outputs of a run


def output_exists(run: Run, code: str) -> bool:
    output = outputs.get(run, code)
    if output is not None:
        return output.check(run)
    # An output no app registers: there once the step that produces it is done.
    producer = find_step_producing(run.scheme, code)
    return producer is not None and bool(
        run.step_records().filter(step_code=producer.code, state=StepState.DONE).exists()
    )


def missing_outputs(run: Run, s: Step) -> list[str]:
    """What step `s` must produce before it can be completed: the registered outputs
    that do not exist yet (an unregistered output is made by completing the step)."""
    return [code for code in s.produces if outputs.get(run, code) and not output_exists(run, code)]


def missing_message(run: Run, s: Step) -> str:
    """Why step `s` cannot be completed for want of its outputs ("" when nothing is
    missing): the outputs named and the step's own rule quoted from the frozen scheme."""
    missing = missing_outputs(run, s)
    if not missing:
        return ""
    message = str(_("“%(s)s”尚缺：%(m)s") % {"s": s.label, "m": _labels(run, missing)})
    if s.text:
        message += str(_("。方案规定：%(q)s") % {"q": s.text})
    return message


def missing_requirements(run: Run, s: Step) -> list[str]:
    """The earlier steps not done and the outputs not there that step `s` requires."""
    step_codes = set(run.scheme.procedure.step_codes())
    missing = []
    for code in s.requires:
        if code in step_codes:
            if not run.step_records().filter(step_code=code, state=StepState.DONE).exists():
                missing.append(code)
        elif not output_exists(run, code):
            missing.append(code)
    return missing


def _labels(run: Run, codes: list[str]) -> str:
    return "；".join(outputs.label_of(run, c) for c in codes)


# ------------------------------------------------------------------ state changes


def start(run: Run) -> Any:
    """Open the first step of a run just created (its `current_step` is the first step)."""
    first = run.scheme.procedure.steps[0]
    return run.step_records().create(step_code=first.code)


@dataclass(frozen=True)
class Completion:
    step: Step  # the step completed
    following: Step | None  # the step now open (None after the last one)


def complete_step(run: Run, code: str, actor: Any, note: str = "") -> Completion:
    """Complete the run's current step `code` and open the next one.

    Refused when `code` is not the current step, with a conflict naming who completed it
    when someone else just did (the step record is locked, so of two people completing
    the same step at once exactly one succeeds); refused while an output the step
    produces is missing, or while the next step's requirements are unmet."""
    records = run.step_records()
    current = records.select_for_update().get(step_code=run.current_step)
    if code != run.current_step or current.state == StepState.DONE:
        done = (
            records.filter(step_code=code, state=StepState.DONE).select_related("done_by").first()
        )
        if done is not None:
            raise ConflictError(
                _("该步骤已由 %(u)s 于 %(t)s 完成，请刷新页面。")
                % {
                    "u": done.done_by,
                    "t": timezone.localtime(done.done_at).strftime("%Y年%m月%d日 %H:%M"),
                }
            )
        raise ActionError(_("只能完成当前步骤"))
    s = step(run.scheme, code)
    message = missing_message(run, s)
    if message:
        raise ActionError(message)
    current.state, current.done_by, current.done_at, current.note = (
        StepState.DONE,
        actor,
        timezone.now(),
        note,
    )
    current.save(update_fields=["state", "done_by", "done_at", "note"])
    following = next_step(run.scheme, code)
    if following is not None:
        unmet = missing_requirements(run, following)
        if unmet:
            raise ActionError(
                _("下一步“%(s)s”的前置条件未满足：%(m)s")
                % {"s": following.label, "m": _labels(run, unmet)}
            )
        records.update_or_create(
            step_code=following.code,
            defaults={"state": StepState.OPEN, "done_by": None, "done_at": None},
        )
        run.current_step = following.code
        bump(run, "current_step")
    return Completion(s, following)


@dataclass(frozen=True)
class SendBack:
    from_step: str
    to_step: str
    reopened: list[str]  # the steps from `to_step` to the former current step


def send_back(run: Run, to_step: str, actor: Any, reason: str) -> SendBack:
    """Return the run to the earlier step `to_step` with a reason.

    Every step after it up to the current one is marked sent back (by whom, when, why),
    `to_step` is open again, and each registered output that a step from `to_step` on
    produces is reset (e.g. the report must be made again after what it says changed)."""
    if not reason.strip():
        raise ActionError(_("退回须说明理由"), field="reason")
    steps = run.scheme.procedure.steps
    codes = [s.code for s in steps]
    if (
        to_step not in codes
        or run.current_step not in codes
        or codes.index(to_step) >= codes.index(run.current_step)
    ):
        raise ActionError(_("只能退回到之前的步骤"), field="to_step")
    start_at, end_at = codes.index(to_step), codes.index(run.current_step)
    from_step = run.current_step
    records = run.step_records()
    records.filter(step_code__in=codes[start_at + 1 : end_at + 1]).update(
        state=StepState.SENT_BACK,
        sent_back_by=actor,
        sent_back_at=timezone.now(),
        sent_back_reason=reason,
    )
    records.filter(step_code=to_step).update(state=StepState.OPEN, done_by=None, done_at=None)
    run.current_step = to_step
    fields = ["current_step"]
    for s in steps[start_at:]:
        for code in s.produces:
            output = outputs.get(run, code)
            if output is not None and output.reset is not None:
                fields.extend(f for f in output.reset(run) if f not in fields)
    bump(run, *fields)
    return SendBack(from_step, to_step, codes[start_at : end_at + 1])


# ------------------------------------------------------------------ what is shown


@dataclass(frozen=True)
class TrackedStep:
    step: Step
    record: Any  # the step record, None for a step not reached yet
    state: str  # the record's state, "" for a step not reached yet
    is_current: bool
    is_past: bool

    @property
    def is_done(self) -> bool:
        return self.state == StepState.DONE


class Tracker:
    """The procedure of a run as the pages and the API show it: every step of the frozen
    scheme with its record, the current step, and what the current step still lacks."""

    def __init__(self, run: Run) -> None:
        self.run = run
        records = {
            r.step_code: r for r in run.step_records().select_related("done_by", "sent_back_by")
        }
        codes = run.scheme.procedure.step_codes()
        at = codes.index(run.current_step) if run.current_step in codes else -1
        self.steps: list[TrackedStep] = []
        for i, s in enumerate(run.scheme.procedure.steps):
            record = records.get(s.code)
            state = record.state if record else ""
            self.steps.append(
                TrackedStep(
                    step=s,
                    record=record,
                    state=state,
                    is_current=i == at,
                    is_past=i < at or state == StepState.DONE,
                )
            )
        self.current: TrackedStep | None = self.steps[at] if at >= 0 else None

    def __iter__(self) -> Iterator[TrackedStep]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    @cached_property
    def missing(self) -> list[str]:
        """Labels of the outputs the current step must still produce (read on demand:
        it costs queries)."""
        if self.current is None:
            return []
        return [outputs.label_of(self.run, c) for c in missing_outputs(self.run, self.current.step)]

    def earlier(self) -> list[Step]:
        """The steps before the current one: where a send-back may go."""
        codes = [t.step.code for t in self.steps]
        if self.current is None:
            return []
        return [t.step for t in self.steps[: codes.index(self.current.step.code)]]


def tracker(run: Run) -> Tracker:
    return Tracker(run)
