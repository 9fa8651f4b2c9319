"""What a demanding user runs into: typos, hand edits, half-done runs. Each is one clear message or a fix-up."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from envsplit.cli import cli

from projectfiles import edit

REPO = Path(__file__).parent.parent
MIRRORS = [
    "--mirror",
    f"conda-forge={REPO / 'tests/data/channels/conda-forge'}",
    "--mirror",
    f"rapidsai={REPO / 'tests/data/channels/rapidsai'}",
]


def run(project: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(project), *args])


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        (
            "environment.yml",
            "  - conda-forge\n",
            "  - conda-forge\n  - defaults\n",
            "environment.yml:6: channels[1]: 'defaults' is Anaconda's set of channels, which envsplit does not "
            "expand; name the channels to use instead, e.g. conda-forge",
        ),
        (
            "overlays/cuda.yml",
            '  __cuda: "12.9"',
            "  __cuda:",
            'overlays/cuda.yml:5: virtual-packages.__cuda: no version given; write e.g. __cuda: "12.9"',
        ),
        (
            "overlays/cuda.yml",
            '  __cuda: "12.9"',
            '  __cdua: "12.9"',
            "overlays/cuda.yml:5: virtual-packages.__cdua: unknown virtual package; did you mean __cuda?",
        ),
        (
            "envsplit.yml",
            "platforms: [linux-64, linux-aarch64]",
            "platforms: [linux-64, linux-64]",
            "envsplit.yml:4: platforms[1]: 'linux-64' is listed twice; keep one",
        ),
        (
            "envsplit.yml",
            "output: locks",
            "output: [locks]",
            "envsplit.yml:5: output: expected a folder path such as 'locks'",
        ),
        (
            "overlays/cpu.yml",
            "replace:",
            "platforms: []\nreplace:",
            "overlays/cpu.yml:2: platforms: empty; list the platforms this variant keeps, e.g. [linux-64]",
        ),
        (
            "environment.yml",
            "  - conda-forge\n",
            "  - conda-forge\n  - conda-forge\n",
            "environment.yml:6: channels[1]: 'conda-forge' is listed twice; keep one",
        ),
        (
            "overlays/cuda.yml",
            "prepend: [rapidsai]",
            "prepend: [./channels/rapidsai]",
            "overlays/cuda.yml:3: channels.prepend[0]: './channels/rapidsai' is a folder, not a channel; use its "
            "canonical name or URL here and give the folder as a mirror (--mirror CHANNEL=FOLDER or 'mirrors:' "
            "in envsplit.yml)",
        ),
        (
            "overlays/cpu.yml",
            "replace:",
            "add: [rapidsai::cudf]\nreplace:",
            "overlays/cpu.yml:2: add[0]: 'rapidsai::cudf' asks for channel 'rapidsai', which variant 'cpu' does "
            "not use (conda-forge); add it to the channels or drop the prefix",
        ),
        (
            "envsplit.yml",
            "cpu-spatial: {base: cpu, overlays: [spatial],",
            "cpu-spatial: {base: cpu, overlays: [spatial], image: 'debian:12',",
            "envsplit.yml:12: variants.cpu-spatial.image: a variant with a base is built FROM its base's image "
            "('cpu'); set image on 'cpu' instead",
        ),
        (
            "envsplit.yml",
            "docker:\n",
            "docker:\n  repository: ghcr.io/Rocker-Org/ml\n",
            "envsplit.yml:15: docker.repository: image repositories are lower-case in Docker",
        ),
        (
            "envsplit.yml",
            "    overlays: [cpu]\n",
            "    overlays: [cpu, cpu]\n",
            "envsplit.yml:8: variants.cpu.overlays[1]: overlay 'cpu' is listed twice; keep one",
        ),
    ],
    ids=[
        "defaults-channel",
        "cuda-without-version",
        "virtual-package-typo",
        "platform-twice",
        "output-not-a-path",
        "overlay-platforms-empty",
        "channel-twice",
        "folder-as-channel",
        "channel-prefix-not-used",
        "image-on-extension",
        "upper-case-repository",
        "overlay-twice",
    ],
)
def test_more_bad_input(locked: Path, file: str, old: str, new: str, message: str) -> None:
    edit(locked / file, old, new)
    before = snapshot(locked)
    result = run(locked, "lock", *MIRRORS)
    assert (result.exit_code, result.output) == (2, f"error: {message}\n")
    assert snapshot(locked) == before


def test_nodefaults_is_accepted_and_ignored(locked: Path) -> None:
    edit(locked / "environment.yml", "  - conda-forge\n", "  - conda-forge\n  - nodefaults\n")
    result = run(locked, "lock", "--check")
    assert result.exit_code == 0, result.output  # same channels, so the same inputs: nothing is stale


def test_a_mirror_for_a_channel_no_variant_uses_is_a_typo(locked: Path) -> None:
    result = run(locked, "lock", "--mirror", "conda-forg=/somewhere")
    assert result.exit_code == 2
    assert result.output == (
        "error: mirror for conda-forg: no variant uses that channel; channels used: conda-forge, rapidsai\n"
    )


def test_relative_mirror_folder_is_taken_from_the_working_directory(locked: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copytree(REPO / "tests/data/channels", elsewhere / "channels")
    (locked / "overlays/spatial.yml").write_text("add: [tqdm]\n")  # something to solve
    os.chdir(elsewhere)
    result = run(
        locked,
        "lock",
        "--variant",
        "cpu-spatial",
        "--platform",
        "linux-64",
        "--mirror",
        "conda-forge=channels/conda-forge",
        "--mirror",
        "rapidsai=channels/rapidsai",
    )
    assert result.exit_code == 0, result.output
    assert "1 solved" in result.output


def test_output_that_is_a_file_is_bad_input(locked: Path) -> None:
    edit(locked / "envsplit.yml", "output: locks", "output: environment.yml")
    result = run(locked, "lock", *MIRRORS)
    assert (result.exit_code, result.output) == (
        2,
        "error: envsplit.yml:5: output: environment.yml is a file; name a folder for the locks\n",
    )


def test_a_folder_in_place_of_a_lockfile_is_one_message(locked: Path) -> None:
    lock = locked / "locks/cpu/conda-linux-64.lock"
    lock.unlink()
    lock.mkdir()
    result = run(locked, "lock", *MIRRORS)
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[-1] == (
        "error: locks/cpu/conda-linux-64.lock: cannot write (Is a directory); check that its folder is "
        "writable, has space, and that nothing else (a folder, a file) is in the way"
    )
    assert lock.is_dir() and not list(locked.rglob("*.tmp"))


def test_hand_edited_explicit_lock_is_stale_and_rewritten(locked: Path) -> None:
    lock = locked / "locks/cpu/conda-linux-64.lock"
    original = lock.read_text()
    lock.write_text("".join(ln + "\n" for ln in original.splitlines() if "/numpy-2" not in ln))
    result = run(locked, "lock", "--check")
    assert result.exit_code == 1
    assert "stale: cpu linux-64: locks/cpu/conda-linux-64.lock was edited by hand" in result.output
    result = run(locked, "lock", *MIRRORS)
    assert result.exit_code == 0, result.output
    assert lock.read_text() == original
    assert run(locked, "lock", "--check").exit_code == 0


def test_garbage_in_a_lock_is_rewritten_not_a_loop(locked: Path) -> None:
    lock = locked / "locks/cpu/conda-linux-64.lock"
    original = lock.read_text()
    lock.write_text("garbage\n")
    result = run(locked, "lock", *MIRRORS)
    assert result.exit_code == 0, result.output
    assert lock.read_text() == original


def test_narrowed_run_leaves_the_other_platform_stale(locked: Path) -> None:
    edit(locked / "overlays/cpu.yml", "replace:", "add: [bokeh]\nreplace:")
    result = run(locked, "lock", "--variant", "cpu", "--platform", "linux-64", *MIRRORS)
    assert result.exit_code == 0, result.output
    assert "bokeh" in (locked / "locks/cpu/conda-linux-64.lock").read_text()
    assert "bokeh" not in (locked / "locks/cpu/conda-linux-aarch64.lock").read_text()
    result = run(locked, "lock", "--check")
    assert result.exit_code == 1
    assert "stale: cpu linux-aarch64: inputs changed since the lock was written" in result.output
    assert "stale: cpu linux-64" not in result.output


def test_check_refuses_force_and_update(locked: Path) -> None:
    for flag in ("--force", "--update"):
        result = run(locked, "lock", "--check", flag)
        assert result.exit_code == 2
        assert result.output == (
            f"error: --check with {flag}: --check only reports stale locks and never solves; drop {flag}\n"
        )


def test_hand_edited_dockerfile_is_refused_before_any_lock_is_written(locked: Path) -> None:
    edit(locked / "dockerfiles/Dockerfile.cpu", "micromamba clean --all --yes", "micromamba clean --yes")
    edit(locked / "overlays/spatial.yml", "  - zarr\n", "")
    before = snapshot(locked)
    result = run(locked, "lock", *MIRRORS)
    assert result.exit_code == 2
    assert result.output == (
        "error: dockerfiles/Dockerfile.cpu: the generated part was edited by hand; move the change into a "
        "'# >>> user:' section (those are kept), or delete the file to regenerate it\n"
    )
    assert snapshot(locked) == before
    result = run(locked, "lock", "--check")
    assert result.exit_code == 1
    assert "stale: cpu-spatial linux-64" in result.output


def test_cpu_variant_never_locks_a_cuda_build(locked: Path) -> None:
    # libtorch's CUDA builds in the snapshot do not depend on __cuda, so only the guard can stop this.
    (locked / "overlays/cpu.yml").write_text("replace:\n  pytorch: 'libtorch 2.10.0.* cuda129*'\n")
    result = run(locked, "lock", "--variant", "cpu", "--platform", "linux-64", *MIRRORS)
    assert result.exit_code == 1
    assert "the solution contains CUDA builds although the variant declares no __cuda virtual package" in (
        result.output
    )
    assert "libtorch-2.10.0-cuda129" in result.output


def test_dockerfile_for_an_unknown_variant_is_bad_input(locked: Path) -> None:
    result = run(locked, "dockerfile", "--variant", "nope")
    assert result.exit_code == 2
    assert result.output == (
        "error: --variant nope: no such variant in envsplit.yml; declared: cpu, cuda, cpu-spatial, cuda-spatial\n"
    )


def test_outputs_of_removed_variants_are_pointed_out(locked: Path) -> None:
    edit(locked / "envsplit.yml", "  cuda-spatial:", "  # cuda-spatial:")
    result = run(locked, "lock", *MIRRORS)
    assert result.exit_code == 0, result.output
    assert "warning: locks/cuda-spatial belongs to no variant of envsplit.yml; delete it" in result.output
    assert (
        "warning: dockerfiles/Dockerfile.cuda-spatial belongs to no variant of envsplit.yml; delete it"
        in (result.output)
    )


def test_unreachable_mirror_is_one_line_per_pair_naming_it(locked: Path) -> None:
    edit(locked / "overlays/cpu.yml", "replace:", "add: [bokeh]\nreplace:")
    result = run(locked, "lock", "--variant", "cpu", "--mirror", "conda-forge=http://127.0.0.1:9/conda-forge")
    assert result.exit_code == 1
    failures = [ln for ln in result.output.splitlines() if ln.startswith("cannot read the repodata")]
    assert len(failures) == 2
    assert failures[0].startswith(
        "cannot read the repodata of http://127.0.0.1:9/conda-forge (Connection refused"
    )
    assert "Caused by" not in result.output
