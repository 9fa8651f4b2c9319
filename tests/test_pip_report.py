"""pip packages in ``audit``, ``diff``, ``why``/``tree`` and the refresh body: read from a lock's
``manager: pip`` entries, marked as pip in every format, sized from the index (tests/data/pypi) or unknown."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from conftest import DATA, REPO
from test_diff_cli import write_lock
from test_diff_render import validate

from envsplit.cli import cli
from envsplit.diff.compare import diff_locksets
from envsplit.diff.render import render_markdown
from envsplit.diff.sides import read_side, requested_from_project
from envsplit.errors import InputError
from envsplit.inputs.project import read_project
from envsplit.lockfile import conda_lock_yml, pip_entries
from envsplit.models import LockedPackage
from envsplit.pip.records import conda_lock_entries
from envsplit.pip.resolve import PUBLIC_FILES, PipPackage

from httpserver import url
from pypiserver import serve_pypi

PYPI = DATA / "pypi"
SNAPSHOT = json.loads((PYPI / "snapshot.json").read_text())
AUDIT_SCHEMA = REPO / "docs" / "audit-schema.json"
MACHINE = {"linux-64": "x86_64", "linux-aarch64": "aarch64"}


def wheel(project: str, version: str, platform: str = "linux-64") -> PipPackage:
    """The snapshot's real wheel of ``project`` ``version`` for ``platform``: its public URL, sha256 and size."""
    for f in SNAPSHOT["projects"][project]:
        name = f["filename"]
        if not name.endswith(".whl") or f"-{version}-" not in name:
            continue
        if "none-any" in name or MACHINE[platform] in name:
            return PipPackage(project, version, PUBLIC_FILES + f["path"], f["sha256"], f["size"])
    raise AssertionError(f"no wheel of {project} {version} for {platform}")


def add_pip(lock: Path, by_platform: dict[str, list[PipPackage]]) -> None:
    """Append ``manager: pip`` entries as conda-lock writes them (``package:`` is the lock's last key)."""
    entries = [e for platform, pkgs in by_platform.items() for e in conda_lock_entries(pkgs, platform)]
    text = lock.read_text(encoding="utf-8")
    assert text.rstrip().splitlines()[-1].startswith("  ") and "\npackage:\n" in text
    lock.write_text(text + yaml.safe_dump(entries, sort_keys=False), encoding="utf-8")


def strip_pip(lock: Path) -> Path:
    """Drop every ``manager: pip`` entry of ``lock`` (the committed locks carry the lock run's own)."""
    head, sep, body = lock.read_text(encoding="utf-8").partition("\npackage:\n")
    assert sep, lock
    entries = ["- " + e for e in ("\n" + body).split("\n- ")[1:]]
    kept = [e for e in entries if "\n  manager: pip\n" not in e]
    assert len(kept) < len(entries), f"{lock}: no pip entry to strip"
    lock.write_text(head + sep + "\n".join(e.rstrip("\n") for e in kept) + "\n", encoding="utf-8")
    assert pip_entries.read(lock) == {}
    for pip_file in lock.parent.glob("pip-*.txt"):
        pip_file.unlink()
    return lock


def strip_all_pip(project: Path) -> None:
    for lock in sorted((project / "locks").glob("*/conda-lock.yml")):
        strip_pip(lock)


def rocker_pip(platform: str) -> list[PipPackage]:
    return [
        wheel("jupyter-keepalive", "0.3.0"),
        wheel("jupyter-tensorboard-proxy", "0.1.1"),
        wheel("pcodec", "1.1.0", platform),
    ]


@pytest.fixture()
def with_pip(locked: Path) -> Path:
    """The rocker project with its committed locks, their pip entries replaced: only cpu's lock has pip
    entries, three on each platform."""
    strip_all_pip(locked)
    add_pip(
        locked / "locks" / "cpu" / "conda-lock.yml", {p: rocker_pip(p) for p in ("linux-64", "linux-aarch64")}
    )
    return locked


def run(project: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(project), *args])


# --- the reader ----------------------------------------------------------------------------------


def test_reader_reads_pip_entries_beside_the_conda_packages(with_pip: Path) -> None:
    lock = with_pip / "locks" / "cpu" / "conda-lock.yml"
    conda = conda_lock_yml.read(lock)
    assert conda == conda_lock_yml.read(REPO / "locks" / "cpu" / "conda-lock.yml"), (
        "conda reading is unchanged"
    )
    pip = pip_entries.read(lock)
    assert sorted(pip) == ["linux-64", "linux-aarch64"]
    assert [p.name for p in pip["linux-64"]] == ["jupyter-keepalive", "jupyter-tensorboard-proxy", "pcodec"]
    pcodec = {platform: pkgs[2] for platform, pkgs in pip.items()}
    assert pcodec["linux-64"].file_name.endswith("x86_64.whl") and pcodec["linux-aarch64"].file_name.endswith(
        "aarch64.whl"
    )
    expected = wheel("pcodec", "1.1.0")
    assert pcodec["linux-64"] == LockedPackage(
        "pcodec", "1.1.0", "", "", "pypi", expected.url, "", expected.sha256, None, (), manager="pip"
    ), "no size in the lock: unknown, not 0"
    every = pip_entries.merged(conda, pip)
    assert every["linux-64"] == [*conda["linux-64"], *pip["linux-64"]]
    # conda-lock's own parser reads the same file and sees the same pip entries.
    from conda_lock.lockfile import parse_conda_lock_file

    parsed = parse_conda_lock_file(lock)
    assert sorted((d.platform, d.name, d.url) for d in parsed.package if d.manager == "pip") == sorted(
        (platform, p.name, p.url) for platform, pkgs in pip.items() for p in pkgs
    )


def test_reader_without_pip_entries_parses_nothing(tmp_path: Path) -> None:
    lock = tmp_path / "conda-lock.yml"
    lock.write_bytes((REPO / "locks" / "cpu" / "conda-lock.yml").read_bytes())
    strip_pip(lock)
    code = (
        "import sys; from pathlib import Path; from envsplit.lockfile import pip_entries; "
        f"assert pip_entries.read(Path({str(lock)!r})) == {{}}; "
        "print(sorted(m for m in ('yaml', 'conda_lock', 'networkx') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "    sha256: " + wheel("pcodec", "1.1.0").sha256,
            "    sha256: abc",
            "package 'pcodec' (linux-64): hash.sha256: missing or not 64 lower-case hex digits "
            "(pip installs with --require-hashes); regenerate it with 'envsplit lock'",
        ),
        (
            "  version: 1.1.0\n  manager: pip",
            "  manager: pip",
            "package 'pcodec' (linux-64): version: missing or not a string; regenerate it with 'envsplit lock'",
        ),
        (
            "  url: " + wheel("pcodec", "1.1.0").url,
            "  url: pcodec.whl",
            "package 'pcodec' (linux-64): url: 'pcodec.whl' is not a file URL; regenerate it with 'envsplit lock'",
        ),
    ],
)
def test_bad_pip_entry_names_file_package_and_field(locked: Path, old: str, new: str, message: str) -> None:
    lock = strip_pip(locked / "locks" / "cpu" / "conda-lock.yml")
    add_pip(lock, {"linux-64": [wheel("pcodec", "1.1.0")]})
    text = lock.read_text()
    assert text.count(old) == 1
    lock.write_text(text.replace(old, new))
    with pytest.raises(InputError) as caught:
        pip_entries.read(lock)
    assert str(caught.value).endswith(message)
    for args in (
        ["audit", "--variant", "cpu", "--pypi-index", str(PYPI / "simple")],
        ["tree", "--variant", "cpu"],
    ):
        result = run(locked, *args)
        assert result.exit_code == 2, result.output
        # conda-lock's model also requires a version, so that check fires first there, naming the same field
        field = message.split(": ")[0].split(" ")[-1] if "version" in message else None
        if field is None:
            assert result.stderr == f"error: locks/cpu/conda-lock.yml: {message}\n"
        else:
            assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
            assert (
                "conda-lock.yml: not a readable conda-lock.yml (package 'pcodec' (linux-64): version: "
                in result.stderr
            )
        assert "Traceback" not in result.output


# --- audit ---------------------------------------------------------------------------------------


def audit(project: Path, mirror_args: list[str], *args: str) -> Result:
    return run(project, "audit", "--variant", "cpu", *args, *mirror_args)


def test_audit_json_marks_pip_rows_sized_from_the_index(
    with_pip: Path, mirror_args: list[str], cache_dir: Path
) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    with serve_pypi() as server:
        result = audit(with_pip, mirror_args, "--format", "json", "--pypi-index", url(server) + "/simple")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, json.loads(AUDIT_SCHEMA.read_text()))
    assert doc["schema_version"] == 3 and not doc["warnings"]
    for env in doc["environments"]:
        rows = {r["name"]: r for r in env["packages"]}
        expected = {p.name: p for p in rocker_pip(env["platform"])}
        pip_rows = {n: r for n, r in rows.items() if r.get("manager") == "pip"}
        assert sorted(pip_rows) == sorted(expected)
        for name, row in pip_rows.items():
            assert row["size"] == expected[name].size and row["url"] == expected[name].url
            assert row["flags"][0] == "pip" and row["requested"] is True
            assert row["exclusive_bytes"] == row["size"] == row["dominated_bytes"]
            assert (row["build"], row["subdir"], row["installed_size"]) == ("", "", None)
        assert all("manager" not in r for n, r in rows.items() if n not in expected), "conda rows unchanged"
        assert env["totals"]["size"] == sum(r["size"] for r in rows.values())
        assert env["totals"]["size_missing"] == [] and env["unreached"] == []


def test_audit_without_an_index_leaves_pip_sizes_unknown(
    with_pip: Path, mirror_args: list[str], cache_dir: Path, tmp_path: Path
) -> None:
    result = audit(with_pip, mirror_args, "--format", "json", "--pypi-index", str(tmp_path / "no-index"))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    env = doc["environments"][0]
    pip_rows = [r for r in env["packages"] if r.get("manager") == "pip"]
    assert len(pip_rows) == 3 and all(r["size"] is None for r in pip_rows)
    assert env["totals"]["size_missing"] == [r["name"] for r in pip_rows]
    assert env["totals"]["size"] == sum(r["size"] or 0 for r in env["packages"])
    assert doc["warnings"] and doc["warnings"][0].startswith("no download sizes for 3 pip project(s) from ")


def test_audit_markdown_table_and_html_mark_pip(
    with_pip: Path, mirror_args: list[str], cache_dir: Path
) -> None:
    index = str(PYPI / "simple")  # a folder index: read without any server
    md = audit(with_pip, mirror_args, "--format", "markdown", "--top", "0", "--pypi-index", index)
    assert md.exit_code == 0, md.output
    row = next(line for line in md.stdout.splitlines() if line.startswith("| jupyter-keepalive |"))
    assert row.startswith("| jupyter-keepalive | 0.3.0 | 54.7 kB |") and row.endswith("| pip |")
    assert (
        "- pip: 3 package(s) from the PyPI index, listed as requested: the lock records no dependencies "
        "between them, so each one weighs its own wheel"
    ) in md.stdout
    table = audit(with_pip, mirror_args, "--top", "0", "--pypi-index", index)
    assert table.exit_code == 0, table.output
    line = next(line for line in table.stdout.splitlines() if "jupyter-keepalive" in line)
    assert "0.3.0" in line and "pip" in line
    html = audit(with_pip, mirror_args, "--format", "html", "--pypi-index", index)
    assert html.exit_code == 0, html.output
    assert "<td>jupyter-keepalive</td><td>0.3.0</td><td>pip</td>" in html.stdout.replace("\n", "")


def test_audit_of_locks_without_pip_is_unchanged(
    locked: Path, mirror_args: list[str], cache_dir: Path
) -> None:
    (locked / "docs").mkdir()
    args = [
        "audit",
        "--platform",
        "linux-64",
        "--format",
        "markdown",
        "--top",
        "5",
        "-o",
        "docs/audit-rocker.md",
    ]
    result = CliRunner().invoke(cli, [*args, "--pypi-index", str(PYPI / "simple"), *mirror_args])
    assert result.exit_code == 0, result.output
    golden = (REPO / "docs" / "audit-rocker.md").read_text()
    assert (locked / "docs" / "audit-rocker.md").read_text() == golden, "the committed locks: the golden"
    json_args = ["audit", "--platform", "linux-64", "--format", "json", *mirror_args]
    with_pip = CliRunner().invoke(cli, [*json_args, "--pypi-index", str(PYPI / "simple")])
    strip_all_pip(locked)
    dead_index = ["--pypi-index", "http://127.0.0.1:9/simple"]
    md = CliRunner().invoke(cli, [*args, *dead_index, *mirror_args])
    assert md.exit_code == 0, md.output
    assert "\n- pip: " in golden and "\n- pip: " not in (locked / "docs" / "audit-rocker.md").read_text()
    without = CliRunner().invoke(cli, [*json_args, *dead_index])
    assert with_pip.exit_code == without.exit_code == 0, without.output
    before, after = json.loads(with_pip.stdout), json.loads(without.stdout)
    assert after["warnings"] == [], "no pip entry: the index is never read"
    for env_pip, env in zip(before["environments"], after["environments"], strict=True):
        pip_rows = [r for r in env_pip["packages"] if r.get("manager") == "pip"]
        assert pip_rows and not any(r.get("manager") == "pip" for r in env["packages"])
        assert [r for r in env_pip["packages"] if r not in pip_rows] == env["packages"], (
            "conda rows unchanged"
        )
        assert env_pip["totals"]["size"] - env["totals"]["size"] == sum(r["size"] for r in pip_rows)


# --- why / tree ----------------------------------------------------------------------------------


def test_why_and_tree_show_pip_packages(with_pip: Path) -> None:
    why = run(with_pip, "why", "pcodec", "--variant", "cpu", "--platform", "linux-aarch64")
    assert why.exit_code == 0, why.output
    assert why.stdout == (
        "cpu (linux-aarch64): pcodec 1.1.0 (pip) is a pip package: installed from the PyPI index after the "
        "conda packages; the lock records no dependencies between pip packages, so no chain leads to it\n"
    )
    tree = run(with_pip, "tree", "--variant", "cpu", "--platform", "linux-64")
    assert tree.exit_code == 0, tree.output
    lines = tree.stdout.splitlines()
    for name in (
        "jupyter-keepalive 0.3.0 (pip)",
        "jupyter-tensorboard-proxy 0.1.1 (pip)",
        "pcodec 1.1.0 (pip)",
    ):
        assert name in lines, "a top-level node of its own"
    assert lines[-1] == "(pip packages stand at the top level: the lock records no dependencies between them)"
    plain = run(with_pip, "tree", "--variant", "cuda", "--platform", "linux-64")
    assert "(pip" not in plain.stdout


# --- diff and the refresh body ---------------------------------------------------------------------


def conda_pkg(name: str, version: str) -> LockedPackage:
    base = "https://conda.anaconda.org/conda-forge/noarch"
    return LockedPackage(
        name,
        version,
        "pyhd8ed1ab_0",
        "noarch",
        base.rsplit("/", 1)[0],
        f"{base}/{name}-{version}-pyhd8ed1ab_0.conda",
        "0" * 32,
        None,
        None,
        (),
    )


def two_locks(tmp_path: Path) -> tuple[Path, Path]:
    conda = {"linux-64": [conda_pkg("python", "3.12.0")]}
    old = write_lock(tmp_path / "old" / "cpu" / "conda-lock.yml", "cpu", conda)
    new = write_lock(tmp_path / "new" / "cpu" / "conda-lock.yml", "cpu", conda)
    add_pip(
        old,
        {
            "linux-64": [
                wheel("jupyter-keepalive", "0.3.0"),
                wheel("absl-py", "2.5.0"),
                wheel("tensorboard", "2.21.0"),
            ]
        },
    )
    add_pip(
        new,
        {
            "linux-64": [
                wheel("absl-py", "2.5.1"),
                wheel("jupyter-tensorboard-proxy", "0.1.1"),
                wheel("tensorboard", "2.20.0"),
            ]
        },
    )
    return old, new


def test_diff_json_marks_pip_changes(tmp_path: Path) -> None:
    old, new = two_locks(tmp_path)
    result = CliRunner().invoke(
        cli, ["diff", str(old), str(new), "--format", "json", "--pypi-index", str(PYPI / "simple")]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    validate(doc)
    (platform,) = doc["variants"][0]["platforms"]
    assert platform["counts"] == {
        "upgrade": 1,
        "downgrade": 1,
        "build-variant": 0,
        "build": 0,
        "file": 0,
        "version": 0,
        "added": 1,
        "removed": 1,
    }
    added, removed = platform["added"][0], platform["removed"][0]
    assert (added["name"], added["manager"], added["size"]) == ("jupyter-tensorboard-proxy", "pip", 8348)
    assert (removed["name"], removed["manager"], removed["size"]) == ("jupyter-keepalive", "pip", 54656)
    changed = {c["name"]: c for c in platform["changed"]}
    assert (changed["absl-py"]["kind"], changed["absl-py"]["level"], changed["absl-py"]["manager"]) == (
        "upgrade",
        "patch",
        "pip",
    )
    assert changed["absl-py"]["size_delta"] == 137673 - 137410
    assert (changed["tensorboard"]["kind"], changed["tensorboard"]["level"]) == ("downgrade", "minor")
    assert platform["size_unknown"] == 0


def test_diff_markdown_marks_pip_and_unknown_sizes(tmp_path: Path) -> None:
    old, new = two_locks(tmp_path)
    result = CliRunner().invoke(cli, ["diff", str(old), str(new)])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "| absl-py (pip) | upgrade (patch) | 2.5.0 | 2.5.1 |" in text
    assert "| jupyter-tensorboard-proxy (pip) | added |  | 0.1.1 |" in text
    assert "| jupyter-keepalive (pip) | removed | 0.3.0 |  |" in text
    assert "requested: absl-py (pip) 2.5.0 → 2.5.1" in text


def test_refresh_body_lists_pip_packages(locked: Path) -> None:
    """refresh diffs two read_side()s of locks/ and renders the markdown: pip changes are in it."""
    strip_all_pip(locked)
    project = read_project(locked)
    requested = requested_from_project(project)
    before = read_side(project.output, requested, label="current locks")
    add_pip(project.output / "cpu" / "conda-lock.yml", {"linux-64": [wheel("pcodec", "1.1.0")]})
    after = read_side(project.output, requested, label="refreshed locks")
    body = render_markdown(diff_locksets(before, after), command="envsplit refresh")
    assert "**cpu** linux-64: 1 added; requested: +pcodec (pip) 1.1.0" in body
    assert "| pcodec (pip) | added |  | 1.1.0 |" in body
