"""Hostile input (issue 14, items 10, 15, 16, 18): one `error:` line and exit 2, never a traceback or a hang.

Each case is a small project with one hostile file or flag, run through the CLI; the folder is unchanged after.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from envsplit.cli import cli

from projectfiles import write

REPO = Path(__file__).parent.parent
ENV = "name: demo\nchannels: [conda-forge]\ndependencies:\n  - python\n  - numpy\n"
CONFIG = "version: 1\nplatforms: [linux-64]\nvariants:\n  cpu: {overlays: [cpu]}\n"
CPU = "add:\n  - pandas\n"


def make(root: Path, **files: str | None) -> Path:
    """A valid project in ``root``, with ``files`` (a_b.yml for a/b.yml) replacing or adding files."""
    root.mkdir(parents=True, exist_ok=True)
    base = {"environment.yml": ENV, "envsplit.yml": CONFIG, "overlays/cpu.yml": CPU}
    base.update({name.replace("__", "/").replace("_yml", ".yml"): text for name, text in files.items()})
    return write(root, {k: v for k, v in base.items() if v is not None})


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages name files relative to the working directory."""
    monkeypatch.chdir(tmp_path)


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), *args])


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def assert_one_error(result: Result, starts: str, code: int = 2) -> str:
    """Exit ``code``, stderr one line ``error: <starts>...``, no traceback; returns that line."""
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {starts}"), lines[0]
    return lines[0]


# --- item 10: alias bomb ---------------------------------------------------------------------------------


def billion_laughs(levels: int = 9) -> str:
    """A flow list whose last entry expands to 9**levels strings."""
    rows = ["&a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    rows += [f"&a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "[\n" + "".join(f"    {row},\n" for row in rows) + "  ]\n"


def test_alias_bomb_in_environment_is_refused_quickly(tmp_path: Path) -> None:
    # Read as-is, the first dependency's error message would spell out 9**9 strings.
    text = f"name: demo\nchannels: [conda-forge]\ndependencies:\n  - {billion_laughs()}"
    root = make(tmp_path, environment_yml=text)
    before = snapshot(root)
    started = time.monotonic()
    result = run(root, "show", "cpu")
    assert time.monotonic() - started < 10
    line = assert_one_error(result, "environment.yml:")
    assert "alias" in line
    assert snapshot(root) == before


def test_alias_bomb_error_names_the_line_of_the_alias(tmp_path: Path) -> None:
    config = CONFIG.replace("{overlays: [cpu]}", "{overlays: " + billion_laughs())
    line = assert_one_error(run(make(tmp_path, envsplit_yml=config), "show", "cpu"), "envsplit.yml:")
    # the alias that crosses the bound is on one of the last rows (a5..a8: lines 10..13)
    assert 10 <= int(line.split(":")[2]) <= 13, line


def test_a_few_aliases_are_fine(tmp_path: Path) -> None:
    config = "version: 1\nplatforms: [linux-64]\nvariants:\n  cpu: &v {overlays: [cpu]}\n  cpu2: *v\n"
    result = run(make(tmp_path, envsplit_yml=config), "show", "cpu2")
    assert result.exit_code == 0, result.output
    assert "pandas" in result.stdout


# --- item 15: deep nesting, long base chains, bad virtual packages, NULs, bad mirror URL ------------------


@pytest.mark.parametrize("file", ["environment.yml", "envsplit.yml", "overlays/cpu.yml"])
def test_deeply_nested_lists_are_one_error(tmp_path: Path, file: str) -> None:
    root = make(tmp_path)
    depth = 20_000
    (root / file).write_text("[" * depth + "]" * depth + "\n", encoding="utf-8")
    line = assert_one_error(run(root, "show", "cpu"), f"{file}:1:")
    assert "nest" in line


def test_deep_block_nesting_in_a_value_is_one_error(tmp_path: Path) -> None:
    deep = "".join(f"{'  ' * i}- \n" for i in range(3000)) + "  " * 3000 + "- x\n"
    root = make(tmp_path, overlays__cpu_yml="add:\n" + textwrap.indent(deep, "  "))
    assert_one_error(run(root, "show", "cpu"), "overlays/cpu.yml:")


def test_a_long_chain_of_bases_composes(tmp_path: Path) -> None:
    rows = ["  v0: {}"] + [f"  v{i}: {{base: v{i - 1}}}" for i in range(1, 1500)]
    config = "version: 1\nplatforms: [linux-64]\nvariants:\n" + "\n".join(rows) + "\n"
    result = run(make(tmp_path, envsplit_yml=config), "show", "v1499")
    assert result.exit_code == 0, result.output
    assert "# variant: v1499 (base: v1498)" in result.stdout


def test_a_long_cycle_of_bases_is_one_error(tmp_path: Path) -> None:
    rows = ["  v0: {base: v1499}"] + [f"  v{i}: {{base: v{i - 1}}}" for i in range(1, 1500)]
    config = "version: 1\nplatforms: [linux-64]\nvariants:\n" + "\n".join(rows) + "\n"
    line = assert_one_error(run(make(tmp_path, envsplit_yml=config), "show", "v3"), "envsplit.yml:")
    assert "cycle" in line


@pytest.mark.parametrize("value", ["'*'", '"1.*"', '"=1"', '"1=*"'])
def test_virtual_package_without_a_concrete_version_is_refused(tmp_path: Path, value: str) -> None:
    config = CONFIG.replace("variants:", f"virtual-packages: {{__glibc: {value}}}\nvariants:")
    root = make(tmp_path, envsplit_yml=config)
    line = assert_one_error(run(root, "show", "cpu"), "envsplit.yml:3: virtual-packages.__glibc:")
    assert line.endswith("is not VERSION or VERSION=BUILD")


@pytest.mark.parametrize(
    ("key", "value"),
    [("environment", '"env\\0.yml"'), ("overlays-dir", '"over\\0lays"'), ("output", '"lo\\0cks"')],
)
def test_nul_byte_in_a_config_path_is_one_error(tmp_path: Path, key: str, value: str) -> None:
    root = make(tmp_path, envsplit_yml=CONFIG + f"{key}: {value}\n")
    assert_one_error(run(root, "show", "cpu"), f"envsplit.yml:5: {key}:")


def test_nul_byte_in_an_overlay_name_is_one_error(tmp_path: Path) -> None:
    config = CONFIG.replace("[cpu]", '["c\\0pu"]')
    assert_one_error(run(make(tmp_path, envsplit_yml=config), "show", "cpu"), "envsplit.yml:4: variants.cpu")


def test_nul_byte_in_project_option_is_one_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["-C", "a\0b", "show", "cpu"])
    assert_one_error(result, "--project")


@pytest.mark.parametrize(
    "mirror",
    [
        "conda-forge=a\0b",
        "conda-forge=http://[::1",
        "conda-forge=http://[::1]:99999/x",
        "conda\0forge=http://h/x",
    ],
)
@pytest.mark.parametrize("command", [["lock"], ["lock", "--check"], ["audit"]])
def test_bad_mirror_option_is_one_error(tmp_path: Path, mirror: str, command: list[str]) -> None:
    root = make(tmp_path)
    before = snapshot(root)
    result = run(root, *command, "--mirror", mirror)
    assert_one_error(result, "--mirror")
    assert snapshot(root) == before


def test_good_mirror_option_still_parses() -> None:
    from envsplit.channels import parse_mirror_option

    assert parse_mirror_option("conda-forge=http://[::1]:8080/cf") == ("conda-forge", "http://[::1]:8080/cf")


# --- item 15/18: Ctrl-C ----------------------------------------------------------------------------------


def console_entry() -> str:
    """The ``module:function`` the installed ``envsplit`` command runs."""
    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return data["project"]["scripts"]["envsplit"]


INTERRUPT = """\
import sys
module, func = {entry!r}.split(":")

class Interrupt:
    def find_spec(self, name, path=None, target=None):
        if name == {when!r}:
            raise KeyboardInterrupt
        return None

sys.argv = ["envsplit", "-C", {root!r}, "show", "cpu"]
sys.meta_path.insert(0, Interrupt())
main = getattr(__import__(module, fromlist=[func]), func)
main()
"""


@pytest.mark.parametrize(
    "when",
    [
        "click",  # while the command line tool starts
        "envsplit.cli.lock",  # while the commands register
        "ruamel.yaml",  # while the project files are parsed
        "rattler",  # while specs are checked
    ],
)
def test_ctrl_c_during_start_up_is_interrupted_130(tmp_path: Path, when: str) -> None:
    root = make(tmp_path)
    code = INTERRUPT.format(entry=console_entry(), when=when, root=str(root))
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env={**os.environ}
    )
    assert proc.stderr.strip().splitlines()[-1:] == ["Interrupted."], proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 130


def test_ctrl_c_in_a_command_exits_130(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from envsplit.inputs import project as sources

    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(sources, "read_project", interrupted)
    monkeypatch.setattr("envsplit.cli.show.read_project", interrupted)
    result = run(make(tmp_path), "show", "cpu")
    assert result.exit_code == 130
    assert result.stderr.strip().splitlines()[-1] == "Interrupted."


# --- item 16: anchored regexes, paths outside the project --------------------------------------------------


@pytest.mark.parametrize(
    ("config", "starts"),
    [
        (CONFIG.replace("  cpu:", '  "cpu\\n":'), "envsplit.yml:4: variants.cpu\n"),
        (
            CONFIG + 'virtual-packages: {__cuda: "12.9\\n"}\n',
            "envsplit.yml:5: virtual-packages.__cuda:",
        ),
        (
            CONFIG.replace("{overlays: [cpu]}", '{overlays: [cpu], image: "ubuntu\\n:24.04"}'),
            "envsplit.yml:4: variants.cpu.image:",
        ),
        (CONFIG + 'docker: {repository: "ghcr.io/x\\n/y"}\n', "envsplit.yml:5: docker.repository:"),
    ],
)
def test_trailing_newline_does_not_pass_a_name_or_version(tmp_path: Path, config: str, starts: str) -> None:
    result = run(make(tmp_path, envsplit_yml=config), "show", "cpu")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {starts.splitlines()[0]}"), result.stderr


def test_image_references_with_a_newline_are_refused(tmp_path: Path) -> None:
    # A newline would end the FROM line of a Dockerfile: refused, not silently stripped.
    config = CONFIG.replace("{overlays: [cpu]}", '{overlays: [cpu], image: "ubuntu:24.04\\n"}')
    root = make(tmp_path, envsplit_yml=config)
    assert_one_error(run(root, "show", "cpu"), "envsplit.yml:4: variants.cpu.image:")
    root = make(tmp_path, envsplit_yml=CONFIG + 'docker: {repository: "ghcr.io/x\\n"}\n')
    assert_one_error(run(root, "show", "cpu"), "envsplit.yml:5: docker.repository:")


def test_overlay_virtual_package_trailing_newline_is_refused(tmp_path: Path) -> None:
    root = make(tmp_path, overlays__cpu_yml='virtual-packages:\n  __cuda: "12.9\\n"\n')
    assert_one_error(run(root, "show", "cpu"), "overlays/cpu.yml:2: virtual-packages.__cuda:")


@pytest.fixture()
def secret(tmp_path: Path) -> Path:
    """A file outside the project whose content must never be read or echoed."""
    path = tmp_path / "outside" / "secret.yml"
    path.parent.mkdir()
    path.write_text("TOP-SECRET-CONTENT\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("line", "starts"),
    [
        ("environment: ../outside/secret.yml", "proj/envsplit.yml:5: environment:"),
        ("environment: {secret}", "proj/envsplit.yml:5: environment:"),
        ("overlays-dir: ../outside", "proj/envsplit.yml:5: overlays-dir:"),
        ("overlays-dir: /etc", "proj/envsplit.yml:5: overlays-dir:"),
        ("output: ../locks", "proj/envsplit.yml:5: output:"),
        ("output: /tmp/locks", "proj/envsplit.yml:5: output:"),
        ("output: locks/../../x", "proj/envsplit.yml:5: output:"),
        ('docker: {{output: "docker\\0files"}}', "proj/envsplit.yml:5: docker.output:"),
    ],
)
def test_paths_outside_the_project_are_refused(tmp_path: Path, secret: Path, line: str, starts: str) -> None:
    root = make(tmp_path / "proj", overlays__secret_yml=CPU)
    config = CONFIG + line.format(secret=secret) + "\n"
    if "overlays-dir" in line:
        config = config.replace("[cpu]", "[secret]")
    write(root, {"envsplit.yml": config})
    out = assert_one_error(run(root, "show", "cpu"), starts)
    assert any(
        why in out
        for why in ("inside the project", "outside the project", "control character", "plain folder")
    )
    assert "TOP-SECRET" not in out


@pytest.mark.parametrize("name", ["../../outside/secret", "../../../etc/passwd", "/etc/passwd"])
def test_overlay_name_outside_the_project_is_refused(tmp_path: Path, secret: Path, name: str) -> None:
    root = make(tmp_path / "proj", envsplit_yml=CONFIG.replace("[cpu]", f'["{name}"]'))
    out = assert_one_error(run(root, "show", "cpu"), "proj/envsplit.yml:4: variants.cpu.overlays[0]:")
    assert "TOP-SECRET" not in out and "root:" not in out


def test_symlinked_environment_outside_the_project_is_refused(tmp_path: Path, secret: Path) -> None:
    root = make(tmp_path / "proj")
    (root / "environment.yml").unlink()
    (root / "environment.yml").symlink_to(secret)
    out = assert_one_error(run(root, "show", "cpu"), "proj/envsplit.yml")
    assert "TOP-SECRET" not in out


def test_symlinked_overlay_outside_the_project_is_refused(tmp_path: Path, secret: Path) -> None:
    root = make(tmp_path / "proj")
    (root / "overlays/cpu.yml").unlink()
    (root / "overlays/cpu.yml").symlink_to(secret)
    out = assert_one_error(run(root, "show", "cpu"), "proj/envsplit.yml:4: variants.cpu.overlays[0]:")
    assert "TOP-SECRET" not in out


def test_paths_inside_the_project_still_work(tmp_path: Path) -> None:
    root = make(tmp_path, sub__env_yml=ENV, sub__ov__cpu_yml=CPU)
    config = CONFIG + "environment: sub/../sub/env.yml\noverlays-dir: ./sub/ov\noutput: build/locks\n"
    write(root, {"envsplit.yml": config})
    result = run(root, "show", "cpu")
    assert result.exit_code == 0, result.output
    assert "pandas" in result.stdout


def test_project_given_through_a_symlink_still_works(tmp_path: Path) -> None:
    root = make(tmp_path / "real")
    (tmp_path / "link").symlink_to(root)
    result = run(tmp_path / "link", "show", "cpu")
    assert result.exit_code == 0, result.output


# --- item 18: messages --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mirrors", "starts"),
    [
        ("{5: http://h/x}", "envsplit.yml:5: mirrors.5:"),
        ("{[a]: http://h/x}", "envsplit.yml:5: mirrors"),
        ("{null: http://h/x}", "envsplit.yml:5: mirrors.None:"),
        ('{conda-forge: "http://[::1"}', "envsplit.yml:5: mirrors.conda-forge:"),
        ('{conda-forge: "a\\0b"}', "envsplit.yml:5: mirrors.conda-forge:"),
    ],
)
def test_bad_mirror_keys_and_values_name_file_and_line(tmp_path: Path, mirrors: str, starts: str) -> None:
    root = make(tmp_path, envsplit_yml=CONFIG + f"mirrors: {mirrors}\n")
    assert_one_error(run(root, "show", "cpu"), starts)
    assert_one_error(run(root, "lock", "--check"), starts)


@pytest.mark.parametrize("version", ["true", "1.0", '"1"', "false"])
def test_version_must_be_the_integer_1(tmp_path: Path, version: str) -> None:
    root = make(tmp_path, envsplit_yml=CONFIG.replace("version: 1", f"version: {version}"))
    assert_one_error(run(root, "show", "cpu"), "envsplit.yml:1: version: unsupported config version")


def test_full_disk_is_one_line_with_exit_4(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    root = write(make(tmp_path), {"locks/cpu/conda-linux-64.lock": "@EXPLICIT\n"})

    def full(*_: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("envsplit.atomic.os.write", full)
    monkeypatch.chdir(root)
    result = run(root, "dockerfile")
    line = assert_one_error(
        result, "dockerfiles/Dockerfile.cpu: cannot write (No space left on device)", code=4
    )
    assert line.count("\n") == 0


# --- found by tests/test_input_properties.py: every message is one line -----------------------------------


@pytest.mark.parametrize(
    ("files", "starts"),
    [
        ({"overlays__cpu_yml": '"\\r": []\n'}, "overlays/cpu.yml:1: \\r: unknown key"),
        ({"envsplit_yml": CONFIG + '  "\\x1e": {}\n'}, "envsplit.yml:5: variants.\\x1e: variant names"),
        ({"environment_yml": ENV + '  - "\\e"\n'}, "environment.yml:6: dependencies[2]: '\\x1b' is not"),
        (
            {"overlays__cpu_yml": "add: [../x]\n"},
            "overlays/cpu.yml:1: add[0]: '../x' is not a valid match spec",
        ),
        ({"environment_yml": "\x1f"}, "environment.yml:1: not valid YAML (character #x001f is not allowed)"),
    ],
)
def test_control_characters_and_library_messages_stay_on_one_line(
    tmp_path: Path, files: dict[str, str], starts: str
) -> None:
    assert_one_error(run(make(tmp_path, **files), "show", "cpu"), starts)


@pytest.mark.parametrize(
    "args",
    [["diff", "a\x01b"], ["audit", "-o", "x\x01y"], ["refresh", "--output-markdown", "x\x01y"]],
)
def test_control_characters_in_path_arguments_are_one_error(tmp_path: Path, args: list[str]) -> None:
    root = make(tmp_path)
    before = snapshot(root)
    out = assert_one_error(run(root, *args), "")
    assert "holds a control character" in out
    assert snapshot(root) == before
