"""Secrets in channel and mirror URLs never reach a written file or a printed message (issue 14, items 1-2).

A channel on a loopback server answers under ``/t/<token>/demo`` for a few token values (symlinks to one
channel of real archives), so a token can be used, rotated and leaked for real. conda-lock is the anchor:
``${VAR}`` placeholders are written as placeholders and recorded in ``used_env_vars``; a literal token or
``user:password@`` is stripped from every URL (its ``--strip-auth``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from envsplit.cli import cli
from envsplit.redact import redact_text

from archives import build_channel, demo_packages
from httpserver import serve, url
from projectfiles import explicit_lines, write

TOKEN_ONE = "tok1SECRETvalue"
TOKEN_TWO = "tok2ROTATEDvalue"
LITERAL_TOKEN = "abc123secret"
CHANNEL_PASSWORD = "pw5ECRETchannel"
MIRROR_PASSWORD = "PASSWORD9mirror"
SECRETS = (TOKEN_ONE, TOKEN_TWO, LITERAL_TOKEN, CHANNEL_PASSWORD, MIRROR_PASSWORD)
FORMATS = ("table", "markdown", "json", "html")


@pytest.fixture(scope="module")
def channel_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo channel at demo/ and, through symlinks, at t/<token>/demo/ for every token."""
    root = tmp_path_factory.mktemp("secrets") / "www"
    build_channel(root / "demo", demo_packages())
    for token in (TOKEN_ONE, TOKEN_TWO, LITERAL_TOKEN):
        (root / "t" / token).mkdir(parents=True)
        (root / "t" / token / "demo").symlink_to(root / "demo", target_is_directory=True)
    return root


@pytest.fixture(scope="module")
def www(channel_root: Path) -> Iterator[str]:
    with serve(channel_root) as server:
        yield url(server)


@pytest.fixture(scope="module")
def repodata_only(channel_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A mirror of the demo channel that has its repodata but answers 404 for every archive."""
    root = tmp_path_factory.mktemp("repodata-only")
    for repodata in (channel_root / "demo").glob("*/repodata.json"):
        target = root / "demo" / repodata.parent.name / "repodata.json"
        target.parent.mkdir(parents=True)
        shutil.copy(repodata, target)
    with serve(root) as server:
        yield url(server)


def make_project(root: Path, channel: str) -> Path:
    """A base variant and an extension (so layer files, Dockerfiles and a bake file are all written)."""
    return write(
        root,
        {
            "environment.yml": f"name: demo\nchannels: ['{channel}']\ndependencies: [pylite, toolkit]\n",
            "overlays/extra.yml": "add: [extra]\n",
            "envsplit.yml": "version: 1\nplatforms: [linux-64, linux-aarch64]\n"
            "variants:\n  base: {}\n  ext: {base: base, overlays: [extra]}\n"
            "docker: {repository: example.org/demo}\n",
        },
    )


def run(project: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(project), *args])


def written(project: Path) -> dict[str, str]:
    """Every file under the project except its inputs, as text."""
    inputs = {"environment.yml", "envsplit.yml", "overlays/extra.yml"}
    return {
        str(p.relative_to(project)): p.read_text(encoding="utf-8")
        for p in sorted(project.rglob("*"))
        if p.is_file() and str(p.relative_to(project)) not in inputs
    }


def leaks(texts: dict[str, str]) -> list[tuple[str, str]]:
    return [(name, secret) for name, text in texts.items() for secret in SECRETS if secret in text]


def reports(project: Path, cache: Path) -> dict[str, str]:
    """Every audit format and both diff formats of the project's locks, and their stderr."""
    out = {}
    for fmt in FORMATS:
        result = run(project, "audit", "--format", fmt, "--cache-dir", str(cache))
        assert result.exit_code == 0, result.output
        out[f"audit {fmt}"] = result.output
    for fmt in ("markdown", "json"):
        result = run(
            project,
            "diff",
            "--format",
            fmt,
            "--sizes",
            "--allow-variant-mismatch",
            "--cache-dir",
            str(cache),
            str(project / "locks/base"),
            str(project / "locks/ext"),
        )
        assert result.exit_code == 0, result.output
        assert "extra" in result.output  # what ext adds to base: a real diff, with sizes
        out[f"diff {fmt}"] = result.output
    return out


def test_templated_token_is_written_as_a_placeholder_and_rotating_it_keeps_the_lock_fresh(
    www: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = f"{www}/t/${{MY_TOKEN}}/demo"
    project = make_project(tmp_path / "p", template)
    cache = tmp_path / "cache"
    monkeypatch.setenv("MY_TOKEN", TOKEN_ONE)

    result = run(project, "lock", "--cache-dir", str(cache))
    assert result.exit_code == 0, result.output
    files = written(project)
    assert {
        "locks/ext/layer-linux-64.lock",
        "dockerfiles/docker-bake.hcl",
        "dockerfiles/Dockerfile.ext",
    } <= set(files)
    assert leaks({"lock output": result.output, **files}) == []
    for variant in ("base", "ext"):
        for name in ("conda-linux-64.lock", "conda-linux-aarch64.lock"):
            lines = explicit_lines(project / "locks" / variant / name)
            assert lines and all(ln.startswith(f"{template}/") for ln in lines), lines
        doc = yaml.safe_load(files[f"locks/{variant}/conda-lock.yml"])
        assert doc["metadata"]["channels"] == [{"url": template, "used_env_vars": ["MY_TOKEN"]}]
        assert all(p["url"].startswith(f"{template}/") for p in doc["package"])
    layer = explicit_lines(project / "locks/ext/layer-linux-64.lock")
    assert layer and all(ln.startswith(f"{template}/") for ln in layer)

    # A rotated token is the same input: nothing is stale, nothing is rewritten.
    monkeypatch.setenv("MY_TOKEN", TOKEN_TWO)
    check = run(project, "lock", "--check")
    assert check.exit_code == 0, check.output
    again = run(project, "lock", "--cache-dir", str(cache))
    assert again.exit_code == 0, again.output
    assert written(project) == files
    # The reports read sizes through the expanded URL and print none of it.
    assert leaks(reports(project, cache)) == []

    # Checking needs no token at all; solving without it is bad input that names the variable.
    monkeypatch.delenv("MY_TOKEN")
    assert run(project, "lock", "--check").exit_code == 0
    forced = run(project, "lock", "--force", "--cache-dir", str(cache))
    assert forced.exit_code == 2, forced.output
    assert "MY_TOKEN" in forced.output and "Traceback" not in forced.output
    assert written(project) == files


def test_input_hash_is_of_the_template_not_of_the_token(
    www: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from envsplit.locking.input_hash import input_hash
    from envsplit.models import VariantSpec

    def spec(channel: str) -> VariantSpec:
        return VariantSpec("v", None, (channel,), (), (), {}, ("linux-64",), ())

    monkeypatch.setenv("MY_TOKEN", TOKEN_ONE)
    templated = input_hash(spec("https://conda.anaconda.org/t/${MY_TOKEN}/private"), "linux-64", None)
    monkeypatch.setenv("MY_TOKEN", TOKEN_TWO)
    assert input_hash(spec("https://conda.anaconda.org/t/${MY_TOKEN}/private"), "linux-64", None) == templated
    # A literal token is hashed stripped: rotating it keeps a lock fresh too.
    one = input_hash(spec(f"https://conda.anaconda.org/t/{TOKEN_ONE}/private"), "linux-64", None)
    two = input_hash(spec(f"https://u:{TOKEN_TWO}@conda.anaconda.org/private"), "linux-64", None)
    assert one == two == input_hash(spec("https://conda.anaconda.org/private"), "linux-64", None)


@pytest.mark.parametrize(
    "credentials",
    [f"t/{LITERAL_TOKEN}/", f"bot:{CHANNEL_PASSWORD}@"],
    ids=["literal-token", "user-password"],
)
def test_literal_credentials_are_stripped_from_every_written_url(
    www: str, tmp_path: Path, credentials: str
) -> None:
    host = www.removeprefix("http://")
    channel = f"http://{credentials}{host}/demo" if credentials.endswith("@") else f"{www}/{credentials}demo"
    project = make_project(tmp_path / "p", channel)
    cache = tmp_path / "cache"
    result = run(project, "lock", "--cache-dir", str(cache))
    assert result.exit_code == 0, result.output
    files = written(project)
    assert leaks({"lock output": result.output, **files}) == []
    stripped = f"{www}/demo"
    for variant in ("base", "ext"):
        lines = explicit_lines(project / "locks" / variant / "conda-linux-64.lock")
        assert lines and all(
            ln.startswith(f"{stripped}/linux-64/") or ln.startswith(f"{stripped}/noarch/") for ln in lines
        )
        doc = yaml.safe_load(files[f"locks/{variant}/conda-lock.yml"])
        assert doc["metadata"]["channels"] == [{"url": stripped, "used_env_vars": []}]
    assert run(project, "lock", "--check").exit_code == 0
    assert leaks(reports(project, cache)) == []


def test_messages_about_a_channel_with_credentials_hold_none_of_them(www: str, tmp_path: Path) -> None:
    host = www.removeprefix("http://")
    # A misspelled package names the channels searched.
    project = make_project(tmp_path / "typo", f"http://bot:{CHANNEL_PASSWORD}@{host}/t/{LITERAL_TOKEN}/demo")
    (project / "environment.yml").write_text(
        (project / "environment.yml").read_text().replace("pylite", "pylitx"), encoding="utf-8"
    )
    typo = run(project, "lock", "--cache-dir", str(tmp_path / "cache"))
    assert typo.exit_code == 2, typo.output
    assert "pylitx" in typo.output and leaks({"typo": typo.output}) == []
    # A token the server does not know: the repodata cannot be read, and the error quotes the URL. In a
    # subprocess, so that the loopback server's own tracebacks (which hold the path) stay out of its stderr.
    dead = make_project(tmp_path / "dead", f"{www}/t/${{MY_TOKEN}}/demo")
    failed = subprocess.run(
        [sys.executable, "-m", "envsplit", "-C", str(dead), "lock", "--cache-dir", str(tmp_path / "cache")],
        capture_output=True,
        text=True,
        env={**os.environ, "MY_TOKEN": TOKEN_ONE + "x"},
        timeout=120,
    )
    assert failed.returncode == 1, failed.stderr
    assert "/demo/noarch/repodata.json" in failed.stderr and "Traceback" not in failed.stderr
    assert leaks({"stdout": failed.stdout, "stderr": failed.stderr}) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_mirror_password_is_not_in_any_audit_format(
    www: str, repodata_only: str, tmp_path_factory: pytest.TempPathFactory, fmt: str
) -> None:
    root = tmp_path_factory.mktemp("audit")
    project = make_project(root / "p", f"{www}/demo")
    assert run(project, "lock", "--cache-dir", str(root / "cache")).exit_code == 0
    mirror = repodata_only.replace("http://", f"http://bot:{MIRROR_PASSWORD}@") + "/demo"
    result = run(
        project,
        "audit",
        "--installed-size",
        "--format",
        fmt,
        "--mirror",
        f"{www}/demo={mirror}",
        "--cache-dir",
        str(root / "cache"),
        "-o",
        str(root / f"audit.{fmt}"),
    )
    assert result.exit_code == 0, result.output
    text = (root / f"audit.{fmt}").read_text(encoding="utf-8")
    assert "no installed size" in text and "404" in text  # the fetches failed and their reasons are shown
    assert "bot:" not in text
    assert leaks({fmt: text, "stderr": result.output}) == []


def test_redact_text_strips_every_kind_of_credential() -> None:
    text = (
        f"GET http://bot:{MIRROR_PASSWORD}@127.0.0.1:9/demo/x.conda failed; "
        f"https://conda.anaconda.org/t/{LITERAL_TOKEN}/private/noarch/repodata.json: 401"
    )
    assert leaks({"": redact_text(text)}) == []
    assert redact_text("https://${U}:${P}@host/t/${MY_TOKEN}/c") == "https://${U}:${P}@host/t/${MY_TOKEN}/c"


def test_templated_channel_read_through_a_mirror_needs_no_token(
    www: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = "https://conda.anaconda.org/t/${MY_TOKEN}/private"
    project = make_project(tmp_path / "p", template)
    monkeypatch.delenv("MY_TOKEN", raising=False)
    result = run(
        project, "lock", "--cache-dir", str(tmp_path / "cache"), "--mirror", f"{template}={www}/demo"
    )
    assert result.exit_code == 0, result.output
    lines = explicit_lines(project / "locks/base/conda-linux-64.lock")
    assert lines and all(ln.startswith(f"{template}/") for ln in lines), lines
