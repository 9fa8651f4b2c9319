"""Our conda-lock.yml writer is conda-lock's own, only faster: the bytes must be the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from envsplit.lockfile import conda_lock_yml

REPO = Path(__file__).parent.parent


@pytest.mark.parametrize("variant", ["cpu", "cuda-spatial"])
def test_render_equals_conda_locks_writer(variant: str, tmp_path: Path) -> None:
    from conda_lock.lockfile import write_conda_lock_file

    packages = conda_lock_yml.read(REPO / "locks" / variant / "conda-lock.yml")
    model = conda_lock_yml.build(
        packages,
        ["https://conda.anaconda.org/conda-forge"],
        {p: "0" * 64 for p in packages},
        ["../../environment.yml"],
        {"envsplit_variant": variant},
    )
    theirs = tmp_path / "conda-lock.yml"
    write_conda_lock_file(model.model_copy(deep=True), theirs, metadata_choices=None, include_help_text=False)
    ours = conda_lock_yml.render(model.model_copy(deep=True), ["# header"])
    head, _, body = ours.partition("\n# content-sha256: ")
    assert head == "# header"
    assert body.split("\n", 1)[1] == theirs.read_text()
    assert sum(len(v) for v in packages.values()) > 700
