"""Count the assertions in the test suite, reproducibly, from the source (no import, no run).

An assertion is an `assert` statement or a `pytest.raises(...)` call (a context manager or a call). The
count is per source site, so an assertion in a loop or a parametrized test counts once. Prints the total,
and with `--per-file` one line per file first.

    uv run --frozen python scripts/count_assertions.py [--per-file] [ROOT]   # ROOT defaults to tests/
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def _is_pytest_raises(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "raises"
        and isinstance(func.value, ast.Name)
        and func.value.id == "pytest"
    )


def count_file(path: Path) -> int:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return sum(1 for node in ast.walk(tree) if isinstance(node, ast.Assert) or _is_pytest_raises(node))


def main(argv: list[str]) -> int:
    per_file = "--per-file" in argv
    args = [a for a in argv if a != "--per-file"]
    root = Path(args[0]) if args else Path(__file__).resolve().parent.parent / "tests"
    total = 0
    for path in sorted(root.rglob("*.py")):
        n = count_file(path)
        total += n
        if per_file and n:
            print(f"{n:6d}  {path.relative_to(root)}")
    print(f"{total} assertions (assert statements + pytest.raises) in {root.name}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
