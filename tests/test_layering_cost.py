"""Layering that says what it costs: an extension compared with its standalone solve.

The channel is built here (tests/archives.py): ``cli`` 2.33.7 needs ``shell >=2``, and ``shell`` 2.0 needs
``toolkit <3.0.52``. A base locked alone picks ``toolkit`` 3.0.52; an extension asking for ``cli`` added
later is pinned to it and falls back to ``cli`` 1.42.70, while alone it would get 2.33.7.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from envsplit.cli import cli
from envsplit.inputs.project import read_project
from envsplit.locking.layering_cost import LayeringCost, flavours, layering_costs, layering_markdown
from envsplit.locking.plan import LockOptions
from envsplit.locking.run import lock_project
from envsplit.models import Dependency, LockedPackage, VariantSpec

from archives import PackageDef, build_channel
from projectfiles import write

# cli 2 needs shell 2, which needs toolkit older than 3.0.52.
CLI_STACK = [
    PackageDef("toolkit", "3.0.51"),
    PackageDef("toolkit", "3.0.52"),
    PackageDef("shell", "1.0", depends=("toolkit",)),
    PackageDef("shell", "2.0", depends=("toolkit >=3.0.38,<3.0.52",)),
    PackageDef("cli", "1.42.70", depends=("shell",)),
    PackageDef("cli", "2.33.7", depends=("shell >=2",)),
]
BASE_ONLY = "version: 1\nplatforms: [linux-64]\nvariants:\n  base: {}\n"
WITH_EXT = BASE_ONLY + "  ext: {base: base, overlays: [cli]}\n"


@pytest.fixture(scope="module")
def channel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_channel(
        tmp_path_factory.mktemp("layering") / "channel",
        [*CLI_STACK, PackageDef("web", "1.0", depends=("toolkit",))],
    )


def _invoke(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), *args])


def _project(root: Path, channel: Path) -> Path:
    """The base locked on its own; then the extension is declared."""
    write(
        root,
        {
            "environment.yml": f"channels: [{channel.as_uri()}]\ndependencies: [web]\n",
            "overlays/cli.yml": "add: [cli]\n",
            "envsplit.yml": BASE_ONLY,
        },
    )
    result = _invoke(root, "lock")
    assert result.exit_code == 0, result.output
    assert "toolkit-3.0.52" in (root / "locks/base/conda-linux-64.lock").read_text()
    write(root, {"envsplit.yml": WITH_EXT})
    return root


def test_lock_warns_which_requested_package_the_base_costs_and_who_is_in_the_way(
    tmp_path: Path, channel: Path, cache_dir: Path
) -> None:
    root = _project(tmp_path / "p", channel)
    result = _invoke(root, "lock")
    assert result.exit_code == 0, result.output
    assert (
        "layering cost: ext linux-64: cli is an older major version on base 'base' (1.42.70 0; "
        "a standalone solve picks 2.33.7 0)\n"
        "  in the way: toolkit 3.0.52 0 (pinned by 'base'): shell 2.0 needs 'toolkit >=3.0.38,<3.0.52'"
    ) in result.output
    assert "cli-1.42.70-0" in (root / "locks/ext/conda-linux-64.lock").read_text()


def test_outcome_carries_the_costs_as_data_and_renders_markdown(
    tmp_path: Path, channel: Path, cache_dir: Path
) -> None:
    root = _project(tmp_path / "p", channel)
    outcome = lock_project(read_project(root), LockOptions())
    (cost,) = outcome.layering.costs
    assert (cost.variant, cost.base, cost.platform, cost.package, cost.kind) == (
        "ext",
        "base",
        "linux-64",
        "cli",
        "major",
    )
    assert (cost.layered, cost.standalone) == ("1.42.70 0", "2.33.7 0")
    assert [(w.name, w.version, w.wanted, w.needs) for w in cost.in_the_way] == [
        ("toolkit", "3.0.52", "3.0.51 0", ("shell 2.0 needs 'toolkit >=3.0.38,<3.0.52'",))
    ]
    assert outcome.layering.seconds > 0
    assert outcome.layering.markdown() == (
        "### Layering costs\n\n"
        "Requested packages that an extension gets older, without, or in another build variant because of "
        "its base, compared with solving the extension alone:\n\n"
        "| variant | platform | package | on its base | alone | base packages in the way |\n"
        "|---|---|---|---|---|---|\n"
        "| ext | linux-64 | cli \\(major\\) | 1.42.70 0 | 2.33.7 0 | "
        "toolkit 3.0.52 \\(shell 2.0 needs 'toolkit \\>=3.0.38,\\<3.0.52'\\) |\n"
    )
    # a second run solves nothing, so it prices nothing
    again = lock_project(read_project(root), LockOptions())
    assert again.solved == 0 and again.layering.costs == () and again.layering.seconds == 0


@pytest.mark.parametrize("how", ["flag", "setting"])
def test_strict_layering_fails_the_variant_and_writes_nothing_for_it(
    tmp_path: Path, channel: Path, cache_dir: Path, how: str
) -> None:
    root = _project(tmp_path / "p", channel)
    base_before = (root / "locks/base/conda-lock.yml").read_bytes()
    if how == "setting":
        write(root, {"envsplit.yml": "strict-layering: true\n" + WITH_EXT})
    result = _invoke(root, "lock", *(["--strict-layering"] if how == "flag" else []))
    assert result.exit_code == 1, result.output
    assert "FAILED ext linux-64:" in result.output
    assert "cli is an older major version on base 'base'" in result.output
    assert "in the way: toolkit 3.0.52 0 (pinned by 'base')" in result.output
    assert (
        "--strict-layering (or 'strict-layering: true'): nothing is written for this variant" in result.output
    )
    assert not (root / "locks/ext").exists()
    assert not (root / "dockerfiles/Dockerfile.ext").exists()
    assert (root / "locks/base/conda-lock.yml").read_bytes() == base_before


def test_relocking_the_base_removes_the_cost(tmp_path: Path, channel: Path, cache_dir: Path) -> None:
    root = _project(tmp_path / "p", channel)
    result = _invoke(root, "lock", "--force")  # the base now prefers what its extension picks alone
    assert result.exit_code == 0, result.output
    assert "layering cost" not in result.output
    assert "cli-2.33.7-0" in (root / "locks/ext/conda-linux-64.lock").read_text()


def _pkg(name: str, version: str, build: str = "0", depends: tuple[str, ...] = ()) -> LockedPackage:
    url = f"https://example.invalid/c/linux-64/{name}-{version}-{build}.conda"
    return LockedPackage(
        name, version, build, "linux-64", "https://example.invalid/c", url, "0" * 32, None, None, depends
    )


def _spec(name: str, base: str | None, *deps: str) -> VariantSpec:
    return VariantSpec(name, base, ("c",), tuple(Dependency(d, d) for d in deps), (), {}, ("linux-64",), ())


def test_kinds_minor_missing_build_variant_and_what_is_no_cost() -> None:
    base_spec = _spec("base", None, "python")
    spec = _spec("ext", "base", "python", "torch", "scipy", "pandas", "extra", "tiny")
    alone = [
        _pkg("python", "3.13.1"),
        _pkg("torch", "2.5.1", "cuda126_py313_0", ("__cuda",)),
        _pkg("scipy", "1.15.0", "py313_mkl_0", ("libblas * *mkl",)),
        _pkg("pandas", "2.3.0"),
        _pkg("extra", "1.0"),
        _pkg("tiny", "1.2.9"),
    ]
    layered = [
        _pkg("python", "3.12.8"),  # requested by the base: pinned on purpose, no cost
        _pkg("torch", "2.5.1", "cpu_py312_0"),
        _pkg("scipy", "1.15.0", "py312_openblas_0", ("libblas * *openblas",)),
        _pkg("pandas", "2.2.3"),
        _pkg("tiny", "1.2.3"),  # an older patch: no cost
    ]
    costs = layering_costs(spec, base_spec, "linux-64", layered, alone, [_pkg("python", "3.12.8")])
    assert [(c.package, c.kind) for c in costs] == [
        ("extra", "missing"),
        ("pandas", "minor"),
        ("scipy", "build-variant"),
        ("torch", "build-variant"),
    ]
    assert (
        "extra is missing on base 'base' (not installed; a standalone solve picks 1.0 0)"
        in costs[0].message()
    )
    assert "no single base package found" in costs[0].message()


def test_flavours_heuristic() -> None:
    assert flavours(_pkg("pytorch", "2.5", "cuda126_py312_0")) == {"gpu": "cuda"}
    assert flavours(_pkg("pytorch", "2.5", "cpu_mkl_py312_0")) == {"gpu": "cpu", "blas": "mkl"}
    assert flavours(_pkg("numpy", "2.0", "py312_0", ("libblas >=3.9 *openblas",))) == {"blas": "openblas"}
    assert flavours(_pkg("jax", "0.4", "py312_0", ("__cuda",))) == {"gpu": "cuda"}
    assert flavours(_pkg("zlib", "1.3", "h4ab18f5_1")) == {}


def test_markdown_is_empty_without_costs_and_escapes_data() -> None:
    assert layering_markdown([]) == ""
    cost = LayeringCost("ext", "base", "linux-64", "evil|<!--", "major", "1.0 0", "2.0 0")
    text = layering_markdown([cost])
    assert "| evil\\|\\<\\!-- \\(major\\) |" in text and "not identified" in text


def test_refresh_shows_the_layering_cost_and_fail_on_refuses_it(tmp_path: Path, cache_dir: Path) -> None:
    """Two extensions pull the base's toolkit opposite ways (cli 2 wants it old, web 2 new), so even a relock
    from scratch leaves one of them with an older major version than it would get alone."""
    channel = build_channel(
        tmp_path / "channel",
        [
            *CLI_STACK,
            PackageDef("base-tool", "1.0", depends=("toolkit",)),
            PackageDef("web", "1.0", depends=("toolkit",)),
            PackageDef("web", "2.0", depends=("toolkit >=3.0.52",)),
        ],
    )
    root = tmp_path / "p"
    config = BASE_ONLY + "  ext: {base: base, overlays: [cli]}\n  ext2: {base: base, overlays: [web]}\n"
    write(
        root,
        {
            "environment.yml": f"channels: [{channel.as_uri()}]\ndependencies: [base-tool]\n",
            "overlays/cli.yml": "add: [cli]\n",
            "overlays/web.yml": "add: [web]\n",
            "envsplit.yml": config,
        },
    )
    assert _invoke(root, "lock").exit_code == 0
    body = tmp_path / "body.md"
    result = _invoke(root, "refresh", "--keep-going", "--output-markdown", str(body))
    assert result.exit_code == 0, result.output
    text = body.read_text()
    assert "### Layering costs" in text
    assert (
        "| cli \\(major\\) | 1.42.70 0 | 2.33.7 0 |" in text or "| web \\(major\\) | 1.0 0 | 2.0 0 |" in text
    )

    write(root, {"envsplit.yml": "refresh: {fail-on: [layering-downgrade]}\n" + config})
    result = _invoke(root, "refresh", "--keep-going", "--output-markdown", str(body))
    assert result.exit_code == 6, result.output
    assert "fail-on layering-downgrade: ext" in result.output and "is an older major version" in result.output
