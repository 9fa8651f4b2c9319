"""Write expected/ of every import scenario from what `envsplit import` writes and prints.

Each folder holds inputs/ (the environment files), args (the arguments of `envsplit import`, one a line,
paths relative to inputs/) and expected/: project/ (every file the import writes) and the drift report
as report.txt, report.md and report.json (`--check --format text|markdown|json`). Run from the
repository root after a deliberate change to importing:

    python tests/scenarios/import/regenerate.py

then review the diff of tests/scenarios/import/*/expected/ like any other change. The expected files are
never edited by hand; tests/test_import_scenarios.py compares them with the same output.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from click.testing import CliRunner

HERE = Path(__file__).resolve().parent
REPORTS = {"report.txt": "text", "report.md": "markdown", "report.json": "json"}


def scenarios() -> list[Path]:
    """Every folder here holding an args file, sorted by name."""
    return sorted(p.parent for p in HERE.glob("*/args"))


def arguments(folder: Path) -> list[str]:
    return [line for line in (folder / "args").read_text(encoding="utf-8").splitlines() if line]


@contextmanager
def _inside(folder: Path) -> Iterator[None]:
    previous = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)


def run(folder: Path) -> dict[str, str]:
    """Relative path -> text of everything the scenario produces: project/<file> and the three reports."""
    from envsplit.cli import cli

    out: dict[str, str] = {}
    with _inside(folder / "inputs"), tempfile.TemporaryDirectory() as tmp:
        for name, fmt in REPORTS.items():
            result = CliRunner().invoke(cli, ["import", "--check", "--format", fmt, *arguments(folder)])
            if result.exit_code != 0:
                raise SystemExit(f"{folder.name}: envsplit import --check failed:\n{result.output}")
            out[name] = result.stdout
        target = Path(tmp) / "project"
        result = CliRunner().invoke(cli, ["import", "-o", str(target), *arguments(folder)])
        if result.exit_code != 0:
            raise SystemExit(f"{folder.name}: envsplit import failed:\n{result.output}")
        if result.stdout != out["report.txt"]:
            raise SystemExit(f"{folder.name}: import printed another report than import --check")
        for path in sorted(target.rglob("*")):
            if path.is_file():
                out[f"project/{path.relative_to(target).as_posix()}"] = path.read_text(encoding="utf-8")
    return out


def expected(folder: Path) -> dict[str, str]:
    """What expected/ holds now."""
    root = folder / "expected"
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def main() -> int:
    for folder in scenarios():
        target = folder / "expected"
        shutil.rmtree(target, ignore_errors=True)
        produced = run(folder)
        for rel, text in produced.items():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            (target / rel).write_text(text, encoding="utf-8")
        print(f"{folder.relative_to(HERE)}: {len(produced)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
