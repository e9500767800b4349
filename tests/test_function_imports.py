"""Function-level imports of tailrace's own modules (issue 27): at most 30, each saying why.

A module imports what it needs at its top. A function may import one of tailrace's own modules
only to keep something heavy out of a cheap path (``tailrace --help``, the API's start-up, a cache
hit) or an optional engine out of every run, and says so with a ``# lazy: why`` comment on the
import's line or the line above. The count is the one issue 27 states (an ``import`` or
``from ... import`` of ``tailrace...`` or a relative module anywhere inside a function).
"""

from __future__ import annotations

import ast
from pathlib import Path

import tailrace

SRC = Path(tailrace.__file__).parent
LIMIT = 30


def _is_ours(node: ast.AST) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.level > 0 or (node.module or "").startswith("tailrace")
    if isinstance(node, ast.Import):
        return any(a.name.startswith("tailrace") for a in node.names)
    return False


def function_imports() -> list[tuple[Path, ast.stmt]]:
    """Every function-level import of tailrace's own modules: (file, import node), counted as the
    issue counts them (once per enclosing function, so an import in a nested function counts twice)."""
    found: list[tuple[Path, ast.stmt]] = []
    for path in sorted(SRC.rglob("*.py")):
        for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found += [(path, node) for node in ast.walk(fn) if _is_ours(node)]
    return found


def test_the_count_works_on_a_known_source() -> None:
    # two in functions (one in a nested function, relative), one at the top, one of another package:
    # f holds both (2), g holds the relative one again (1)
    tree = ast.parse("import tailrace.errors\nimport json\n"
                     "def f():\n    from tailrace import tail\n    def g():\n        from . import x\n"
                     "    import numpy\n")
    inner = [n for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef) for n in ast.walk(fn) if _is_ours(n)]
    assert len(inner) == 3


def test_at_most_30_function_level_imports_of_tailrace() -> None:
    found = function_imports()
    where = "\n".join(f"{p.relative_to(SRC)}:{n.lineno}" for p, n in found)
    assert len(found) <= LIMIT, f"{len(found)} function-level imports of tailrace (limit {LIMIT}):\n{where}"


def test_every_function_level_import_says_why() -> None:
    missing = []
    for path, node in {(p, n.lineno): (p, n) for p, n in function_imports()}.values():
        lines = path.read_text(encoding="utf-8").splitlines()
        here = lines[node.lineno - 1]
        above = lines[node.lineno - 2] if node.lineno >= 2 else ""
        if "# lazy:" not in here and not above.strip().startswith("# lazy:"):
            missing.append(f"{path.relative_to(SRC).as_posix()}:{node.lineno}: {here.strip()}")
    assert not missing, "function-level imports without a '# lazy: why' comment:\n" + "\n".join(missing)
