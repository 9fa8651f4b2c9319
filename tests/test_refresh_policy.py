"""envsplit.yml's ``refresh: {fail-on: [...]}``: validated names, hits computed from the diff, exit 6 with the
reasons in the PR body and on stderr; the fed-kind extension point for the layering report."""

from __future__ import annotations

from pathlib import Path

import pytest
import test_lock_run
from click.testing import CliRunner
from test_diff import lock, pkg
from test_lock_run import TABLE
from test_update_refresh import locked_demo

from envsplit.cli import cli
from envsplit.diff.compare import diff_locksets
from envsplit.diff.policy import DIFF_KINDS, FED_KINDS, PolicyHit, evaluate, valid_kinds
from envsplit.diff.sides import LockSet
from envsplit.errors import EXIT_CHANGED, EXIT_POLICY, InputError
from envsplit.inputs.project import read_project
from envsplit.locking.plan import LockOptions
from envsplit.locking.refresh import exit_status, refresh
from envsplit.locking.run import lock_project

from fakesolver import Entry, FakeSolver
from projectfiles import edit

fake = test_lock_run.fake  # the fixture: two bases (cpu, gpu) with one extension each, on two platforms
OLDER = [*TABLE, Entry("numpy", "1.26", ("python",))]


def _policy(root: Path, kinds: str) -> None:
    with (root / "envsplit.yml").open("a") as f:
        f.write(f"refresh:\n  fail-on: {kinds}\n")


def test_requested_major_downgrade_makes_refresh_exit_6(fake: Path) -> None:
    lock_project(read_project(fake), LockOptions(), solver_factory=lambda: FakeSolver(TABLE))
    _policy(fake, "[requested-major-downgrade, requested-removed]")
    edit(fake / "environment.yml", "[python, numpy]", "[python, 'numpy ==1.26']")  # numpy 2.1 -> 1.26
    result = refresh(read_project(fake), LockOptions(), sizes=False, solver_factory=lambda: FakeSolver(OLDER))
    hits = {(h.kind, h.variant, h.platform, h.what) for h in result.policy}
    assert ("requested-major-downgrade", "cpu", "linux-64", "numpy 2.1 h0_0 → 1.26 h0_0") in hits
    # an extension asks for numpy too (its specs include its base's): its hit says where the move came from
    assert (
        "requested-major-downgrade",
        "gpu-gis",
        "linux-64",
        "numpy 2.1 h0_0 → 1.26 h0_0 (inherited from gpu)",
    ) in hits
    assert {h.kind for h in result.policy} == {"requested-major-downgrade"}
    assert len(result.policy) == 8  # 4 variants x 2 platforms
    assert exit_status(result, keep_going=True, exit_code=True) == EXIT_POLICY == 6  # outranks "changed"
    body = result.markdown
    assert "### Refused by refresh.fail-on" in body
    assert "- `requested-major-downgrade`: **cpu** linux-64: numpy 2.1 h0_0 → 1.26 h0_0\n" in body


def test_no_policy_no_hit(fake: Path) -> None:
    lock_project(read_project(fake), LockOptions(), solver_factory=lambda: FakeSolver(TABLE))
    edit(fake / "environment.yml", "[python, numpy]", "[python, 'numpy ==1.26']")
    result = refresh(read_project(fake), LockOptions(), sizes=False, solver_factory=lambda: FakeSolver(OLDER))
    assert result.policy == () and "fail-on" not in result.markdown
    assert exit_status(result, keep_going=False, exit_code=True) == EXIT_CHANGED


def test_unknown_kind_is_one_error_line_listing_the_valid_ones(fake: Path) -> None:
    _policy(fake, "[requested-major-downgrade, major-downgrades]")
    result = CliRunner().invoke(cli, ["-C", str(fake), "refresh"])
    assert result.exit_code == 2
    assert result.output == (
        f"error: {fake / 'envsplit.yml'}:9: refresh.fail-on[1]: unknown kind 'major-downgrades'; expected one of "
        "build-variant-change, layering-downgrade, major-downgrade, requested-downgrade, requested-major-downgrade, "
        "requested-removed\n"
    )
    edit(fake / "envsplit.yml", "  fail-on:", "  fail_on:")
    with pytest.raises(InputError, match=r"refresh\.fail_on: unknown key; expected one of fail-on"):
        read_project(fake)


@pytest.mark.parametrize(
    ("kind", "old", "new", "requested", "hit"),
    [
        ("requested-removed", [pkg("a", "1.0")], [], True, True),
        ("requested-removed", [pkg("a", "1.0")], [], False, False),
        ("requested-downgrade", [pkg("a", "2025.2")], [pkg("a", "2025.1")], True, True),  # calver too
        ("requested-major-downgrade", [pkg("a", "2025.2")], [pkg("a", "2024.1")], True, False),  # not major
        ("major-downgrade", [pkg("a", "2.0")], [pkg("a", "1.9")], False, True),
        ("major-downgrade", [pkg("a", "2.1")], [pkg("a", "2.0")], False, False),
        (
            "build-variant-change",
            [pkg("a", "1.0", "cuda129_h1_0")],
            [pkg("a", "1.0", "cpu_h2_0")],
            False,
            True,
        ),
        ("build-variant-change", [pkg("a", "1.0", "h1_0")], [pkg("a", "1.0", "h2_0")], False, False),
        # a downgrade hidden behind a build-variant swap is still a downgrade
        ("major-downgrade", [pkg("a", "2.0", "cuda_h1_0")], [pkg("a", "1.0", "cpu_h2_0")], False, True),
    ],
)
def test_each_kind(kind: str, old: list, new: list, requested: bool, hit: bool) -> None:
    wanted = ["a"] if requested else []
    diff = diff_locksets(
        LockSet("old", {"v": lock("v", {"linux-64": old}, "v", wanted)}),
        LockSet("new", {"v": lock("v", {"linux-64": new}, "v", wanted)}),
    )
    assert bool(evaluate(diff, {kind})) == hit
    assert evaluate(diff, set()) == []


def test_fed_kinds_are_the_layering_reports_way_in() -> None:
    """The layering report passes its findings; they count only when fail-on names their kind."""
    empty = diff_locksets(LockSet("old", {}), LockSet("new", {}))
    found = PolicyHit(
        "layering-downgrade", "cpu-spatial", "linux-64", "awscli 2.33.7 → 1.42.70 (base: prompt-toolkit)"
    )
    assert evaluate(empty, {"layering-downgrade"}, fed=[found]) == [found]
    assert evaluate(empty, {"requested-removed"}, fed=[found]) == []
    # accepted in envsplit.yml: refresh feeds it from the lock run's layering report
    assert "layering-downgrade" in valid_kinds()
    assert set(valid_kinds()) == set(DIFF_KINDS) | set(FED_KINDS)


def test_cli_policy_exit_6_says_why_on_stderr(tmp_path: Path, cache_dir: Path) -> None:
    root = locked_demo(tmp_path)  # tzlite 2026a locked; the channel now has 2026b
    _policy(root, "[requested-downgrade]")
    assert (
        CliRunner().invoke(cli, ["-C", str(root), "refresh", "--no-sizes"]).exit_code == 0
    )  # 2026b: upgrades
    edit(root / "environment.yml", "tzlite]", "'tzlite 2026a']")
    body = tmp_path / "body.md"
    result = CliRunner().invoke(
        cli, ["-C", str(root), "refresh", "--no-sizes", "--output-markdown", str(body)]
    )
    assert result.exit_code == 6, result.output
    assert "fail-on requested-downgrade: app linux-64: tzlite 2026b h0_0 → 2026a h0_0\n" in result.stderr
    assert "refused: the relock holds changes that refresh: fail-on in envsplit.yml names" in result.stderr
    assert "tzlite-2026a" in (root / "locks/app/conda-linux-64.lock").read_text()  # written all the same
    assert "### Refused by refresh.fail-on" in body.read_text()
