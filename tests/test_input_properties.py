"""Property tests of envsplit.yml, environment.yml and overlay parsing (issue 14): whatever the files hold,
`envsplit show` either succeeds or exits 2 with one line starting with `error: ` per mistake (issue 8 collects
independent mistakes); never a traceback.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from envsplit.cli import cli
from envsplit.inputs.project import CONFIG_KEYS, DOCKER_KEYS, ENV_KEYS, OVERLAY_KEYS, VARIANT_KEYS

from projectfiles import write

ENV = {"name": "demo", "channels": ["conda-forge"], "dependencies": ["python", "numpy"]}
CONFIG = {"version": 1, "platforms": ["linux-64"], "variants": {"cpu": {"overlays": ["cpu"]}}}
OVERLAY = {"add": ["pandas"]}

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI never fails on a case a developer did not see
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text as a hostile or clumsy user writes it: newlines, NULs, tabs, YAML syntax, any script; no lone surrogates.
HOSTILE = "\n\0\t\r\x0b\x85\u2028 :-[]{}*&!|>'\"#%@,?=<~./\\$"
text = st.text(
    alphabet=st.one_of(
        st.sampled_from(HOSTILE), st.characters(blacklist_categories=("Cs",)), st.sampled_from("ab0_")
    ),
    max_size=12,
)
# Values shaped like what envsplit expects, to get past the first checks and reach the deeper ones.
plausible = st.sampled_from(
    [
        "conda-forge",
        "numpy",
        "numpy >=2",
        "python 3.12.*",
        "linux-64",
        "osx-arm64",
        "__cuda",
        "12.9",
        "1=x86_64",
        "cpu",
        "overlays",
        "locks",
        "../x",
        "/etc/passwd",
        "conda-forge::numpy",
        "https://conda.anaconda.org/t/tok/conda-forge",
        "http://[::1",
        "pip",
        "*",
    ]
)
scalar = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False), text, plausible)
key = st.one_of(text, plausible, st.integers(0, 9), st.none(), st.booleans())
values = st.recursive(
    scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(key, inner, max_size=4, dict_class=dict)
    ),
    max_leaves=12,
)


def dump(data: Any) -> str:
    out = io.StringIO()
    YAML(typ="safe", pure=True).dump(data, out)
    return out.getvalue()


def assert_clean(root: Path, variant: str = "cpu") -> None:
    result = CliRunner().invoke(cli, ["-C", str(root), "show", variant])
    assert isinstance(result.exception, SystemExit) or result.exception is None, repr(result.exception)
    if result.exit_code == 0:
        return
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith("error: ") for line in lines), result.stderr


def project(root: Path, env: Any = ENV, config: Any = CONFIG, overlay: Any = OVERLAY) -> Path:
    files = {}
    for name, data in (("environment.yml", env), ("envsplit.yml", config), ("overlays/cpu.yml", overlay)):
        files[name] = data if isinstance(data, str) else dump(data)
    return write(root, files)


@SETTINGS
@given(entry=st.sampled_from(CONFIG_KEYS), value=values)
def test_any_value_for_a_config_key(tmp_path_factory: Any, entry: str, value: Any) -> None:
    root = tmp_path_factory.mktemp("p")
    assert_clean(project(root, config={**CONFIG, entry: value}))


@SETTINGS
@given(entry=st.sampled_from((*VARIANT_KEYS, "x")), value=values, name=st.one_of(plausible, text))
def test_any_variant_entry_and_name(tmp_path_factory: Any, entry: str, value: Any, name: str) -> None:
    root = tmp_path_factory.mktemp("p")
    config = {**CONFIG, "variants": {"cpu": {"overlays": ["cpu"]}, name: {entry: value}}}
    assert_clean(project(root, config=config), variant=name if name.strip() else "cpu")


@SETTINGS
@given(entry=st.sampled_from(DOCKER_KEYS), value=values)
def test_any_docker_value(tmp_path_factory: Any, entry: str, value: Any) -> None:
    root = tmp_path_factory.mktemp("p")
    assert_clean(project(root, config={**CONFIG, "docker": {entry: value}}))


@SETTINGS
@given(entry=st.sampled_from((*ENV_KEYS, "x")), value=values)
def test_any_value_for_an_environment_key(tmp_path_factory: Any, entry: str, value: Any) -> None:
    root = tmp_path_factory.mktemp("p")
    assert_clean(project(root, env={**ENV, entry: value}))


@SETTINGS
@given(specs=st.lists(st.one_of(plausible, text, values), max_size=5))
def test_any_dependency_list(tmp_path_factory: Any, specs: list[Any]) -> None:
    root = tmp_path_factory.mktemp("p")
    assert_clean(project(root, env={**ENV, "dependencies": ["python", *specs]}))


@SETTINGS
@given(overlay=st.dictionaries(st.one_of(st.sampled_from(OVERLAY_KEYS), key), values, max_size=3))
def test_any_overlay(tmp_path_factory: Any, overlay: dict[Any, Any]) -> None:
    root = tmp_path_factory.mktemp("p")
    assert_clean(project(root, overlay=overlay))


@SETTINGS
@given(
    op=st.sampled_from(OVERLAY_KEYS),
    items=st.lists(st.one_of(plausible, text), min_size=1, max_size=3),
    mapping=st.dictionaries(st.one_of(plausible, text), st.one_of(plausible, text), min_size=1, max_size=3),
)
def test_overlay_entries_with_hostile_strings(
    tmp_path_factory: Any, op: str, items: list[str], mapping: dict[str, str]
) -> None:
    root = tmp_path_factory.mktemp("p")
    shaped: dict[str, Any] = {
        "add": items,
        "remove": items,
        "replace": mapping,
        "channels": {"prepend": items, "remove": items},
        "virtual-packages": mapping,
        "platforms": items,
        "pip": {"add": items, "remove": items},
    }
    assert_clean(project(root, overlay={op: shaped[op]}))


@SETTINGS
@given(
    which=st.sampled_from(["environment.yml", "envsplit.yml", "overlays/cpu.yml"]),
    raw=st.text(alphabet=st.one_of(st.sampled_from(HOSTILE + "abc0 \n"), st.characters()), max_size=60),
)
def test_any_file_text(tmp_path_factory: Any, which: str, raw: str) -> None:
    root = project(tmp_path_factory.mktemp("p"))
    (root / which).write_bytes(raw.encode("utf-8", "surrogatepass"))
    assert_clean(root)
