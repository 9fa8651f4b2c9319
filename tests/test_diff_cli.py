"""``envsplit diff`` from the command line: sides from files, folders and git revisions, and bad input."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from test_diff import pkg

from envsplit.cli import cli
from envsplit.lockfile import conda_lock_yml
from envsplit.models import LockedPackage

from projectfiles import git

SOURCES = Path(__file__).parent / "data" / "sources"


def write_lock(path: Path, variant: str, packages: dict[str, list[LockedPackage]]) -> Path:
    """A conda-lock.yml as ``envsplit lock`` writes it (same builder, renderer and custom metadata)."""
    model = conda_lock_yml.build(
        packages,
        ["https://conda.anaconda.org/conda-forge"],
        {p: "0" * 64 for p in packages},
        ["../../environment.yml"],
        {"envsplit_variant": variant},
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(conda_lock_yml.render(model, [f"# variant: {variant}"]), encoding="utf-8")
    return path


def run(*args: str, cwd: Path | None = None) -> Result:
    argv = ["-C", str(cwd), *args] if cwd is not None else list(args)
    return CliRunner().invoke(cli, argv)


PYTHON = pkg("python", "3.12.11", "h1_0_cpython")
NUMPY = pkg("numpy", "2.3.5", "py312_0", depends=["python >=3.12,<3.13"])


def project(root: Path, deps: Sequence[str], packages: list[LockedPackage]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "envsplit.yml").write_text(
        "version: 1\nplatforms: [linux-64]\nvariants:\n  cpu: {}\n", encoding="utf-8"
    )
    (root / "environment.yml").write_text(
        "channels: [conda-forge]\ndependencies:\n" + "".join(f"  - {d}\n" for d in deps), encoding="utf-8"
    )
    write_lock(root / "locks" / "cpu" / "conda-lock.yml", "cpu", {"linux-64": packages})


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A git repository whose HEAD locks python+numpy; the working tree then swaps numpy for pandas."""
    root = tmp_path / "repo"
    project(root, ["python 3.12.*", "numpy"], [PYTHON, NUMPY])
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "lock")
    pandas = pkg("pandas", "2.3.3", "py312_0", depends=["python >=3.12", "numpy >=1.26"])
    numpy = pkg("numpy", "2.4.2", "py312_0", depends=["python >=3.12,<3.13"])
    project(root, ["python 3.12.*", "pandas"], [pkg("python", "3.12.12", "h2_0_cpython"), numpy, pandas])
    return root


def test_git_revision_against_the_working_tree(repo: Path) -> None:
    result = run("diff", "--git", "HEAD", "--format", "json", cwd=repo)
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["old"] == "locks at HEAD"
    assert document["regenerate"] == f"envsplit -C {repo} diff --git HEAD --format json"
    (variant,) = document["variants"]
    assert variant["old_lock"] == "HEAD:locks/cpu/conda-lock.yml"
    assert variant["requested_basis"] == "specs"
    (platform,) = variant["platforms"]
    assert [(a["name"], a["requested"]) for a in platform["added"]] == [("pandas", True)]
    assert platform["removed"] == []
    changed = {c["name"]: (c["kind"], c["level"], c["requested"]) for c in platform["changed"]}
    # numpy stays as pandas' dependency: requested at HEAD (its specs), not in the working tree
    assert changed == {"numpy": ("upgrade", "minor", True), "python": ("upgrade", "patch", True)}


def test_requested_at_the_revision_uses_the_project_files_at_that_revision(repo: Path) -> None:
    # Drop numpy entirely now: it was requested at HEAD, so its removal is a requested change.
    project(repo, ["python 3.12.*"], [PYTHON])
    result = run("diff", "--git", "HEAD", "--format", "json", cwd=repo)
    assert result.exit_code == 0, result.output
    (platform,) = json.loads(result.output)["variants"][0]["platforms"]
    assert [(r["name"], r["requested"]) for r in platform["removed"]] == [("numpy", True)]
    assert platform["changed"] == [] and platform["added"] == []


def test_git_markdown_and_one_path(repo: Path) -> None:
    result = run("diff", "--git", "HEAD", str(repo / "locks/cpu/conda-lock.yml"), cwd=repo)
    assert result.exit_code == 0, result.output
    assert "- **cpu** linux-64: 2 upgraded, 1 added; requested: numpy 2.3.5 → 2.4.2" in result.output


def test_git_errors_exit_2(repo: Path, tmp_path: Path) -> None:
    result = run("diff", "--git", "no-such-rev", cwd=repo)
    assert result.exit_code == 2
    assert "error: --git no-such-rev: no such revision in" in result.output
    assert "Traceback" not in result.output
    plain = tmp_path / "plain"
    project(plain, ["python"], [PYTHON])
    result = run("diff", "--git", "HEAD", cwd=plain)
    assert result.exit_code == 2
    assert "is not inside a git repository" in result.output
    write_lock(repo / "locks" / "new" / "conda-lock.yml", "new", {"linux-64": [PYTHON]})
    result = run("diff", "--git", "HEAD", str(repo / "locks/new"), cwd=repo)
    assert result.exit_code == 2
    assert "locks/new does not exist at HEAD" in result.output
    result = run("diff", "--git", "HEAD", "a", "b", cwd=repo)
    assert result.exit_code == 2
    assert "--git REV takes at most one PATH" in result.output


def test_corrupt_lock_at_the_revision_names_it(repo: Path) -> None:
    (repo / "locks" / "cpu" / "conda-lock.yml").write_text("version: 1\npackage: [\n", encoding="utf-8")
    git(repo, "commit", "-q", "-am", "broken")
    project(repo, ["python"], [PYTHON])
    result = run("diff", "--git", "HEAD", cwd=repo)
    assert result.exit_code == 2
    assert "error: HEAD:locks/cpu/conda-lock.yml: not a readable conda-lock.yml" in result.output


def test_folders_and_files(tmp_path: Path) -> None:
    old = tmp_path / "old"
    new = tmp_path / "new"
    write_lock(old / "cpu" / "conda-lock.yml", "cpu", {"linux-64": [PYTHON, NUMPY]})
    write_lock(old / "cuda" / "conda-lock.yml", "cuda", {"linux-64": [PYTHON]})
    write_lock(new / "cpu" / "conda-lock.yml", "cpu", {"linux-64": [PYTHON]})
    result = run("diff", str(old), str(new), "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert [(v["name"], v["status"]) for v in document["variants"]] == [
        ("cpu", "changed"),
        ("cuda", "removed"),
    ]
    # one variant folder against a whole locks folder: paired by the variant
    result = run("diff", str(old / "cpu"), str(new), "--format", "json")
    assert result.exit_code == 0, result.output
    assert [v["name"] for v in json.loads(result.output)["variants"]] == ["cpu"]


def test_different_variants_exit_2_unless_allowed(tmp_path: Path) -> None:
    cpu = write_lock(tmp_path / "cpu.yml", "cpu", {"linux-64": [PYTHON, NUMPY]})
    cuda = write_lock(tmp_path / "cuda.yml", "cuda", {"linux-64": [PYTHON]})
    result = run("diff", str(cpu), str(cuda))
    assert result.exit_code == 2
    assert f"error: {cpu} locks variant 'cpu' but {cuda} locks variant 'cuda'" in result.output
    result = run("diff", str(cpu), str(cuda), "--allow-variant-mismatch")
    assert result.exit_code == 0, result.output
    assert "- **cpu → cuda** linux-64: 1 removed" in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file or folder; give a conda-lock.yml or a locks/ folder"),
        ("version: 1\nmetadata: {\n", "not a readable conda-lock.yml"),
        ("just: text\n", "not a readable conda-lock.yml"),
        ("version: 1\nmetadata: {}\npackage: []\n", "not a readable conda-lock.yml"),
    ],
)
def test_bad_old_lock_exits_2_naming_it(tmp_path: Path, content: str | None, message: str) -> None:
    old = tmp_path / "old.yml"
    if content is not None:
        old.write_text(content, encoding="utf-8")
    result = run("diff", str(old), str(SOURCES / "py-rocket-base.conda-lock.yml"))
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {old}: ")
    assert message in result.output
    assert "Traceback" not in result.output


def test_folder_without_locks_and_missing_arguments(tmp_path: Path) -> None:
    result = run("diff", str(tmp_path), str(tmp_path))
    assert result.exit_code == 2
    assert "no conda-lock.yml in it nor in its subfolders" in result.output
    result = run("diff", str(tmp_path))
    assert result.exit_code == 2
    assert "give OLD and NEW" in result.output


def test_output_file_is_written_and_stdout_stays_empty(tmp_path: Path) -> None:
    cpu = write_lock(tmp_path / "a" / "conda-lock.yml", "cpu", {"linux-64": [PYTHON, NUMPY]})
    cpu2 = write_lock(tmp_path / "b" / "conda-lock.yml", "cpu", {"linux-64": [PYTHON]})
    out = tmp_path / "out" / "diff.json"
    result = run("-q", "diff", str(cpu), str(cpu2), "--format", "json", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.output == ""
    first = out.read_bytes()
    assert json.loads(first)["changed"] is True
    run("-q", "diff", str(cpu), str(cpu2), "--format", "json", "-o", str(out))
    assert out.read_bytes() == first


def test_end_to_end_relock_then_diff_with_sizes(
    rocker_project: Path, mirror_args: list[str], cache_dir: Path
) -> None:
    """Lock the rocker cpu variant, commit, change the specs, relock, and diff against the commit."""
    lock = ["lock", "--variant", "cpu", "--platform", "linux-64", "--no-dockerfiles", *mirror_args]
    result = run(*lock, cwd=rocker_project)
    assert result.exit_code == 0, result.output
    git(rocker_project, "init", "-q", "-b", "main")
    git(rocker_project, "add", ".")
    git(rocker_project, "commit", "-q", "-m", "lock")
    env = rocker_project / "environment.yml"
    text = env.read_text(encoding="utf-8")
    text = text.replace("  - altair\n", "").replace("  - pip\n", "  - pip <26\n")
    env.write_text(text.replace("  - polars\n", "  - polars <1.40\n"), encoding="utf-8")
    result = run(*lock, cwd=rocker_project)
    assert result.exit_code == 0, result.output
    result = run("diff", "--git", "HEAD", "--format", "json", *mirror_args, cwd=rocker_project)
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    (variant,) = document["variants"]
    assert variant["name"] == "cpu" and variant["requested_basis"] == "specs"
    (platform,) = variant["platforms"]
    changed = {c["name"]: c for c in platform["changed"]}
    assert (changed["pip"]["kind"], changed["pip"]["level"], changed["pip"]["requested"]) == (
        "downgrade",
        "major",
        True,
    )
    assert (changed["polars"]["kind"], changed["polars"]["level"]) == ("downgrade", "minor")
    removed = {r["name"]: r for r in platform["removed"]}
    assert removed["altair"]["requested"] is True  # requested at HEAD, gone from the specs now
    # sizes came from the mirrored repodata: every change is sized and the totals add up
    assert document["sizes_looked_up"] is True and document["size_unknown"] == 0
    deltas = [c["size_delta"] for c in platform["changed"]]
    deltas += [a["size"] for a in platform["added"]] + [-r["size"] for r in platform["removed"]]
    assert document["size_delta"] == sum(deltas)
    result = run("diff", "--git", "HEAD", *mirror_args, cwd=rocker_project)
    assert "- **cpu** linux-64: " in result.output
    assert "pip 26.0.1 → 25.3" in result.output
    assert "- **cpu** linux-aarch64" not in result.output  # never locked on that platform here
