"""The diff core: version classification, pairing, requested vs transitive, sizes (no files, no network)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from envsplit.audit import graph
from envsplit.diff.compare import classify, diff_locksets, diff_platform
from envsplit.diff.sides import Lock, LockSet
from envsplit.errors import InputError
from envsplit.models import LockedPackage

CF = "https://conda.anaconda.org/conda-forge"


def pkg(
    name: str,
    version: str,
    build: str = "h0_0",
    depends: Sequence[str] = (),
    size: int | None = None,
    channel: str = CF,
    subdir: str = "linux-64",
    ext: str = ".conda",
    md5: str | None = None,
) -> LockedPackage:
    url = f"{channel}/{subdir}/{name}-{version}-{build}{ext}"
    return LockedPackage(
        name=name,
        version=version,
        build=build,
        subdir=subdir,
        channel=channel,
        url=url,
        md5=md5 or f"md5-of-{url}",
        sha256=None,
        size=size,
        depends=tuple(depends),
    )


def lock(
    key: str,
    packages: dict[str, list[LockedPackage]],
    variant: str | None = None,
    requested: Sequence[str] | None = None,
) -> Lock:
    return Lock(
        key=key,
        source=f"{key}/conda-lock.yml",
        variant=variant,
        packages=packages,
        requested=frozenset(requested) if requested is not None else None,
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("1.2.3", "1.2.4", ("upgrade", "patch")),
        ("1.2.3", "1.3.0", ("upgrade", "minor")),
        ("1.9", "2.0", ("upgrade", "major")),
        ("2.10.0", "2.9.1", ("downgrade", "minor")),  # numeric, not string, order
        ("1.2.3.4", "1.2.3.5", ("upgrade", "patch")),  # beyond the third segment is still patch
        ("1.2", "1.2.1", ("upgrade", "patch")),  # a missing segment counts as 0
        ("1!1.0", "2.0", ("downgrade", "major")),  # any epoch beats no epoch
        ("1!1.0", "2!1.0", ("upgrade", "major")),
        ("2024a", "2025b", ("upgrade", "calver")),  # tzdata: calendar versions are dates, not majors
        ("2025b", "2025c", ("upgrade", "calver")),
        ("3a", "4b", ("upgrade", "major")),  # non-numeric segments
        ("3a", "3b", ("upgrade", "minor")),  # a suffix change is one level below its number
        ("1.1.1t", "1.1.1u", ("upgrade", "patch")),
        ("1.2rc1", "1.2", ("upgrade", "patch")),  # rc sorts before the release
        ("1.2rc1", "1.3", ("upgrade", "minor")),
        ("1.2.0.dev1", "1.2.0", ("upgrade", "patch")),
        ("1.0+local.1", "1.0+local.2", ("upgrade", "patch")),  # only the local part differs
        ("2025.10.5", "2026.1.1", ("upgrade", "calver")),
        ("1.0", "1.0.0", ("same", None)),
        ("1.0 beta", "1.0 gamma", ("version", None)),  # unparsable: cannot be ordered
        ("1.0 beta", "1.0 beta", ("same", None)),
    ],
)
def test_classify(old: str, new: str, expected: tuple[str, str | None]) -> None:
    assert classify(old, new) == expected


def requested_of_foreign_lock(packages: Sequence[LockedPackage]) -> set[str]:
    """What the diff calls requested in a lock without specs: every package added on one side."""
    pd = diff_platform("linux-64", [], packages, None, None)
    return {c.name for c in pd.added if c.requested}


def test_leaves_are_packages_nothing_else_needs() -> None:
    packages = [
        pkg("pandas", "2.3.3", depends=["numpy >=1.26", "python >=3.12"]),
        pkg("numpy", "2.3.5", depends=["python >=3.12,<3.13", "libblas >=3.9"]),
        pkg("python", "3.12.12", depends=["python 3.12.*"]),  # a self-reference does not make it needed
        pkg("libblas", "3.9.0"),
        pkg("tzdata", "2025b"),
    ]
    assert requested_of_foreign_lock(packages) == {"pandas", "tzdata"}


def test_leaves_of_a_python_pip_cycle_nothing_else_needs_are_both_requested() -> None:
    # conda-forge's python 3.12 depends on pip, and pip on python: neither is anyone else's dependency
    # alone, and dropping the cycle would lose the interpreter. The audit calls both top-level; so must diff.
    packages = [
        pkg("python", "3.12.12", depends=["pip", "libzlib >=1.3"]),
        pkg("pip", "25.3", depends=["python >=3.9"]),
        pkg("libzlib", "1.3.1"),
    ]
    assert requested_of_foreign_lock(packages) == {"pip", "python"}
    assert requested_of_foreign_lock(packages) == set(graph.top_level(packages))
    # Once something outside needs the cycle, the cycle is a dependency like any other.
    with_app = [*packages, pkg("app", "1.0", depends=["python >=3.12"])]
    assert requested_of_foreign_lock(with_app) == {"app"}


def test_leaves_read_dependency_names_like_the_graph() -> None:
    # "numpy>=2" has no space before its constraint; "conda-forge::libblas" names its channel.
    packages = [
        pkg("app", "1.0", depends=["numpy>=2", "conda-forge::libblas >=3.9"]),
        pkg("numpy", "2.3.5"),
        pkg("libblas", "3.9.0"),
    ]
    assert requested_of_foreign_lock(packages) == {"app"}
    pd = diff_platform("linux-64", packages, [p for p in packages if p.name != "numpy"], None, None)
    assert [(c.name, c.kind, c.requested) for c in pd.changes] == [("numpy", "removed", False)]


def test_platform_diff_kinds_and_requested_from_specs() -> None:
    old = [
        pkg("numpy", "2.3.5", "py312_0"),
        pkg("pandas", "2.3.3", "py312_0"),
        pkg("libfoo", "1.0", "h1_0"),
        pkg("gone", "1.0"),
        pkg("same", "1.0"),
        pkg("moved", "1.0", "h_0"),
        pkg("repack", "1.0", "h_0", ext=".tar.bz2"),
    ]
    new = [
        pkg("numpy", "2.4.2", "py312_0"),
        pkg("pandas", "2.2.3", "py312_0"),
        pkg("libfoo", "1.0", "h2_1"),
        pkg("fresh", "0.1"),
        pkg("same", "1.0"),
        pkg("moved", "1.0", "h_0", channel="https://conda.anaconda.org/rapidsai"),
        pkg("repack", "1.0", "h_0", ext=".conda"),
    ]
    pd = diff_platform("linux-64", old, new, frozenset({"pandas", "gone"}), frozenset({"pandas", "fresh"}))
    kinds = {c.name: (c.kind, c.level, c.requested) for c in pd.changes}
    assert kinds == {
        "fresh": ("added", None, True),
        "gone": ("removed", None, True),
        "libfoo": ("build", None, False),
        "moved": ("file", None, False),
        "numpy": ("upgrade", "minor", False),
        "pandas": ("downgrade", "minor", True),
        "repack": ("file", None, False),
    }
    assert [c.name for c in pd.changes] == sorted(kinds)  # sorted, "same" left out
    assert pd.status == "changed"
    assert (pd.old_count, pd.new_count) == (7, 7)
    assert pd.counts() == {
        "upgrade": 1,
        "downgrade": 1,
        "build-variant": 0,
        "build": 1,
        "file": 2,
        "version": 0,
        "added": 1,
        "removed": 1,
    }


def test_identical_platform_is_unchanged() -> None:
    packages = [pkg("numpy", "2.3.5"), pkg("python", "3.12.12")]
    pd = diff_platform("linux-64", packages, list(reversed(packages)), None, None)
    assert pd.status == "unchanged"
    assert pd.changes == ()


def test_same_url_with_another_md5_is_a_file_change() -> None:
    pd = diff_platform("linux-64", [pkg("a", "1", md5="aaa")], [pkg("a", "1", md5="bbb")], None, None)
    assert [(c.name, c.kind) for c in pd.changes] == [("a", "file")]


def test_requested_falls_back_to_leaves_per_side() -> None:
    old = [pkg("app", "1.0", depends=["lib"]), pkg("lib", "1.0"), pkg("tool", "1.0")]
    new = [pkg("app", "2.0", depends=["lib"]), pkg("lib", "1.1")]
    pd = diff_platform("linux-64", old, new, None, None)
    assert {c.name: c.requested for c in pd.changes} == {"app": True, "lib": False, "tool": True}


def test_folders_pair_by_variant_and_report_added_and_removed_variants_and_platforms() -> None:
    a = pkg("a", "1.0")
    old = LockSet(
        "old",
        {
            "cpu": lock("cpu", {"linux-64": [a], "linux-aarch64": [a]}, "cpu"),
            "gone": lock("gone", {"linux-64": [a]}, "gone"),
        },
    )
    new = LockSet(
        "new",
        {
            "cpu": lock("cpu", {"linux-64": [pkg("a", "1.1")], "osx-arm64": [a]}, "cpu"),
            "fresh": lock("fresh", {"linux-64": [a, pkg("b", "2")]}, "fresh"),
        },
    )
    diff = diff_locksets(old, new)
    assert [(v.name, v.status) for v in diff.variants] == [
        ("cpu", "changed"),
        ("fresh", "added"),
        ("gone", "removed"),
    ]
    cpu = diff.variants[0]
    assert [(p.platform, p.status) for p in cpu.platforms] == [
        ("linux-64", "changed"),
        ("linux-aarch64", "removed"),
        ("osx-arm64", "added"),
    ]
    assert [(c.name, c.kind) for c in cpu.platforms[1].changes] == [("a", "removed")]
    fresh = diff.variants[1].platforms[0]
    assert (fresh.old_count, fresh.new_count, len(fresh.added)) == (0, 2, 2)
    assert diff.changed


def test_two_single_files_pair_whatever_their_names() -> None:
    old = LockSet("a.yml", {"pangeo": lock("pangeo", {"linux-64": [pkg("a", "1")]})}, single=True)
    new = LockSet("b.yml", {"rocket": lock("rocket", {"linux-64": [pkg("a", "2")]})}, single=True)
    diff = diff_locksets(old, new)
    assert [v.name for v in diff.variants] == ["pangeo → rocket"]
    assert diff.variants[0].requested_basis == "leaves"


def test_single_file_pairs_with_its_variant_in_a_folder() -> None:
    folder = LockSet(
        "locks",
        {
            "cpu": lock("cpu", {"linux-64": [pkg("a", "1")]}, "cpu", ["a"]),
            "cuda": lock("cuda", {"linux-64": [pkg("a", "1")]}, "cuda", ["a"]),
        },
    )
    single = LockSet("x", {"cuda": lock("cuda", {"linux-64": [pkg("a", "2")]}, "cuda", ["a"])}, single=True)
    diff = diff_locksets(folder, single)
    assert [(v.name, v.status) for v in diff.variants] == [("cuda", "changed")]
    assert diff.variants[0].requested_basis == "specs"
    other = LockSet("y", {"spatial": lock("spatial", {"linux-64": []}, "spatial")}, single=True)
    with pytest.raises(
        InputError, match=r"variant 'spatial', which locks does not have \(it has cpu, cuda\)"
    ):
        diff_locksets(folder, other)


def test_different_variants_are_refused_unless_allowed() -> None:
    old = LockSet("o", {"cpu": lock("cpu", {"linux-64": [pkg("a", "1")]}, "cpu")}, single=True)
    new = LockSet("n", {"cuda": lock("cuda", {"linux-64": [pkg("a", "2")]}, "cuda")}, single=True)
    with pytest.raises(InputError) as err:
        diff_locksets(old, new)
    message = str(err.value)
    assert "cpu/conda-lock.yml locks variant 'cpu'" in message
    assert "cuda/conda-lock.yml locks variant 'cuda'" in message
    assert "--allow-variant-mismatch" in message
    diff = diff_locksets(old, new, allow_mismatch=True)
    assert diff.variants[0].name == "cpu → cuda"


def test_sizes_are_looked_up_once_for_unsized_changes_only() -> None:
    old = [pkg("big", "1.0", size=1000), pkg("mid", "1.0"), pkg("gone", "1.0"), pkg("same", "1.0")]
    new = [pkg("big", "2.0", size=1500), pkg("mid", "1.1"), pkg("fresh", "1.0"), pkg("same", "1.0")]
    calls: list[list[str]] = []
    table = {
        pkg("mid", "1.0").url: 200,
        pkg("mid", "1.1").url: 260,
        pkg("gone", "1.0").url: 70,
        pkg("same", "1.0").url: 5,
    }

    def lookup(packages: Sequence[LockedPackage]) -> dict[str, int]:
        calls.append([p.url for p in packages])
        return {p.url: table[p.url] for p in packages if p.url in table}

    o = LockSet("o", {"v": lock("v", {"linux-64": old})}, single=True)
    n = LockSet("n", {"v": lock("v", {"linux-64": new})}, single=True)
    diff = diff_locksets(o, n, sizes=lookup)
    assert len(calls) == 1
    # Packages already sized (big) and unchanged ones (same) are not asked for.
    assert sorted(calls[0]) == sorted(
        [pkg("mid", "1.0").url, pkg("mid", "1.1").url, pkg("gone", "1.0").url, pkg("fresh", "1.0").url]
    )
    deltas = {c.name: c.size_delta for c in diff.changes()}
    assert deltas == {"big": 500, "mid": 60, "gone": -70, "fresh": None}
    total = diff.size_delta
    assert (total.bytes, total.unknown, total.counted) == (490, 1, 3)
    assert diff.sizes_looked_up


def test_without_a_lookup_sizes_stay_unknown_not_zero() -> None:
    o = LockSet("o", {"v": lock("v", {"linux-64": [pkg("a", "1")]})}, single=True)
    n = LockSet("n", {"v": lock("v", {"linux-64": [pkg("a", "2")]})}, single=True)
    diff = diff_locksets(o, n)
    assert diff.changes()[0].size_delta is None
    assert (diff.size_delta.counted, diff.size_delta.unknown) == (0, 1)
    assert not diff.sizes_looked_up
