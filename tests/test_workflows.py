"""The CI files: GitHub workflows (schema, zizmor, least privilege, pinning), the pre-commit hook, Renovate.

check-jsonschema and zizmor run as subprocesses and work offline; a test that needs one is skipped only
when it is not installed (CI: ``python -m pip install check-jsonschema zizmor``).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).parent.parent
WORKFLOWS = REPO / ".github" / "workflows"
REFRESH = WORKFLOWS / "refresh-locks.yml"
CHECK = WORKFLOWS / "check-locks.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"
DOCS = REPO / "docs" / "refresh.md"


def tool(name: str) -> str:
    """The tool from this interpreter's environment, else from PATH; skip the test when there is none."""
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (python -m pip install {name})")
    return found


def load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def steps(workflow: Any) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_both_workflows_exist() -> None:
    assert sorted(p.name for p in WORKFLOWS.glob("*.yml")) == [
        "build-images.yml",
        "check-locks.yml",
        "refresh-locks.yml",
    ]


@pytest.mark.parametrize("schema", ["vendor.github-workflows", "custom.github-workflows-require-timeout"])
def test_workflows_match_github_schema(schema: str) -> None:
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", schema, str(REFRESH), str(CHECK)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_would_catch_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(REFRESH.read_text(encoding="utf-8").replace("runs-on:", "run-on:"), encoding="utf-8")
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(broken)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1


def zizmor_findings(*paths: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [tool("zizmor"), "--offline", "--format", "json", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    # zizmor exits non-zero when it has findings; the JSON on stdout is what counts
    assert result.stdout.strip(), result.stderr
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    return findings


def test_zizmor_finds_nothing_medium_or_high() -> None:
    serious = [
        f"{f['ident']} ({f['determinations']['severity']}): {f['desc']}"
        for f in zizmor_findings(WORKFLOWS)
        if f["determinations"]["severity"] in ("Medium", "High")
    ]
    assert serious == []


def test_zizmor_would_flag_template_injection_and_unpinned_actions(tmp_path: Path) -> None:
    text = REFRESH.read_text(encoding="utf-8")
    text = text.replace(
        'envsplit refresh --output-markdown "$RUNNER_TEMP/pr-body.md" --keep-going',
        "echo ${{ github.event.head_commit.message }}",
    )
    text = re.sub(r"actions/setup-python@[0-9a-f]{40}", "actions/setup-python@v5", text)
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(text, encoding="utf-8")
    idents = {f["ident"] for f in zizmor_findings(bad)}
    assert {"template-injection", "unpinned-uses"} <= idents


@pytest.mark.parametrize("path", [REFRESH, CHECK], ids=lambda p: p.name)
def test_least_privilege_and_pinned(path: Path) -> None:
    workflow = load(path)
    assert workflow["permissions"] in ({}, {"contents": "read"}, "read-all")
    for job in workflow["jobs"].values():
        assert "timeout-minutes" in job
        for scope, level in job.get("permissions", {}).items():
            assert level in ("read", "write", "none"), scope
    for step in steps(workflow):
        uses = step.get("uses")
        if uses is not None:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", uses), uses
        if uses is not None and uses.startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False
        # expressions reach scripts through env:, never spliced into the shell text
        assert "${{" not in step.get("run", ""), step
    text = path.read_text(encoding="utf-8")
    # every pinned SHA says which release it is
    for line in text.splitlines():
        if re.search(r"uses: \S+@[0-9a-f]{40}", line):
            assert re.search(r"# v\d+\.\d+\.\d+$", line), line


def test_refresh_workflow_runs_weekly_and_opens_one_pull_request() -> None:
    workflow = load(REFRESH)
    triggers = workflow["on"]
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    (cron,) = [entry["cron"] for entry in triggers["schedule"]]
    minute, hour, day, month, weekday = cron.split()
    assert minute.isdigit() and hour.isdigit()  # a fixed time, not every minute or hour
    assert day == month == "*" and weekday.isdigit()  # once a week
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "write", "pull-requests": "write"}
    runs = [s["run"] for s in job["steps"] if "run" in s]
    commands = [line.strip() for r in runs for line in r.splitlines()]
    refresh = next(c for c in commands if c.startswith("envsplit refresh "))
    assert refresh.startswith("envsplit refresh --output-markdown ") and "--keep-going" in refresh.split()
    (create,) = [s for s in job["steps"] if s.get("uses", "").startswith("peter-evans/create-pull-request@")]
    options = create["with"]
    assert options["branch"] == "envsplit/refresh-locks"  # fixed: later runs update the same PR
    body = refresh.split("--output-markdown ", 1)[1].split()[0]
    assert body.strip('"').replace("$RUNNER_TEMP", "${{ runner.temp }}") == options["body-path"]
    # partial (5) and refused (6) still open the pull request, then fail the job after it
    step = next(s for s in job["steps"] if "envsplit refresh" in s.get("run", ""))
    assert "-ne 5" in step["run"] and "-ne 6" in step["run"]
    last = job["steps"][-1]
    assert job["steps"].index(create) < len(job["steps"]) - 1
    assert last["if"] == f"steps.{step['id']}.outputs.status != '0'" and last["run"].rstrip().endswith(
        "exit 1"
    )
    assert set(options["add-paths"].split()) == {"locks/**", "dockerfiles/**"}
    assert workflow["concurrency"]["cancel-in-progress"] is False


def test_check_workflow_runs_lock_check_on_pull_requests() -> None:
    workflow = load(CHECK)
    assert "pull_request" in workflow["on"]
    assert "pull_request_target" not in workflow["on"]
    (job,) = workflow["jobs"].values()
    assert "permissions" not in job  # the workflow's contents: read is all it gets
    runs = [s["run"] for s in job["steps"] if "run" in s]
    assert "envsplit lock --check" in runs
    diff = next(s for s in job["steps"] if "envsplit diff" in s.get("run", ""))
    assert diff["continue-on-error"] is True
    assert diff["env"] == {"BASE_REF": "${{ github.base_ref }}"}


# --- pre-commit ------------------------------------------------------------------------------------


def test_pre_commit_hook_definition() -> None:
    (hook,) = load(HOOKS)
    assert hook["id"] == "envsplit-lock-check"
    assert hook["entry"] == "envsplit lock --check"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    for path in (
        "environment.yml",
        "envsplit.yml",
        "overlays/cpu.yml",
        "images/overlays/spatial.yaml",
        "locks/cpu/conda-lock.yml",
        "locks/cpu-spatial/layer-linux-64.lock",
        "images/environment.yml",
        "dockerfiles/Dockerfile.cpu",
    ):
        assert files.search(path), path
    for path in ("README.md", "myenvironment.yml", "overlays/notes/x.yml"):
        assert not files.search(path), path


def test_pre_commit_accepts_the_manifest() -> None:
    result = subprocess.run(
        [tool("pre-commit"), "validate-manifest", str(HOOKS)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hook_entry_fails_on_a_stale_lock(tmp_path: Path) -> None:
    """Run the hook's entry as pre-commit would (no file arguments) in a project with fresh, then stale locks."""
    (hook,) = load(HOOKS)
    project = tmp_path / "project"
    project.mkdir()
    for name in ("envsplit.yml", "environment.yml"):
        shutil.copy(REPO / name, project / name)
    shutil.copytree(REPO / "overlays", project / "overlays")
    shutil.copytree(REPO / "locks", project / "locks")
    shutil.copytree(REPO / "dockerfiles", project / "dockerfiles")
    shutil.copytree(
        REPO / ".github", project / ".github"
    )  # the build workflow is rendered with the Dockerfiles
    argv = [tool("envsplit"), *hook["entry"].split()[1:]]
    fresh = subprocess.run(argv, cwd=project, capture_output=True, text=True, check=False)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    overlay = project / "overlays" / "spatial.yml"
    overlay.write_text(overlay.read_text(encoding="utf-8").replace("  - zarr\n", ""), encoding="utf-8")
    stale = subprocess.run(argv, cwd=project, capture_output=True, text=True, check=False)
    assert stale.returncode == 1
    assert "stale: cpu-spatial linux-64" in stale.stdout


# --- Renovate --------------------------------------------------------------------------------------


def renovate_example() -> dict[str, Any]:
    text = DOCS.read_text(encoding="utf-8").split("## Renovate", 1)[1]
    block = text.split("```json\n", 1)[1].split("```", 1)[0]
    config: dict[str, Any] = json.loads(block)
    return config


def test_renovate_example_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "renovate.json"
    path.write_text(json.dumps(renovate_example()), encoding="utf-8")
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.renovate", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The vendored schema allows unknown keys, so check each key we use is one Renovate declares.
    import check_jsonschema

    schema = json.loads(
        (Path(check_jsonschema.__file__).parent / "builtin_schemas" / "vendor" / "renovate.json").read_text()
    )
    definitions = schema["definitions"]

    def declared(name: str) -> set[str]:
        found: set[str] = set()
        for part in definitions[name].get("items", definitions[name]).get("allOf", []):
            found |= set(part.get("properties", {}))
        return found

    config = renovate_example()
    assert set(config) - {"$schema"} <= set(schema["properties"])
    for manager in config["customManagers"]:
        assert set(manager) <= declared("customManagers")
    assert set(config["postUpgradeTasks"]) <= declared("postUpgradeTasks")


def test_renovate_regex_finds_the_marked_specs_in_the_docs_example() -> None:
    manager = renovate_example()["customManagers"][0]
    docs = DOCS.read_text(encoding="utf-8")
    example = docs.split("Mark the specs it should watch", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    # Renovate's regexes are JavaScript: named groups are (?<name>...), Python spells them (?P<name>...)
    pattern = re.compile(manager["matchStrings"][0].replace("(?<", "(?P<"))
    found = [(m["depName"], m["currentValue"]) for m in pattern.finditer(example)]
    assert found == [("conda-forge/pytorch", "2.10.0"), ("conda-forge/gdal", "3.12.1")]
    file_patterns = [re.compile(p.strip("/")) for p in manager["managerFilePatterns"]]
    for path in ("environment.yml", "overlays/spatial.yml", "images/environment.yml"):
        assert any(p.search(path) for p in file_patterns), path
    assert not any(p.search("locks/cpu/conda-lock.yml") for p in file_patterns)
