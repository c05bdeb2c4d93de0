"""The run lifecycle: a list of steps entered in order on one `contextlib.ExitStack`, unwound in reverse.

Three kinds of step:

- `do(name, fn)`: runs `fn(ctx)` once, in order (validate, preflight, submit, ...);
- `hold(name, cm)`: a start/stop pair, `cm(ctx)` a context manager entered in order and exited when the
  run unwinds (the twin, Prometheus, the lease, the meter, the autoscaler, the tracker);
- `at_end(name, fn)`: `fn(ctx)` when the run unwinds, at its place (cleanup, results, report).

When a step fails the remaining steps are skipped and the stack unwinds: everything started is stopped,
in reverse order, and every `at_end` step already reached runs. The first error is raised after the
unwinding; a later one is printed (and recorded in `ctx.error` if none was). A step is added by putting
it in the one list (run.py's LIFECYCLE), at the place its start (and so, reversed, its stop) belongs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial

from benchkit.orchestrate.context import RunContext

Action = Callable[[RunContext], None]
Holder = Callable[[RunContext], AbstractContextManager[None]]


@dataclass(frozen=True)
class Step:
    name: str
    start: Action | None = None
    """Run in order (a `do` step, or the start of a `hold` step)."""
    hold: Holder | None = None
    end: Action | None = None
    """Run when the run unwinds (an `at_end` step)."""

    @property
    def unwinds(self) -> bool:
        """This step has something to do when the run unwinds."""
        return self.hold is not None or self.end is not None


def do(name: str, fn: Action) -> Step:
    return Step(name, start=fn)


def hold(name: str, cm: Holder) -> Step:
    return Step(name, hold=cm)


def at_end(name: str, fn: Action) -> Step:
    return Step(name, end=fn)


def unwind_order(steps: Sequence[Step]) -> list[str]:
    """The names of the steps that act when the run unwinds, in the order they act."""
    return [s.name for s in reversed(steps) if s.unwinds]


class _Errors:
    """The first error is the run's; later ones (while unwinding) are printed."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.first: BaseException | None = None

    def add(self, step: str, exc: BaseException) -> None:
        self.ctx.end_reason = "error"  # for run_end, unless it was already written (a step after results)
        text = " ".join(str(exc).split())
        if self.first is None:
            self.first = exc
            self.ctx.error = self.ctx.error or text
        else:
            self.ctx.console.print(f"benchkit: {step}: {text}", highlight=False, soft_wrap=True)


def run_steps(ctx: RunContext, steps: Sequence[Step]) -> None:
    """Enter every step in order on one ExitStack; unwind it; raise the first error."""
    errors = _Errors(ctx)
    with ExitStack() as stack:
        for step in steps:
            try:
                if step.start is not None:
                    step.start(ctx)
                if step.hold is not None:
                    cm = step.hold(ctx)
                    cm.__enter__()
                    stack.callback(_guarded, errors, step.name, partial(cm.__exit__, None, None, None))
                if step.end is not None:
                    stack.callback(_guarded, errors, step.name, partial(step.end, ctx))
            except (Exception, KeyboardInterrupt) as exc:
                errors.add(step.name, exc)
                break
    if errors.first is not None:
        raise errors.first


def _guarded(errors: _Errors, name: str, fn: Callable[[], object]) -> None:
    """One unwinding action: its error is recorded, and the unwinding goes on."""
    try:
        fn()
    except (Exception, KeyboardInterrupt) as exc:
        errors.add(name, exc)


@contextmanager
def nothing() -> Iterator[None]:
    """For a `hold` step with nothing to start in this run (its flag not given)."""
    yield
