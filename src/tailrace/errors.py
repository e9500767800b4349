"""Errors raised at the boundary: every one names the file, row, field and fix."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is and how to fix it."""

    message: str
    file: str | None = None
    row: int | None = None  # 1-based data row as a person counts it (header = row 1)
    field: str | None = None
    fix: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field '{self.field}'")
        head = (", ".join(where) + ": ") if where else ""
        msg = self.message if self.message.endswith((".", "!", "?")) else self.message + "."
        tail = f" Fix: {self.fix}" if self.fix else ""
        return f"{head}{msg}{tail}"


# A junk file can hold hundreds of thousands of bad rows: messages (CLI and API bodies) list the
# first SHOWN_PROBLEMS and say how many more there are; ``InputError.problems`` keeps them all.
SHOWN_PROBLEMS = 20


class TailraceError(Exception):
    """Base class for every error tailrace raises on purpose."""


class InputError(TailraceError, ValueError):
    """Bad user input; holds every problem found, not just the first."""

    def __init__(self, problems: Problem | list[Problem]):
        self.problems: list[Problem] = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__(self._render())

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


class GraphUnavailable(TailraceError):
    """The configured graph database cannot be used (unreachable, refused login, wrong database).

    The message names the URI without its password and what to check; the CLI exits 2 on it
    and the API answers 503.
    """
