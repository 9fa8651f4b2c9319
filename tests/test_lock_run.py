"""The lock run as one library entry point: refusals before any write, empty environments, the fake solver."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_update_refresh import locked_demo

from envsplit.cli import cli
from envsplit.errors import InputError
from envsplit.inputs.project import read_project
from envsplit.locking.outcome import LockOutcome, PairResult
from envsplit.locking.plan import LockOptions
from envsplit.locking.run import lock_project

from archives import PackageDef, build_channel, demo_packages
from fakesolver import Entry, FakeSolver
from projectfiles import edit, explicit_lines, write

REPO = Path(__file__).parent.parent
NEWER = [PackageDef("tzlite", "2026b", "h0_0", "noarch", files={"share/zoneinfo/UTC": b"TZif2 UTC b\n"})]


def _run(project: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["-C", str(project), *args])
    return result.exit_code, result.output


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture()
def demo(tmp_path: Path, cache_dir: Path) -> Path:
    """A one-variant project on a local demo channel, locked, whose channel then gains a newer tzlite."""
    return locked_demo(tmp_path, NEWER)


def test_refresh_with_a_hand_edited_dockerfile_writes_nothing(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(demo)
    edit(demo / "dockerfiles/Dockerfile.app", "micromamba clean --all --yes", "micromamba clean --yes")
    before = _snapshot(demo)
    body = tmp_path / "body.md"
    code, out = _run(demo, "refresh", "--no-sizes", "--output-markdown", str(body))
    assert code == 2, out
    assert out == (
        "error: dockerfiles/Dockerfile.app: the generated part was edited by hand; move the change into a "
        "'# >>> user:' section (those are kept), or delete the file to regenerate it\n"
    )
    assert _snapshot(demo) == before  # no lock rewritten (tzlite 2026b was there to take)
    assert not body.exists()


def test_an_empty_environment_locks_and_check_is_clean(tmp_path: Path, cache_dir: Path) -> None:
    channel = build_channel(tmp_path / "channel", demo_packages())
    root = tmp_path / "project"
    root.mkdir()
    (root / "environment.yml").write_text(f"channels: [{channel.as_uri()}]\ndependencies: []\n")
    (root / "envsplit.yml").write_text("version: 1\nplatforms: [linux-64]\nvariants:\n  empty: {}\n")
    code, out = _run(root, "lock")
    assert code == 0, out
    assert "content-sha256: " in (root / "locks/empty/conda-lock.yml").read_text()
    code, out = _run(root, "lock", "--check")
    assert (code, out) == (0, "all 1 locks are up to date\n")
    code, out = _run(root, "lock")
    assert code == 0 and "0 solved, 1 unchanged, 0 failed; 0 file(s) written" in out, out


# ---------------------------------------------------------------- the run, driven by an in-memory solver

TABLE = [
    Entry("python", "3.12"),
    Entry("python", "3.13"),
    Entry("numpy", "2.0", ("python",)),
    Entry("numpy", "2.1", ("python",)),
    Entry("gdal", "3.9", ("numpy",)),
    Entry("cudatk", "12.0"),
    Entry("proj", "9.4"),
]
PAIRS = [(v, p) for v in ("cpu", "gpu", "cpu-gis", "gpu-gis") for p in ("linux-64", "linux-aarch64")]


class Recorder:
    """A reporter that keeps every call (chains call it from several threads)."""

    def __init__(self) -> None:
        self.begun: list[tuple[str, str]] = []
        self.done_: list[PairResult] = []
        self.warnings: list[str] = []

    def start(self, total: int) -> None:
        self.total = total

    def begin(self, variant: str, platform: str) -> None:
        self.begun.append((variant, platform))

    def done(self, result: PairResult) -> None:
        self.done_.append(result)

    def warn(self, message: str) -> None:
        self.warnings.append(message)


@pytest.fixture()
def fake(tmp_path: Path) -> Path:
    """Two bases (cpu, gpu) with one extension each, on two platforms, solved by FakeSolver."""
    return write(
        tmp_path / "fake",
        {
            "environment.yml": "channels: [conda-forge]\ndependencies: [python, numpy]\n",
            "overlays/gis.yml": "add: [gdal]\n",
            "overlays/gpu.yml": "add: [cudatk]\n",
            "envsplit.yml": "version: 1\nplatforms: [linux-64, linux-aarch64]\nvariants:\n"
            "  cpu: {}\n  gpu: {overlays: [gpu]}\n"
            "  cpu-gis: {base: cpu, overlays: [gis]}\n  gpu-gis: {base: gpu, overlays: [gis]}\n",
        },
    )


def _lock(root: Path, solver: FakeSolver, reporter: Recorder | None = None, **options: Any) -> LockOutcome:
    return lock_project(read_project(root), LockOptions(**options), reporter, solver_factory=lambda: solver)


def _versions(root: Path, variant: str, platform: str) -> dict[str, str]:
    lines = explicit_lines(root / f"locks/{variant}/conda-{platform}.lock")
    return dict(ln.rsplit("/", 1)[1].rsplit("-", 2)[:2] for ln in lines)  # type: ignore[misc]


def test_fresh_locks_are_not_solved_and_only_what_changed_is(fake: Path) -> None:
    solver = FakeSolver(TABLE)
    outcome = _lock(fake, solver)
    assert [(r.variant, r.platform, r.status) for r in outcome.results] == [(*p, "locked") for p in PAIRS]
    assert _versions(fake, "gpu-gis", "linux-aarch64") == {
        "python": "3.13",
        "numpy": "2.1",
        "cudatk": "12.0",
        "gdal": "3.9",
    }
    assert fake / "dockerfiles/Dockerfile.cpu-gis" in outcome.rendered
    before = _snapshot(fake)

    again = FakeSolver(TABLE)
    outcome = _lock(fake, again)
    assert (again.calls, outcome.written, outcome.unchanged) == ([], (), 8)
    assert _lock(fake, FakeSolver(TABLE), check=True).stale == []

    edit(fake / "overlays/gis.yml", "[gdal]", "[gdal, proj]")  # the extensions' inputs change, not the bases'
    third = FakeSolver(TABLE)
    outcome = _lock(fake, third)
    assert {v for v, _ in third.calls} == {"cpu-gis", "gpu-gis"}
    assert [r.variant for r in outcome.results if r.status == "locked"] == ["cpu-gis"] * 2 + ["gpu-gis"] * 2
    after = _snapshot(fake)
    assert {k for k in after if before.get(k) != after[k] and not k.startswith("overlays/")} == {
        f"locks/{v}/{f}" for v in ("cpu-gis", "gpu-gis") for f in ("conda-lock.yml", *_platform_files())
    } | {"dockerfiles/docker-bake.hcl"}  # its smoke tests import the requested packages: proj is new


def _platform_files() -> list[str]:
    return [f"{kind}-{p}.lock" for kind in ("conda", "layer") for p in ("linux-64", "linux-aarch64")]


def test_update_moves_only_the_named_package(fake: Path) -> None:
    _lock(fake, FakeSolver(TABLE))
    grown = [*TABLE, Entry("python", "3.14"), Entry("numpy", "2.2", ("python",))]
    assert _lock(fake, FakeSolver(grown)).solved == 0  # inputs unchanged: the new builds are not looked at
    _lock(fake, FakeSolver(grown), force=True)
    assert _versions(fake, "cpu", "linux-64") == {"python": "3.13", "numpy": "2.1"}  # a re-solve keeps builds
    outcome = _lock(fake, FakeSolver(grown), update=("numpy",))
    assert outcome.solved == 8
    assert _versions(fake, "cpu", "linux-64") == {"python": "3.13", "numpy": "2.2"}
    assert _versions(fake, "gpu-gis", "linux-aarch64")["numpy"] == "2.2"
    _lock(fake, FakeSolver(grown), update=())
    assert _versions(fake, "cpu", "linux-64") == {"python": "3.14", "numpy": "2.2"}


def test_unselected_platforms_are_carried_over_and_stay_stale(fake: Path) -> None:
    _lock(fake, FakeSolver(TABLE))
    aarch64 = (fake / "locks/cpu/conda-linux-aarch64.lock").read_bytes()
    edit(fake / "environment.yml", "[python, numpy]", "[python, numpy 2.0]")
    solver = FakeSolver(TABLE)
    outcome = _lock(fake, solver, platforms=("linux-64",))
    assert {p for _, p in solver.calls} == {"linux-64"}
    assert outcome.solved == 4
    assert (fake / "locks/cpu/conda-linux-aarch64.lock").read_bytes() == aarch64
    lock_yml = (fake / "locks/cpu/conda-lock.yml").read_text()
    assert "linux-aarch64/numpy-2.1-h0_0.conda" in lock_yml and "linux-64/numpy-2.0-h0_0.conda" in lock_yml
    stale = _lock(fake, FakeSolver(TABLE), check=True).stale
    changed = "inputs changed since the lock was written"
    assert [(r.variant, r.platform, r.detail) for r in stale] == [
        ("cpu", "linux-aarch64", changed),
        ("gpu", "linux-aarch64", changed),
        *(
            (f"{v}-gis", p, f"its base {v!r} is stale")
            for v in ("cpu", "gpu")
            for p in ("linux-64", "linux-aarch64")
        ),
    ]


def test_a_failing_platform_writes_nothing_of_its_variant(fake: Path) -> None:
    table = [e for e in TABLE if e.name != "cudatk"] + [Entry("cudatk", "12.0", platforms=("linux-64",))]
    outcome = _lock(fake, FakeSolver(table))
    failed = {(r.variant, r.platform): r.detail for r in outcome.failed}
    assert failed == {
        ("gpu", "linux-64"): "not written: 'gpu' failed on linux-aarch64",
        ("gpu", "linux-aarch64"): "nothing provides cudatk on linux-aarch64",
        ("gpu-gis", "linux-64"): "its base 'gpu' could not be locked",
        ("gpu-gis", "linux-aarch64"): "its base 'gpu' could not be locked",
    }
    assert sorted(p.name for p in (fake / "locks").iterdir()) == ["cpu", "cpu-gis"]
    assert sorted(p.name for p in (fake / "dockerfiles").iterdir()) == [
        "Dockerfile.cpu",
        "Dockerfile.cpu-gis",
        "docker-bake.hcl",
        "smoke-test.Dockerfile",  # the smoke test of the images (issue 11)
        "smoke_check.py",
    ]


def test_a_typo_is_bad_input_before_any_write_even_in_parallel(fake: Path) -> None:
    edit(fake / "overlays/gis.yml", "[gdal]", "[gdla]")
    with pytest.raises(InputError, match="no package 'gdla'"):
        _lock(fake, FakeSolver(TABLE, delay=0.01), jobs=4)
    assert not (fake / "locks").exists() and not (fake / "dockerfiles").exists()


def test_parallel_and_sequential_runs_write_the_same_bytes(fake: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(fake, other)
    runs = {}
    for root, jobs in ((fake, 1), (other, 4)):
        solver, reporter = FakeSolver(TABLE, delay=0.02), Recorder()
        outcome = _lock(root, solver, reporter, jobs=jobs)
        runs[jobs] = (solver, reporter, outcome)
        assert sorted(reporter.begun) == sorted(PAIRS)  # every pair shown once, from whichever thread
        assert [(r.variant, r.platform) for r in reporter.done_] == PAIRS
    assert _snapshot(fake) == _snapshot(other)
    assert runs[1][2].results == runs[4][2].results
    assert runs[1][0].max_running == 1
    assert runs[4][0].max_running >= 2  # the four chains (cpu, gpu) x (linux-64, linux-aarch64) overlap


def test_jobs_is_documented_and_checked(tmp_path: Path) -> None:
    code, out = _run(tmp_path, "lock", "--help")
    assert code == 0 and "--jobs N" in out and "The locks are the same for any N" in " ".join(out.split())
    code, out = _run(tmp_path, "lock", "--jobs", "0")
    assert code == 2 and "0 is not in the range x>=1" in out


def test_a_sequential_lock_writes_the_committed_locks_too(
    rocker_project: Path, mirror_args: list[str], cache_dir: Path
) -> None:
    """test_golden locks in parallel (the default); one chain at a time must give the same bytes."""
    code, out = _run(rocker_project, "lock", "--jobs", "1", *mirror_args)
    assert code == 0 and "8 solved" in out, out
    for folder in ("locks", "dockerfiles"):
        fresh, committed = _snapshot(rocker_project / folder), _snapshot(REPO / folder)
        committed.pop("README.md", None)
        assert fresh == committed, folder


def test_conda_lock_is_imported_safely_from_several_threads() -> None:
    """The run preloads conda-lock in a thread while others order and render: its import cycle must not break."""
    code = (
        "import threading\n"
        "from envsplit.lockfile import conda_lock_yml as c\n"
        "calls = [c.preload, lambda: c.explicit_lines([]), lambda: c.build({}, [], {}, [], {})] * 2\n"
        "threads = [threading.Thread(target=f) for f in calls]\n"
        "[t.start() for t in threads]\n"
        "[t.join() for t in threads]\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stderr) == (0, "")
