"""A refresh that survives a failed variant (--keep-going, exit 5), --variant families, and the PR body's
"Could not relock" section; the layered body credits an extension's base changes to the base."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import test_lock_run
from click.testing import CliRunner
from test_lock_run import TABLE, _snapshot, _versions
from test_update_refresh import locked_demo

from envsplit.cli import cli
from envsplit.errors import EXIT_FAILED, EXIT_PARTIAL, InputError
from envsplit.inputs.project import read_project
from envsplit.locking.plan import LockOptions
from envsplit.locking.refresh import RefreshResult, exit_status, family, refresh
from envsplit.locking.run import lock_project

from fakesolver import Entry, FakeSolver
from projectfiles import edit

fake = test_lock_run.fake  # the fixture: two bases (cpu, gpu) with one extension each, on two platforms
NEWER = [*TABLE, Entry("numpy", "2.2", ("python",))]
PLATFORMS = ("linux-64", "linux-aarch64")


def _lock(root: Path) -> None:
    outcome = lock_project(read_project(root), LockOptions(), solver_factory=lambda: FakeSolver(TABLE))
    assert not outcome.failed


def _refresh(root: Path, table: list[Entry] = NEWER, variants: tuple[str, ...] = ()) -> RefreshResult:
    return refresh(
        read_project(root),
        LockOptions(),
        sizes=False,
        variants=variants,
        solver_factory=lambda: FakeSolver(table),
    )


def _locks(root: Path, *variants: str) -> dict[str, bytes]:
    return {k: v for k, v in _snapshot(root).items() if k.split("/")[:2] in [["locks", v] for v in variants]}


def test_keep_going_writes_every_variant_that_solved_and_lists_the_rest(fake: Path) -> None:
    _lock(fake)
    edit(fake / "overlays/gpu.yml", "[cudatk]", "['cudatk ==9.9']")  # no such cudatk: gpu cannot be solved
    gpu_before = _locks(fake, "gpu", "gpu-gis")
    result = _refresh(fake)

    for variant in ("cpu", "cpu-gis"):  # relocked and written: numpy 2.2 is new
        assert _versions(fake, variant, "linux-64")["numpy"] == "2.2"
    assert _locks(fake, "gpu", "gpu-gis") == gpu_before  # the failed family keeps its locks
    failures = {(f.variant, f.platform): f for f in result.failures}
    assert set(failures) == {(v, p) for v in ("gpu", "gpu-gis") for p in PLATFORMS}
    assert failures["gpu", "linux-64"].reason == "nothing provides cudatk ==9.9 on linux-64"
    assert {failures["gpu-gis", p].skipped_for for p in PLATFORMS} == {"gpu"}

    assert exit_status(result, keep_going=True, exit_code=True) == EXIT_PARTIAL == 5
    assert exit_status(result, keep_going=False, exit_code=False) == EXIT_FAILED  # as before --keep-going

    body = result.markdown
    section = body.split("### Could not relock", 1)[1].split("####", 1)[0]
    assert "- **gpu** linux-64:\n\n  > nothing provides cudatk ==9.9 on linux-64\n" in section
    assert "- **gpu-gis** linux-aarch64: skipped: base `'gpu'` could not be relocked\n" in section
    assert "cpu" not in section  # only the failures are listed there
    # the layered body: cpu-gis moved only because its base did
    assert "- **cpu** linux-64: 1 upgraded; requested: numpy 2.1 → 2.2\n" in body
    assert "- **cpu-gis** linux-64: inherited from [cpu](#cpu--linux-64): 1 change\n" in body
    assert "#### cpu · linux-64" in body


def test_keep_going_with_nothing_relocked_is_a_failure(fake: Path) -> None:
    _lock(fake)
    edit(fake / "environment.yml", "[python, numpy]", "[python, 'numpy ==9.9']")
    result = _refresh(fake)
    assert {f.variant for f in result.failures} == {"cpu", "gpu", "cpu-gis", "gpu-gis"}
    assert exit_status(result, keep_going=True, exit_code=False) == EXIT_FAILED


def test_variant_relocks_only_its_family(fake: Path) -> None:
    _lock(fake)
    gpu_before = _locks(fake, "gpu", "gpu-gis")
    result = _refresh(fake, variants=("cpu-gis",))
    assert result.variants == ("cpu", "cpu-gis")  # an extension is relocked with its base
    assert _locks(fake, "gpu", "gpu-gis") == gpu_before  # numpy 2.2 was there to take
    assert _versions(fake, "cpu-gis", "linux-aarch64")["numpy"] == "2.2"
    assert [v.name for v in result.diff.variants] == ["cpu", "cpu-gis"]
    assert "gpu" not in result.markdown
    assert family(read_project(fake), ["gpu"]) == ("gpu", "gpu-gis")  # a base brings its extensions


def test_unknown_variant_is_bad_input_with_a_suggestion(fake: Path) -> None:
    _lock(fake)
    before = _snapshot(fake)
    result = CliRunner().invoke(cli, ["-C", str(fake), "refresh", "--variant", "cpu-gsi", "--keep-going"])
    assert result.exit_code == 2
    assert result.output == (
        f"error: --variant cpu-gsi: no such variant in {fake / 'envsplit.yml'}; did you mean 'cpu-gis'? "
        "declared: cpu, gpu, cpu-gis, gpu-gis\n"
    )
    assert _snapshot(fake) == before
    with pytest.raises(InputError, match="no such variant"):
        family(read_project(fake), ["nothing-like-it"])


# --- through the command line, with a real solve on a small local channel ------------------------


@pytest.fixture()
def demo(tmp_path: Path, cache_dir: Path) -> Path:
    """The refresh demo (app on a local channel with newer packages) plus ``extra``, which cannot be solved."""
    root = locked_demo(tmp_path)
    (root / "overlays").mkdir()
    (root / "overlays/extra.yml").write_text("replace: {tzlite: 'tzlite >=9999'}\n")
    edit(root / "envsplit.yml", "  app: {}\n", "  app: {}\n  extra: {overlays: [extra]}\n")
    return root


def test_cli_keep_going_exits_partial_and_writes_the_body(demo: Path, tmp_path: Path) -> None:
    body = tmp_path / "body.md"
    result = CliRunner().invoke(
        cli, ["-C", str(demo), "refresh", "--keep-going", "--no-sizes", "--output-markdown", str(body)]
    )
    assert result.exit_code == 5, result.output
    assert "partial: 1 variant/platform pair(s) could not be relocked and kept their locks" in result.stderr
    assert result.stdout == "changed: locks or Dockerfiles were updated\n"
    assert "toolkit-0.6.0" in (demo / "locks/app/conda-linux-64.lock").read_text()  # app was written
    assert not (demo / "locks/extra").exists()
    text = body.read_text()
    assert re.search(r"^- \*\*extra\*\* linux-64:\n\n  > .*tzlite \\>=9999", text, re.MULTILINE), text

    # without --keep-going: the same run is a failure, as it always was
    edit(demo / "environment.yml", "tzlite]", "tzlite, extra]")
    result = CliRunner().invoke(cli, ["-C", str(demo), "refresh", "--no-sizes"])
    assert result.exit_code == 1, result.output
    assert "FAILED extra linux-64:" in result.stderr


def test_a_long_reason_is_cut_and_escaped() -> None:
    from envsplit.diff.sections import MAX_REASON_LINES, Failure, failures_section

    reason = "\n".join(
        ["<!-- @someone https://user:secret@example.com/c"] + [f"  line {i}" for i in range(50)]
    )
    lines = failures_section([Failure("v", "linux-64", reason)])
    quoted = [ln for ln in lines if ln.startswith("  > ")]
    assert len(quoted) == MAX_REASON_LINES + 1  # the kept lines and the note saying where the rest is
    assert "secret" not in "\n".join(lines)
    assert quoted[0].startswith("  > \\<\\!-- @&#8203;someone")
    assert quoted[1] == "  > \u00a0\u00a0line 0  "  # indentation kept, a hard line break after it
    assert "envsplit lock --variant v" in quoted[-1]


# --- the rocker example on the bundled snapshot -----------------------------------------------------


def test_rocker_refresh_with_an_unsatisfiable_cpu_keeps_going(
    locked: Path, mirror_args: list[str], tmp_path: Path
) -> None:
    """cpu asks for a numpy the snapshot does not have; cuda drops cudf: the cuda family is written."""
    with (locked / "overlays/cpu.yml").open("a") as f:
        f.write("add:\n  - numpy >=99\n")
    edit(locked / "overlays/cuda.yml", "add:\n  - cudf\n", "")  # cuda drops cudf
    cpu_before = _locks(locked, "cpu", "cpu-spatial")
    body = tmp_path / "body.md"
    result = CliRunner().invoke(
        cli, ["refresh", "--keep-going", "--no-sizes", *mirror_args, "--output-markdown", str(body)]
    )
    assert result.exit_code == 5, result.output
    assert _locks(locked, "cpu", "cpu-spatial") == cpu_before
    for variant in ("cuda", "cuda-spatial"):
        assert "/cudf-" not in (locked / f"locks/{variant}/conda-linux-64.lock").read_text()
    text = body.read_text()
    section = text.split("### Could not relock", 1)[1].split("####", 1)[0]
    for platform in PLATFORMS:
        assert (
            f"- **cpu** {platform}:\n\n  > Cannot solve the request because of: No candidates were found for numpy \\>=99."
            in section
        )
        assert f"- **cpu-spatial** {platform}: skipped: base `'cpu'` could not be relocked" in section
    assert re.search(r"^- \*\*cuda\*\* linux-64: .*\d+ removed", text, re.MULTILINE), text
    assert re.search(
        r"^- \*\*cuda-spatial\*\* linux-64: .*inherited from \[cuda\]\(#cuda--linux-64\): \d+ changes",
        text,
        re.MULTILINE,
    ), text
