"""Composition scenarios: each folder's `envsplit show <variant>` output equals its expected/<variant>.yml.

The expected files are written by `python tests/scenarios/regenerate.py` (see README.md), never by hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from regenerate import expected, scenarios, show_all

FOLDERS = scenarios()


def test_the_scenarios_are_all_there() -> None:
    assert [f.name for f in FOLDERS] == [
        "chained-bases",
        "channels",
        "packages",
        "pangeo-docker-images",
        "pip",
        "platforms-and-virtual-packages",
    ]


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_scenario(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(folder)
    shown = show_all(folder)
    assert sorted(expected(folder)) == sorted(shown), "run python tests/scenarios/regenerate.py"
    for variant, text in shown.items():
        assert expected(folder)[variant] == text, f"{folder.name}/expected/{variant}.yml"
