"""Import scenarios: each folder's `envsplit import` output equals its expected/ (byte for byte), and every
imported variant, shown by `envsplit show`, lists exactly its input file's specs, channels and pip entries.

The expected files are written by `python tests/scenarios/import/regenerate.py`, never by hand.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from envsplit.cli import cli
from envsplit.inputs.environment import read_environment

_SPEC = importlib.util.spec_from_file_location(
    "import_regenerate", Path(__file__).parent / "scenarios" / "import" / "regenerate.py"
)
assert _SPEC is not None and _SPEC.loader is not None
regenerate: Any = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(regenerate)

FOLDERS = regenerate.scenarios()


def test_the_scenarios_are_all_there() -> None:
    assert [f.name for f in FOLDERS] == [
        "channels-order",
        "extensions",
        "extensions-additive",
        "identical",
        "pip",
        "removal",
        "swap",
        "three-files",
    ]


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_scenario(folder: Path) -> None:
    produced = regenerate.run(folder)
    wanted = regenerate.expected(folder)
    assert sorted(wanted) == sorted(produced), "run python tests/scenarios/import/regenerate.py"
    for rel, text in produced.items():
        assert wanted[rel] == text, f"{folder.name}/expected/{rel}"


def shown(project: Path, variant: str) -> tuple[set[str], list[str], set[str]]:
    """Specs, channels and pip entries of ``envsplit show VARIANT``, read from its YAML text."""
    result = CliRunner().invoke(cli, ["-C", str(project), "show", variant])
    assert result.exit_code == 0, result.output
    data = YAML(typ="safe").load(result.stdout)
    specs = {d for d in data["dependencies"] if isinstance(d, str)}
    pip = {r for d in data["dependencies"] if isinstance(d, dict) for r in d["pip"]}
    return specs, list(data["channels"]), pip


def _name(spec: str) -> str:
    return re.split(r"[\s=<>!~\[;@]", spec, maxsplit=1)[0].lower()


def assert_guarantee(
    project: Path, variants: dict[str, Path], additive: dict[str, str] | None = None
) -> None:
    """Each variant's shown environment is its input file (channels in order; specs and pip as sets); an
    additive extension's (``additive``: variant -> base) is its base's shown environment plus its file: a
    same-name spec or pip entry of the file replaces the base's, channels only the file lists go first."""
    for variant, path in variants.items():
        env = read_environment(path)
        specs, channels, pip = shown(project, variant)
        want_specs, want_channels, want_pip = (
            {d.spec for d in env.dependencies},
            list(env.channels),
            set(env.pip),
        )
        base = (additive or {}).get(variant)
        if base is not None:
            base_specs, base_channels, base_pip = shown(project, base)
            names = {_name(s) for s in want_specs}
            want_specs |= {s for s in base_specs if _name(s) not in names}
            want_channels = [c for c in want_channels if c not in base_channels] + base_channels
            pip_names = {_name(r) for r in want_pip}
            want_pip |= {r for r in base_pip if _name(r) not in pip_names}
        assert specs == want_specs, variant
        assert channels == want_channels, variant
        assert pip == want_pip, variant


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_show_of_every_variant_is_its_input_file(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(folder / "inputs")
    result = CliRunner().invoke(cli, ["import", "-o", str(tmp_path), *regenerate.arguments(folder)])
    assert result.exit_code == 0, result.output
    config = YAML(typ="safe").load((tmp_path / "envsplit.yml").read_text())
    files = [a for a in regenerate.arguments(folder) if a.endswith(".yml")]
    assert len(config["variants"]) == len(files)
    # The envsplit.yml comment after each variant names its file, in the order the files were given.
    lines = [ln for ln in (tmp_path / "envsplit.yml").read_text().splitlines() if ln.startswith("  ")]
    additive_mark = " (additive: adds to its base)"
    variants = {
        ln.split(":")[0].strip(): folder / "inputs" / ln.rsplit("# ", 1)[1].removesuffix(additive_mark)
        for ln in lines
    }
    assert [p.relative_to(folder / "inputs").as_posix() for p in variants.values()] == files
    additive = {
        v: config["variants"][v]["base"] for v in config["variants"] if additive_mark in _line(lines, v)
    }
    assert_guarantee(tmp_path, variants, additive)


def _line(lines: list[str], variant: str) -> str:
    return next(ln for ln in lines if ln.split(":")[0].strip() == variant)
