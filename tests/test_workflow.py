"""The rendered build workflow and bake file of the rocker example: parsed, zizmor- and schema-clean, and
built the way the issue asks (native runners, push by digest on the default branch only, smoke test first)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import hcl2
import pytest
import yaml
from test_hardening import run, snapshot
from test_workflows import tool

from projectfiles import edit

REPO = Path(__file__).parent.parent
WORKFLOW = REPO / ".github" / "workflows" / "build-images.yml"
BAKE = REPO / "dockerfiles" / "docker-bake.hcl"


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def test_zizmor_reports_nothing() -> None:
    proc = subprocess.run(
        [tool("zizmor"), "--offline", "--no-progress", str(WORKFLOW)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings to report" in proc.stdout


def test_the_github_workflow_schema_accepts_it() -> None:
    proc = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_each_architecture_builds_on_its_own_runner_and_tests_before_pushing() -> None:
    flow = _workflow()
    build = flow["jobs"]["build"]
    assert [(m["arch"], m["runner"]) for m in build["strategy"]["matrix"]["include"]] == [
        ("amd64", "ubuntu-24.04"),
        ("arm64", "ubuntu-24.04-arm"),
    ]
    names = [step["name"] for step in build["steps"]]
    assert names.index("Build and smoke-test the images") < names.index("Push by digest")
    test_step = build["steps"][names.index("Build and smoke-test the images")]
    assert test_step["with"]["targets"] == "${{ matrix.tests }}"
    push = build["steps"][names.index("Push by digest")]["with"]["set"]
    assert 'cpu.output=type=image,"name=ghcr.io/rocker-org/ml,rocker/ml",push-by-digest=true' in push
    assert "cpu.cache-from=type=gha,scope=cpu-${{ matrix.arch }}" in push
    assert "default_branch" in flow["env"]["PUSH"] and "pull_request" in flow["env"]["PUSH"]
    # logins only when pushing; docker.io from secrets, ghcr.io with the workflow's token
    logins = {s["with"]["registry"]: s for s in build["steps"] if s["name"].startswith("Log in")}
    assert set(logins) == {"docker.io", "ghcr.io"}
    assert logins["docker.io"]["with"]["password"] == "${{ secrets.DOCKER_TOKEN }}"  # docker.registry-secrets
    assert logins["ghcr.io"]["with"]["password"] == "${{ secrets.GITHUB_TOKEN }}"
    assert all(s["if"] == "env.PUSH == 'true'" for s in logins.values())
    assert build["permissions"] == {"contents": "read", "packages": "write"} and flow["permissions"] == {}


def test_triggers_and_pins() -> None:
    flow = _workflow()
    on = flow[True]  # YAML 1.1 reads the key 'on' as true
    assert on["push"]["paths"] == ["locks/**", "dockerfiles/**", ".github/workflows/build-images.yml"]
    assert on["pull_request"]["paths"] == on["push"]["paths"]
    assert on["schedule"][0]["cron"] and "workflow_dispatch" in on
    uses = re.findall(r"uses: (\S+)", WORKFLOW.read_text())
    assert uses and all(re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", u) for u in uses), uses
    checkout = [s for s in flow["jobs"]["build"]["steps"] if "actions/checkout" in s.get("uses", "")]
    assert checkout[0]["with"]["persist-credentials"] is False


def test_the_merge_job_creates_every_reference_from_both_digests() -> None:
    script = _workflow()["jobs"]["merge"]["steps"][-1]["run"]
    assert (
        "docker buildx imagetools create -t rocker/ml:latest -t rocker/ml:cpu "
        '"rocker/ml@$(cat digests/cpu-amd64)" "rocker/ml@$(cat digests/cpu-arm64)"' in script
    )
    for ref in (
        "rocker/cuda:latest",
        "ghcr.io/rocker-org/cuda:latest",
        "rocker/ml-spatial:latest",
        "rocker/cuda-spatial:latest",
        "ghcr.io/rocker-org/ml:cpu",
    ):
        assert f"-t {ref}" in script


def test_the_bake_file_parses_with_the_rocker_references_and_a_test_per_variant() -> None:
    with BAKE.open() as handle:
        bake = hcl2.load(handle)
    targets = {}
    for block in bake["target"]:
        targets.update({name.strip('"'): body for name, body in block.items()})
    tags = {name: t.get("tags") for name, t in targets.items() if not name.startswith("test-")}
    assert [s.strip('"') for s in tags["cpu"]] == [
        "rocker/ml:latest",
        "rocker/ml:cpu",
        "ghcr.io/rocker-org/ml:latest",
        "ghcr.io/rocker-org/ml:cpu",
    ]
    assert [s.strip('"') for s in tags["cuda"]] == ["rocker/cuda:latest", "ghcr.io/rocker-org/cuda:latest"]
    assert {n for n in targets if n.startswith("test-")} == {f"test-{v}" for v in tags}
    cpu_test = targets["test-cpu"]
    assert "linux-64 linux-aarch64" in str(cpu_test["args"]) and "target:cpu" in str(cpu_test["contexts"])


def test_a_platform_without_runner_is_refused(locked: Path) -> None:
    edit(
        locked / "envsplit.yml",
        "platforms: [linux-64, linux-aarch64]",
        "platforms: [linux-64, linux-ppc64le]",
    )
    before = snapshot(locked)
    result = run(locked, "dockerfile")
    assert (result.exit_code, result.output) == (
        2,
        "error: envsplit.yml: platforms: no GitHub-hosted runner builds linux-ppc64le images (runners: linux-64 "
        "on ubuntu-24.04, linux-aarch64 on ubuntu-24.04-arm); drop the platform, or set 'workflow: false' under "
        "'docker:' to write no build workflow\n",
    )
    assert snapshot(locked) == before


def test_workflow_false_writes_none_and_a_path_moves_it(locked: Path) -> None:
    edit(locked / "envsplit.yml", "  workflow: .github/workflows/build-images.yml", "  workflow: false")
    shutil.rmtree(locked / ".github")
    assert run(locked, "dockerfile").exit_code == 0
    assert not (locked / ".github").exists()
    edit(locked / "envsplit.yml", "  workflow: false", "  workflow: ci/images.yml")
    assert run(locked, "dockerfile").exit_code == 0
    assert (locked / "ci" / "images.yml").read_text() == WORKFLOW.read_text().replace(
        ".github/workflows/build-images.yml", "ci/images.yml"
    ).replace(
        re.search(r"content-sha256: \w+", WORKFLOW.read_text()).group(0),  # type: ignore[union-attr]
        re.search(r"content-sha256: \w+", (locked / "ci" / "images.yml").read_text()).group(0),
    )  # type: ignore[union-attr]


def test_a_hand_edited_workflow_is_refused(locked: Path) -> None:
    assert run(locked, "dockerfile").exit_code == 0
    path = locked / ".github" / "workflows" / "build-images.yml"
    path.write_text(path.read_text().replace("cron: '17 4 * * 1'", "cron: '0 0 * * *'"))
    before = snapshot(locked)
    result = run(locked, "dockerfile")
    assert result.exit_code == 2
    assert (
        "build-images.yml: was edited by hand" in result.output
        and "a workflow file of your own" in result.output
    )
    assert snapshot(locked) == before


@pytest.mark.parametrize("registry", ["quay.io"])
def test_other_registries_log_in_with_documented_secrets(registry: str) -> None:
    from envsplit.render.workflow import secret_names

    assert secret_names(registry) == ("QUAY_IO_USERNAME", "QUAY_IO_PASSWORD")
    assert secret_names("docker.io") == ("DOCKERHUB_USERNAME", "DOCKERHUB_TOKEN")


def test_a_project_naming_no_image_builds_and_tests_but_pushes_nothing(tmp_path: Path) -> None:
    from projectfiles import write

    project = write(
        tmp_path / "p",
        {
            "environment.yml": "name: x\nchannels: [conda-forge]\ndependencies: [python]\n",
            "envsplit.yml": "version: 1\nplatforms: [linux-64]\nvariants:\n  app: {}\n",
            "locks/app/conda-linux-64.lock": "@EXPLICIT\n",
        },
    )
    result = run(project, "dockerfile")
    assert result.exit_code == 0, result.output
    flow = yaml.safe_load((project / ".github/workflows/build-images.yml").read_text())
    assert set(flow["jobs"]) == {"build"}
    steps = flow["jobs"]["build"]["steps"]
    assert not [s for s in steps if s["name"].startswith("Log in")]
    assert "app.output=type=cacheonly" in steps[-3]["with"]["set"]
    assert flow["jobs"]["build"]["permissions"] == {"contents": "read"}


def _published_app(tmp_path: Path, docker: str) -> Path:
    from projectfiles import write

    return write(
        tmp_path / "p",
        {
            "environment.yml": "name: x\nchannels: [conda-forge]\ndependencies: [python]\n",
            "envsplit.yml": "version: 1\nplatforms: [linux-64]\nvariants:\n  app: {}\n"
            f"docker:\n  images: ['me/app:latest', 'quay.io/me/app:latest']\n{docker}",
            "locks/app/conda-linux-64.lock": "@EXPLICIT\n",
        },
    )


def test_registry_secrets_name_the_projects_own_secrets(tmp_path: Path) -> None:
    """rocker's Docker Hub secrets are DOCKER_USER/DOCKER_TOKEN, not the default names."""
    project = _published_app(tmp_path, "  registry-secrets: {docker.io: [DOCKER_USER, DOCKER_TOKEN]}\n")
    result = run(project, "dockerfile")
    assert result.exit_code == 0, result.output
    path = project / ".github/workflows/build-images.yml"
    flow = yaml.safe_load(path.read_text())
    for job in ("build", "merge"):
        logins = {
            s["with"]["registry"]: s["with"]
            for s in flow["jobs"][job]["steps"]
            if s["name"].startswith("Log in")
        }
        assert logins["docker.io"]["username"] == "${{ secrets.DOCKER_USER }}"
        assert logins["docker.io"]["password"] == "${{ secrets.DOCKER_TOKEN }}"
        assert logins["quay.io"]["password"] == "${{ secrets.QUAY_IO_PASSWORD }}"  # the default stays
    proc = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "{docker.io: [GITHUB_TOKEN, X]}",
            "docker.registry-secrets.docker.io: expected two secret names, [USER_SECRET, PASSWORD_SECRET]",
        ),
        ("{docker.io: [ONLY_ONE]}", "docker.registry-secrets.docker.io: expected two secret names"),
        ("{ghcr.io: [A, B]}", "ghcr.io logs in with the workflow's own GITHUB_TOKEN; remove this entry"),
        ("{'not a host': [A, B]}", "'not a host' is not a registry host such as docker.io or quay.io"),
        (
            "[docker.io]",
            "docker.registry-secrets: expected a mapping of registry host to [USER_SECRET, PASSWORD_SECRET]",
        ),
    ],
)
def test_bad_registry_secrets_are_one_error_line(tmp_path: Path, value: str, message: str) -> None:
    project = _published_app(tmp_path, f"  registry-secrets: {value}\n")
    before = snapshot(project)
    result = run(project, "dockerfile")
    assert result.exit_code == 2, result.output
    assert message in result.output and "envsplit.yml" in result.output, result.output
    assert result.output.count("error:") == 1 and "Traceback" not in result.output
    assert snapshot(project) == before
