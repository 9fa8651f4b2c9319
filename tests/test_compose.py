"""Composing variants from environment.yml and overlays (envsplit/compose.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from envsplit.errors import InputError
from envsplit.inputs.compose import base_chain, compose, variant_order
from envsplit.inputs.project import read_project
from envsplit.models import Dependency, VariantSpec

from projectfiles import write

ENV = """\
name: demo
channels:
  - conda-forge
dependencies:
  - python 3.12.*
  - numpy >=2
  - pandas
  - pytorch
  - pip:
      - Foo_Bar >=1
      - baz
"""
LINUX_DEFAULTS = {"__glibc": "2.28=0", "__linux": "5.10=0", "__unix": "0=0"}


@pytest.fixture()
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write(tmp_path, {"environment.yml": ENV})


def variants(root: Path, config: str, **overlays: str) -> Path:
    """Write envsplit.yml (its ``variants:`` body) and the named overlays."""
    files = {"envsplit.yml": "version: 1\nplatforms: [linux-64, linux-aarch64]\nvariants:\n" + config}
    files.update({f"overlays/{name}.yml": text for name, text in overlays.items()})
    return write(root, files)


def one(root: Path, overlay: str) -> VariantSpec:
    """Variant ``v`` made of the single overlay ``o``."""
    variants(root, "  v: {overlays: [o]}\n", o=overlay)
    return compose(read_project(root), "v")


def fails(message: str) -> pytest.RaisesExc[InputError]:
    return pytest.raises(InputError, match=f"^{re.escape(message)}$")


def names(spec: VariantSpec) -> list[str]:
    return [d.name for d in spec.dependencies]


# --- a variant without overlays is environment.yml ------------------------------------------------


def test_no_overlays_is_the_environment(root: Path) -> None:
    variants(root, "  v: {}\n")
    spec = compose(read_project(root), "v")
    assert spec.name == "v"
    assert spec.base is None
    assert spec.channels == ("conda-forge",)
    assert spec.specs == ("python 3.12.*", "numpy >=2", "pandas", "pytorch")
    assert spec.pip == ("Foo_Bar >=1", "baz")
    assert spec.platforms == ("linux-64", "linux-aarch64")
    assert spec.overlays == ()
    assert spec.virtual_packages == {}
    assert not spec.has_cuda


# --- each operation --------------------------------------------------------------------------------


def test_add_appends_in_order(root: Path) -> None:
    spec = one(root, "add: [gdal, 'rasterio >=1.4']\n")
    assert spec.specs == ("python 3.12.*", "numpy >=2", "pandas", "pytorch", "gdal", "rasterio >=1.4")


def test_remove_drops_the_named_packages(root: Path) -> None:
    spec = one(root, "remove: [pandas, PyTorch]\n")
    assert names(spec) == ["python", "numpy"]


def test_replace_keeps_the_position(root: Path) -> None:
    spec = one(root, "replace:\n  numpy: numpy <2\n  pytorch: pytorch-cpu\n")
    assert spec.specs == ("python 3.12.*", "numpy <2", "pandas", "pytorch-cpu")


def test_channels_prepend_append_and_remove(root: Path) -> None:
    spec = one(root, "channels: {prepend: [rapidsai, nvidia], append: [bioconda]}\n")
    assert spec.channels == ("rapidsai", "nvidia", "conda-forge", "bioconda")
    spec = one(root, "channels: {remove: [conda-forge], prepend: [my-forge]}\n")
    assert spec.channels == ("my-forge",)


def test_virtual_packages_merge_over_platform_defaults(root: Path) -> None:
    spec = one(root, 'virtual-packages: {__cuda: "12.9", __glibc: "2.17"}\n')
    assert spec.has_cuda
    assert spec.virtual_packages == {"__cuda": {"*": "12.9=0"}, "__glibc": {"*": "2.17=0"}}
    assert spec.virtual_packages_for("linux-64") == {
        **LINUX_DEFAULTS,
        "__archspec": "1=x86_64",
        "__cuda": "12.9=0",
        "__glibc": "2.17=0",
    }
    # sorted by name, so the input hash and the show output are stable
    assert list(spec.virtual_packages_for("linux-64")) == sorted(spec.virtual_packages_for("linux-64"))


def test_virtual_packages_per_platform_mapping(root: Path) -> None:
    spec = one(
        root,
        'virtual-packages:\n  __archspec: {linux-64: "1=x86_64_v3"}\n  __cuda: {linux-aarch64: "12.4"}\n',
    )
    on_64 = spec.virtual_packages_for("linux-64")
    on_arm = spec.virtual_packages_for("linux-aarch64")
    assert (on_64["__archspec"], on_arm["__archspec"]) == ("1=x86_64_v3", "1=aarch64")
    assert "__cuda" not in on_64
    assert on_arm["__cuda"] == "12.4=0"


def test_per_platform_value_wins_over_the_plain_one(root: Path) -> None:
    write(root, {"overlays/p.yml": 'virtual-packages:\n  __cuda: {linux-aarch64: "12.4"}\n'})
    variants(root, "  v: {overlays: [o, p]}\n", o='virtual-packages: {__cuda: "12.9"}\n')
    spec = compose(read_project(root), "v")
    assert spec.virtual_packages["__cuda"] == {"*": "12.9=0", "linux-aarch64": "12.4=0"}
    assert spec.virtual_packages_for("linux-64")["__cuda"] == "12.9=0"
    assert spec.virtual_packages_for("linux-aarch64")["__cuda"] == "12.4=0"


def test_project_virtual_packages_are_defaults_an_overlay_overrides(root: Path) -> None:
    write(
        root,
        {
            "envsplit.yml": "platforms: [linux-64]\n"
            'virtual-packages: {__glibc: "2.34", __cuda: "12.0"}\n'
            "variants:\n  plain: {}\n  v: {overlays: [o]}\n",
            "overlays/o.yml": 'virtual-packages: {__cuda: "12.9"}\n',
        },
    )
    project = read_project(root)
    plain, v = compose(project, "plain"), compose(project, "v")
    assert plain.virtual_packages_for("linux-64")["__glibc"] == "2.34=0"
    assert plain.virtual_packages_for("linux-64")["__cuda"] == "12.0=0"
    assert v.virtual_packages_for("linux-64")["__cuda"] == "12.9=0"
    # the overlay did not leak into the project's defaults
    assert project.virtual_packages["__cuda"] == {"*": "12.0=0"}


def test_platforms_restriction_narrows_and_keeps_project_order(root: Path) -> None:
    spec = one(root, "platforms: [linux-aarch64, linux-64]\n")
    assert spec.platforms == ("linux-64", "linux-aarch64")
    spec = one(root, "platforms: [linux-aarch64]\n")
    assert spec.platforms == ("linux-aarch64",)


def test_pip_add_and_remove_match_normalized_names(root: Path) -> None:
    spec = one(root, "pip:\n  remove: [foo-bar]\n  add: [pcodec, Foo.Bar ==2]\n")
    assert spec.pip == ("baz", "pcodec", "Foo.Bar ==2")


def test_operations_in_one_overlay_run_in_file_order(root: Path) -> None:
    spec = one(root, "add: [scipy]\nreplace: {scipy: scipy <2}\n")
    assert spec.specs[-1] == "scipy <2"
    with fails(
        "overlays/o.yml:1: replace.scipy: 'scipy' is not in the environment; "
        "names present: numpy, pandas, python, pytorch"
    ):
        one(root, "replace: {scipy: scipy <2}\nadd: [scipy]\n")


# --- order of overlays, bases ----------------------------------------------------------------------


def test_overlays_apply_in_the_declared_order(root: Path) -> None:
    write(root, {"overlays/b.yml": "replace: {gdal: gdal <3.10}\n"})
    variants(root, "  v: {overlays: [a, b]}\n", a="add: [gdal]\n")
    spec = compose(read_project(root), "v")
    assert spec.specs[-1] == "gdal <3.10"
    assert spec.overlays == ("a", "b")
    variants(root, "  v: {overlays: [b, a]}\n")
    with fails(
        "overlays/b.yml:1: replace.gdal: 'gdal' is not in the environment; "
        "names present: numpy, pandas, python, pytorch"
    ):
        compose(read_project(root), "v")


def test_extension_starts_from_its_base_composed_spec(root: Path) -> None:
    variants(
        root,
        "  gpu: {overlays: [cuda]}\n  gpu-geo: {base: gpu, overlays: [geo]}\n",
        cuda="channels: {prepend: [rapidsai]}\n"
        'virtual-packages: {__cuda: "12.9"}\n'
        "add: [cudf]\n"
        "platforms: [linux-64]\n"
        "pip: {add: [nvtop]}\n",
        geo="add: [gdal]\nreplace: {cudf: cudf >=25}\n",
    )
    project = read_project(root)
    base, ext = compose(project, "gpu"), compose(project, "gpu-geo")
    assert ext.base == "gpu"
    assert ext.channels == base.channels == ("rapidsai", "conda-forge")
    assert ext.virtual_packages == base.virtual_packages == {"__cuda": {"*": "12.9=0"}}
    assert ext.platforms == base.platforms == ("linux-64",)
    assert ext.pip == base.pip == ("Foo_Bar >=1", "baz", "nvtop")
    # the base's own overlay added cudf, so the extension can replace it
    assert ext.specs == ("python 3.12.*", "numpy >=2", "pandas", "pytorch", "cudf >=25", "gdal")
    assert ext.overlays == ("cuda", "geo")
    # the base is unchanged by composing its extension
    assert base.specs[-1] == "cudf"


def test_extension_of_an_extension(root: Path) -> None:
    variants(
        root,
        "  c: {base: b, overlays: [z]}\n  a: {overlays: [x]}\n  b: {base: a, overlays: [y]}\n",
        x="add: [xx]\n",
        y="add: [yy]\n",
        z="remove: [xx]\n",
    )
    project = read_project(root)
    assert base_chain(project, "c") == ["b", "a"]
    assert base_chain(project, "a") == []
    spec = compose(project, "c")
    assert names(spec)[-1] == "yy" and "xx" not in names(spec)
    assert spec.overlays == ("x", "y", "z")


def test_extension_cannot_remove_what_only_another_variant_adds(root: Path) -> None:
    variants(
        root,
        "  cpu: {overlays: [cpu]}\n  gpu: {overlays: [gpu]}\n  cpu-x: {base: cpu, overlays: [x]}\n",
        cpu="replace: {pytorch: pytorch-cpu}\n",
        gpu="add: [cudf]\n",
        x="remove: [cudf]\n",
    )
    with fails(
        "overlays/x.yml:1: remove[0]: 'cudf' is not in the environment; "
        "names present: numpy, pandas, python, pytorch-cpu"
    ):
        compose(read_project(root), "cpu-x")


def test_variant_order_puts_bases_first_and_keeps_declaration_order_otherwise(root: Path) -> None:
    variants(
        root,
        "  cuda-geo: {base: cuda}\n  cpu-geo: {base: cpu}\n  cpu: {}\n  cuda: {}\n  lone: {}\n  deep: {base: cuda-geo}\n",
    )
    order = variant_order(read_project(root))
    assert order == ["cuda", "cuda-geo", "cpu", "cpu-geo", "lone", "deep"]


def test_compose_cache_returns_the_same_spec(root: Path) -> None:
    variants(root, "  a: {}\n  b: {base: a}\n")
    project = read_project(root)
    cache: dict[str, VariantSpec] = {}
    b = compose(project, "b", cache)
    assert set(cache) == {"a", "b"}
    assert compose(project, "b", cache) is b


def test_composed_dependency_names_are_normalized(root: Path) -> None:
    spec = one(root, "add: ['PyYAML >=6']\n")
    assert spec.dependencies[-1] == Dependency("pyyaml", "PyYAML >=6")


# --- errors ----------------------------------------------------------------------------------------


PRESENT = "names present: numpy, pandas, python, pytorch"


@pytest.mark.parametrize(
    ("overlay", "message"),
    [
        (
            "add:\n  - scipy\n  - NumPy <3\n",
            "overlays/o.yml:3: add[1]: 'numpy' is already in the environment; "
            "use 'replace: {numpy: ...}' to change its spec",
        ),
        (
            "add: [scipy, scipy]\n",
            "overlays/o.yml:1: add[1]: 'scipy' is already in the environment; "
            "use 'replace: {scipy: ...}' to change its spec",
        ),
        (
            "remove:\n  - pandas\n  - cudf\n",
            "overlays/o.yml:3: remove[1]: 'cudf' is not in the environment; names present: numpy, python, pytorch",
        ),
        (
            "replace:\n  numpy: numpy <2\n  torch: pytorch-cpu\n",
            f"overlays/o.yml:3: replace.torch: 'torch' is not in the environment; {PRESENT}",
        ),
        (
            "replace:\n  pandas: numpy\n",
            "overlays/o.yml:2: replace.pandas: 'numpy' is already in the environment; remove it instead",
        ),
        (
            "channels:\n  remove: [bioconda]\n",
            "overlays/o.yml:2: channels.remove[0]: channel 'bioconda' is not used; channels are conda-forge",
        ),
        (
            "channels:\n  prepend: [rapidsai, conda-forge]\n",
            "overlays/o.yml:2: channels.prepend[1]: channel 'conda-forge' is already used; remove it first",
        ),
        (
            "channels:\n  append: [conda-forge]\n",
            "overlays/o.yml:2: channels.append[0]: channel 'conda-forge' is already used; remove it first",
        ),
        (
            "pip:\n  remove: [numpy]\n",
            "overlays/o.yml:2: pip.remove[0]: 'numpy' is not in the pip list",
        ),
        (
            "pip:\n  add: [foo-bar]\n",
            "overlays/o.yml:2: pip.add[0]: 'foo-bar' is already in the pip list",
        ),
    ],
    ids=[
        "add-present",
        "add-twice",
        "remove-missing",
        "replace-missing",
        "replace-onto-present",
        "channels-remove-unused",
        "channels-prepend-present",
        "channels-append-present",
        "pip-remove-missing",
        "pip-add-present",
    ],
)
def test_operation_errors_name_file_line_and_entry(root: Path, overlay: str, message: str) -> None:
    with fails(message):
        one(root, overlay)


def test_replace_with_the_same_name_is_allowed(root: Path) -> None:
    assert one(root, "replace: {numpy: numpy 1.26.*}\n").specs[1] == "numpy 1.26.*"


def test_removing_every_channel_is_an_error(root: Path) -> None:
    with fails("overlays/o.yml:1: channels.remove: removes the last channel; prepend or append another one"):
        one(root, "channels: {remove: [conda-forge]}\n")


def test_overlay_can_only_narrow_platforms(root: Path) -> None:
    write(root, {"envsplit.yml": "platforms: [linux-64]\nvariants:\n  v: {overlays: [o]}\n"})
    write(root, {"overlays/o.yml": "platforms: [linux-aarch64]\n"})
    with fails(
        "overlays/o.yml:1: platforms[0]: 'linux-aarch64' is not a platform of this variant (linux-64); "
        "an overlay can only narrow the platforms"
    ):
        compose(read_project(root), "v")


def test_extension_cannot_widen_its_base_platforms(root: Path) -> None:
    variants(
        root,
        "  a: {overlays: [only64]}\n  b: {base: a, overlays: [arm]}\n",
        only64="platforms: [linux-64]\n",
        arm="platforms: [linux-64, linux-aarch64]\n",
    )
    with fails(
        "overlays/arm.yml:1: platforms[1]: 'linux-aarch64' is not a platform of this variant (linux-64); "
        "an overlay can only narrow the platforms"
    ):
        compose(read_project(root), "b")


def test_unknown_variant(root: Path) -> None:
    variants(root, "  a: {}\n  b: {}\n")
    with fails("envsplit.yml: unknown variant 'zzz'; declared variants: a, b"):
        compose(read_project(root), "zzz")


def test_cycle_of_bases(root: Path) -> None:
    variants(root, "  a: {}\n  b: {base: c}\n  c: {base: b}\n")
    project = read_project(root)
    message = "envsplit.yml:5: variants.b.base: bases form a cycle (b -> c -> b); an image cannot be built FROM itself"
    with fails(message):
        variant_order(project)
    # even a variant outside the cycle refuses to compose while the config has one
    with fails(message):
        compose(project, "a")


def test_variant_based_on_itself(root: Path) -> None:
    variants(root, "  a: {base: a}\n")
    with fails(
        "envsplit.yml:4: variants.a.base: bases form a cycle (a -> a); an image cannot be built FROM itself"
    ):
        compose(read_project(root), "a")
