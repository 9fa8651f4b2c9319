"""Write expected/<variant>.yml of every scenario folder from what `envsplit show <variant>` prints.

Run from the repository root after a deliberate change to composing or to `show`'s output:

    python tests/scenarios/regenerate.py

then review the diff of tests/scenarios/*/expected/ like any other change. The expected files are never
edited by hand; tests/scenarios/test_scenarios.py compares them with the same output.
"""

from __future__ import annotations

import sys
from pathlib import Path

from click.testing import CliRunner

HERE = Path(__file__).resolve().parent


def scenarios() -> list[Path]:
    """Every folder here holding an envsplit.yml, sorted by name."""
    return sorted(p.parent for p in HERE.glob("*/envsplit.yml"))


def show_all(folder: Path) -> dict[str, str]:
    """``variant -> stdout of envsplit show VARIANT`` for every variant of the scenario in ``folder``."""
    from envsplit.cli import cli
    from envsplit.inputs.project import read_project

    out = {}
    for variant in read_project(folder).variants:
        result = CliRunner().invoke(cli, ["-C", str(folder), "show", variant])
        if result.exit_code != 0:
            raise SystemExit(f"{folder.name}: envsplit show {variant} failed:\n{result.output}")
        out[variant] = result.stdout
    return out


def expected(folder: Path) -> dict[str, str]:
    """What expected/ holds now: ``variant -> text``."""
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted((folder / "expected").glob("*.yml"))}


def main() -> int:
    for folder in scenarios():
        target = folder / "expected"
        target.mkdir(exist_ok=True)
        for stale in target.glob("*.yml"):
            stale.unlink()
        for variant, text in show_all(folder).items():
            (target / f"{variant}.yml").write_text(text, encoding="utf-8")
        print(f"{folder.relative_to(HERE)}: {len(list(target.glob('*.yml')))} variants")
    return 0


if __name__ == "__main__":
    sys.exit(main())
