"""Layer-aware locking: extensions keep their base's packages exactly, and say what is in the way when not."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from envsplit.cli import cli

from archives import build_channel, demo_packages
from projectfiles import explicit_lines


def _run(project: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["-C", str(project), *args])
    return result.exit_code, result.output


def test_extension_added_later_names_base_packages_in_the_way_until_the_base_is_relocked(
    rocker_project: Path, mirror_args: list[str], cache_dir: Path
) -> None:
    config = rocker_project / "envsplit.yml"
    full = config.read_text()
    # First only the cpu image exists; its lock knows nothing of the spatial stack.
    config.write_text(
        full.replace("  cpu-spatial: {base: cpu", "  # cpu-spatial: {base: cpu").replace(
            "  cuda-spatial:", "  # cuda-spatial:"
        )
    )
    code, out = _run(rocker_project, "lock", "--variant", "cpu", "--platform", "linux-64", *mirror_args)
    assert code == 0, out
    cpu_lock = rocker_project / "locks/cpu/conda-linux-64.lock"
    before = cpu_lock.read_bytes()

    config.write_text(full)
    code, out = _run(
        rocker_project, "lock", "--variant", "cpu-spatial", "--platform", "linux-64", *mirror_args
    )
    assert code == 1
    assert "FAILED cpu-spatial linux-64:" in out
    assert "it cannot be solved with the packages of base 'cpu' kept as locked; in the way:" in out
    # the spatial stack needs an older comm than a bare cpu solve picks, and says who asks for it
    assert "  comm 0.2.3 pyhe01879c_0 (locked in base 'cpu') -> the extension would need 0.1.4" in out
    assert "jupytergis-lab needs 'comm >=0.1.2,<0.2'" in out
    assert "'envsplit lock --force --variant cpu'" in out
    assert not (rocker_project / "locks/cpu-spatial").exists()
    assert cpu_lock.read_bytes() == before

    # Relocking the base takes its extension into account; the extension then stacks on it.
    code, out = _run(
        rocker_project, "lock", "--force", "--variant", "cpu", "--platform", "linux-64", *mirror_args
    )
    assert code == 0, out
    assert "comm-0.1.4" in cpu_lock.read_text()
    code, out = _run(rocker_project, "lock", "--check", "--platform", "linux-64")
    assert code == 1
    assert "stale: cpu-spatial linux-64" in out
    code, out = _run(
        rocker_project, "lock", "--variant", "cpu-spatial", "--platform", "linux-64", *mirror_args
    )
    assert code == 0, out
    base = explicit_lines(cpu_lock)
    ext = explicit_lines(rocker_project / "locks/cpu-spatial/conda-linux-64.lock")
    layer = explicit_lines(rocker_project / "locks/cpu-spatial/layer-linux-64.lock")
    assert set(base) <= set(ext)
    assert set(base) | set(layer) == set(ext) and not set(base) & set(layer)


@pytest.fixture()
def demo_channel(tmp_path: Path) -> Path:
    return build_channel(tmp_path / "channel", demo_packages())


def _project(root: Path, channel: Path, variants: str, overlays: dict[str, str]) -> Path:
    (root / "overlays").mkdir(parents=True)
    (root / "environment.yml").write_text(f"channels: [{channel.as_uri()}]\ndependencies: [libcore]\n")
    for name, text in overlays.items():
        (root / "overlays" / f"{name}.yml").write_text(text)
    (root / "envsplit.yml").write_text(
        f"version: 1\nplatforms: [linux-64, linux-aarch64]\nvariants:\n{variants}"
    )
    return root


def test_chain_of_bases_each_layer_holds_only_its_own_additions(
    tmp_path: Path, demo_channel: Path, cache_dir: Path
) -> None:
    project = _project(
        tmp_path / "p",
        demo_channel,
        "  a: {}\n  b: {base: a, overlays: [py]}\n  c: {base: b, overlays: [extra]}\n",
        {"py": "add: [pylite]\n", "extra": "add: [extra]\n"},
    )
    code, out = _run(project, "lock")
    assert code == 0, out
    for platform in ("linux-64", "linux-aarch64"):
        a, b, c = (explicit_lines(project / f"locks/{v}/conda-{platform}.lock") for v in "abc")
        assert set(a) < set(b) < set(c)
        layer_b = explicit_lines(project / f"locks/b/layer-{platform}.lock")
        layer_c = explicit_lines(project / f"locks/c/layer-{platform}.lock")
        assert set(layer_b) == set(b) - set(a)
        assert set(layer_c) == set(c) - set(b)
        assert {ln.rsplit("/", 1)[-1].rsplit("-", 2)[0] for ln in layer_c} == {"extra", "toolkit"}
    # relocking the root marks the whole chain stale
    (project / "environment.yml").write_text(
        f"channels: [{demo_channel.as_uri()}]\ndependencies: [libcore, tzlite]\n"
    )
    code, out = _run(project, "lock", "--check")
    assert code == 1
    assert [ln.split(":")[1].strip() for ln in out.splitlines() if ln.startswith("stale")] == [
        "a linux-64",
        "a linux-aarch64",
        "b linux-64",
        "b linux-aarch64",
        "c linux-64",
        "c linux-aarch64",
    ]


def test_extension_inherits_its_base_platform_restriction(
    tmp_path: Path, demo_channel: Path, cache_dir: Path
) -> None:
    # An extension composes from its base, so it can never ask for a platform its base lacks.
    project = _project(
        tmp_path / "p",
        demo_channel,
        "  a: {overlays: [only64]}\n  b: {base: a, overlays: [py]}\n",
        {"only64": "platforms: [linux-64]\n", "py": "add: [pylite]\n"},
    )
    code, out = _run(project, "lock")
    assert code == 0, out
    assert sorted(p.name for p in (project / "locks/b").iterdir()) == [
        "conda-linux-64.lock",
        "conda-lock.yml",
        "layer-linux-64.lock",
    ]
    dockerfile = (project / "dockerfiles/Dockerfile.b").read_text()
    assert "amd64) lock=" in dockerfile and "arm64" not in dockerfile.split("case")[1].split("esac")[0]
