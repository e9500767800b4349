"""Errors raised at the boundary: every one names the file, row, field and fix.

Library code names its own *parameters* (``entry_fee``, ``track``), never a face's word for
them (the CLI's ``--entry-fee``, the API's ``contest.entry_fee``). A problem about a parameter
sets ``Problem(param="entry_fee")``, and its message and fix may name parameters as
``{entry_fee}`` or, with a value, ``{entry_fee=5}``. Each face words them its own way with
:meth:`TailraceError.worded` and a :data:`Say` of its own (the CLI's ``--entry-fee 5``, the API's
``"entry_fee": 5``); ``str()`` of an error says them as the library's keyword arguments
(``entry_fee=5``). Only the names in :data:`PARAMS` are placeholders: other braces are text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field

# The library parameters a message may name as {name} / {name=value}; each face's wording
# covers every one (tests/test_error_wording.py checks it).
PARAMS = frozenset({
    "allow_projection_shift", "contest_cap", "dask", "entries", "entry_fee", "field_file", "field_sharpness",
    "ownership_error",
    "field_size", "graph_uri", "max_duplicates", "grid_complete", "history", "history_weight", "n_lineups", "n_scenarios", "ownership",
    "payouts", "portfolio", "rake", "scenarios", "season", "site", "spec", "track",
    # the contest-day plan's own options (plan.run.check_day_options)
    "bankroll", "max_stake", "kelly", "max_exposure", "max_overlap_day",
})

Say = Callable[[str, "str | None"], str]
"""How a face says a parameter: ``say(param, None)`` names it, ``say(param, "5")`` names it with a value."""

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([a-z][a-z0-9_]*)(?:=([^{}]*))?\}")


def literal(value: str) -> bool | int | float | str:
    """A placeholder's value text as the value it stands for: ``true``/``false``, a number, else the text."""
    if value in ("true", "false"):
        return value == "true"
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def say_as_keyword(param: str, value: str | None) -> str:
    """The library's own wording: the parameter as a keyword argument (``entry_fee=5``, ``site='fd'``)."""
    return param if value is None else f"{param}={literal(value)!r}"


def as_text(value: object) -> str:
    """User text (a path, a name) for a message: its braces doubled, so wording keeps it as it is."""
    return str(value).replace("{", "{{").replace("}", "}}")


def word(text: str, say: Say = say_as_keyword) -> str:
    """``text`` with each ``{param}`` / ``{param=value}`` placeholder said by ``say``, and the
    doubled braces of :func:`as_text` made single again. Word a text once: the result is final."""
    def sub(m: re.Match[str]) -> str:
        if m.group(1) is None:  # {{ or }}
            return m.group(0)[0]
        return say(m.group(1), m.group(2)) if m.group(1) in PARAMS else m.group(0)

    return _PLACEHOLDER.sub(sub, text) if ("{" in text or "}" in text) else text


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is and how to fix it.

    ``field`` is a place in the input (a CSV column, a JSON path); ``param`` is the library
    parameter the problem is about (shown as the field when there is no ``field``), in the
    words of the face that shows it (see the module docstring).
    """

    message: str
    file: str | None = None
    row: int | None = None  # 1-based data row as a person counts it (header = row 1)
    field: str | None = None
    fix: str | None = None
    param: str | None = None
    final: bool = dataclass_field(default=False, compare=False, repr=False)  # worded already: the text is as shown

    def worded(self, say: Say = say_as_keyword) -> Problem:
        """This problem in one face's words: placeholders said, ``param`` shown as the field."""
        if self.final:
            return self
        return replace(self, message=word(self.message, say), fix=None if self.fix is None else word(self.fix, say),
                       field=self.field if self.field or not self.param else say(self.param, None), final=True)

    def __str__(self) -> str:
        p = self.worded()
        where = []
        if p.file:
            where.append(str(p.file))
        if p.row is not None:
            where.append(f"row {p.row}")
        if p.field:
            where.append(f"field '{p.field}'")
        head = (", ".join(where) + ": ") if where else ""
        msg = p.message if p.message.endswith((".", "!", "?")) else p.message + "."
        tail = f" Fix: {p.fix}" if p.fix else ""
        return f"{head}{msg}{tail}"


# A junk file can hold hundreds of thousands of bad rows: messages (CLI and API bodies) list the
# first SHOWN_PROBLEMS and say how many more there are; ``InputError.problems`` keeps them all.
SHOWN_PROBLEMS = 20


class TailraceError(Exception):
    """Base class for every error tailrace raises on purpose.

    A message may name parameters as placeholders (module docstring); ``str()`` says them as
    keyword arguments, :meth:`worded` as a face says them.
    """

    _final = False  # set on a worded copy: its text is as shown

    def __str__(self) -> str:
        return super().__str__() if self._final else word(super().__str__())

    def worded(self, say: Say) -> TailraceError:
        """The same error in one face's words (a subclass with more than a message overrides this)."""
        if self._final:
            return self
        out = type(self)(word(super().__str__(), say))
        out._final = True
        out.__cause__, out.__traceback__ = self.__cause__, self.__traceback__
        return out


class InputError(TailraceError, ValueError):
    """Bad user input; holds every problem found, not just the first."""

    _final = True  # the message is rendered from problems, each worded once

    def __init__(self, problems: Problem | list[Problem]):
        self.problems: list[Problem] = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__(self._render())

    def __reduce__(self):  # pickles as its problems (a Dask worker's error reaches the client whole)
        return (InputError, (self.problems,))

    def worded(self, say: Say) -> InputError:
        """The same problems in one face's words (each :meth:`Problem.worded`)."""
        out = InputError([p.worded(say) for p in self.problems])
        out.__cause__, out.__traceback__ = self.__cause__, self.__traceback__
        return out

    def _render(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        shown = self.problems[:SHOWN_PROBLEMS]
        head = f"{len(self.problems)} problems" + (
            f" (the first {SHOWN_PROBLEMS} shown; fix these and run again)" if len(self.problems) > len(shown) else "")
        lines = [head + ":"] + [f"  - {p}" for p in shown]
        if len(self.problems) > len(shown):
            lines.append(f"  ... and {len(self.problems) - len(shown)} more")
        return "\n".join(lines)


class InfeasibleError(TailraceError):
    """Constraints that cannot all hold; `conflicts` names the ones that clash."""

    def __init__(self, message: str, conflicts: list[str] | None = None):
        self.conflicts = list(conflicts or [])
        super().__init__(message)

    def __reduce__(self):
        return (InfeasibleError, (Exception.__str__(self), self.conflicts))

    def worded(self, say: Say) -> InfeasibleError:
        if self._final:
            return self
        out = InfeasibleError(word(Exception.__str__(self), say), [word(c, say) for c in self.conflicts])
        out._final = True
        out.__cause__, out.__traceback__ = self.__cause__, self.__traceback__
        return out


class GraphUnavailable(TailraceError):
    """The configured graph database cannot be used (unreachable, refused login, wrong database).

    The message names the URI without its password and what to check; the CLI exits 2 on it
    and the API answers 503.
    """
