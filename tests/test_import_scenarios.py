"""Import scenarios: each folder's `envsplit import` output equals its expected/ (byte for byte), and every
imported variant, shown by `envsplit show`, lists exactly its input file's specs, channels and pip entries.

The expected files are written by `python tests/scenarios/import/regenerate.py`, never by hand.
"""

from __future__ import annotations

import importlib.util
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


def assert_guarantee(project: Path, variants: dict[str, Path]) -> None:
    """Each variant's shown environment is its input file (channels in order; specs and pip as sets)."""
    for variant, path in variants.items():
        env = read_environment(path)
        specs, channels, pip = shown(project, variant)
        assert specs == {d.spec for d in env.dependencies}, variant
        assert channels == list(env.channels), variant
        assert pip == set(env.pip), variant


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
    variants = {ln.split(":")[0].strip(): folder / "inputs" / ln.rsplit("# ", 1)[1] for ln in lines}
    assert [p.relative_to(folder / "inputs").as_posix() for p in variants.values()] == files
    assert_guarantee(tmp_path, variants)
