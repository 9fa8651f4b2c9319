"""The GitHub Actions workflow that builds, smoke-tests and publishes every image (docker.workflow).

One job per architecture on its own native runner (no QEMU): `docker buildx bake test` builds the images of
that platform and runs their smoke tests, then `docker buildx bake` pushes them by digest. A merge job then
creates each multi-arch reference with `docker buildx imagetools create`. Pull requests build and test
without pushing or logging in; pushes to the default branch, the weekly schedule and manual runs publish.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from envsplit.errors import InputError
from envsplit.generated import Header, regenerate_command, seal
from envsplit.inputs.docker_values import repository_of
from envsplit.models import DockerConfig, VariantSpec

# Every action pinned by commit (the comment names the release the commit is).
CHECKOUT = "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683"  # v4.2.2
SETUP_BUILDX = "docker/setup-buildx-action@f7ce87c1d6bead3e36075b2ce75da1f6cc28aaca"  # v3.9.0
LOGIN = "docker/login-action@74a5d142397b4f367a81961eba4e8cd7edddf772"  # v3.4.0
BAKE = "docker/bake-action@4f08b22a19b3133912e9acbf7da9bfa25184a173"  # v6.4.0
UPLOAD = "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02"  # v4.6.2
DOWNLOAD = "actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093"  # v4.3.0
_VERSIONS = {
    CHECKOUT: "v4.2.2",
    SETUP_BUILDX: "v3.9.0",
    LOGIN: "v3.4.0",
    BAKE: "v6.4.0",
    UPLOAD: "v4.6.2",
    DOWNLOAD: "v4.3.0",
}
# conda platform -> (docker arch, GitHub-hosted runner of that architecture)
RUNNERS = {"linux-64": ("amd64", "ubuntu-24.04"), "linux-aarch64": ("arm64", "ubuntu-24.04-arm")}
_PUSH = "github.event_name != 'pull_request' && github.ref == format('refs/heads/{0}', github.event.repository.default_branch)"


def registry_of(reference: str) -> str:
    """The registry host of ``reference``: docker.io unless its first component names a host."""
    first, _, rest = reference.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def secret_names(registry: str, overrides: tuple[tuple[str, str, str], ...] = ()) -> tuple[str, str] | None:
    """The secrets a registry's login reads; None for ghcr.io, which takes the workflow's own token.
    ``overrides``: docker.registry-secrets, (registry, user secret, password secret)."""
    if registry == "ghcr.io":
        return None
    for host, user, password in overrides:
        if host == registry:
            return user, password
    if registry == "docker.io":
        return "DOCKERHUB_USERNAME", "DOCKERHUB_TOKEN"
    stem = re.sub(r"[^A-Z0-9]+", "_", registry.upper()).strip("_")
    return f"{stem}_USERNAME", f"{stem}_PASSWORD"


def check_runners(specs: list[VariantSpec], config_name: str) -> None:
    """Raise unless every platform an image is built for has a native runner."""
    for spec in specs:
        for platform in spec.platforms:
            if platform not in RUNNERS:
                raise InputError(
                    f"{config_name}: platforms: no GitHub-hosted runner builds {platform} images (runners: "
                    + ", ".join(f"{p} on {r}" for p, (_, r) in RUNNERS.items())
                    + "); drop the platform, or set 'workflow: false' under 'docker:' to write no build workflow"
                )


def _uses(action: str) -> str:
    return f"uses: {action} # {_VERSIONS[action]}"


def _logins(registries: list[str], indent: str, overrides: tuple[tuple[str, str, str], ...]) -> list[str]:
    lines = []
    for registry in registries:
        names = secret_names(registry, overrides)
        user = "${{ github.actor }}" if names is None else f"${{{{ secrets.{names[0]} }}}}"
        password = "${{ secrets.GITHUB_TOKEN }}" if names is None else f"${{{{ secrets.{names[1]} }}}}"
        lines += [
            f"{indent}- name: Log in to {registry}",
            f"{indent}  if: env.PUSH == 'true'",
            f"{indent}  {_uses(LOGIN)}",
            f"{indent}  with:",
            f"{indent}    registry: {registry}",
            f"{indent}    username: {user}",
            f"{indent}    password: {password}",
        ]
    return lines


def render(
    specs: list[VariantSpec],
    docker: DockerConfig,
    refs: Mapping[str, tuple[str, ...]],
    tested: set[str],
    lock_output: str,
) -> str:
    """The sealed workflow text; ``tested``: the variants with a smoke test target."""
    bake_file = f"{docker.output}/docker-bake.hcl"
    all_refs = [r for s in specs for r in refs[s.name]]
    registries = sorted({registry_of(r) for r in all_refs})
    packages = "ghcr.io" in registries
    header = Header(
        "GitHub Actions workflow that builds and publishes the images", regenerate_command("dockerfile")
    )
    matrix = []
    for platform, (arch, runner) in RUNNERS.items():
        targets = [s.name for s in specs if platform in s.platforms]
        if not targets:
            continue
        tests = [f"test-{n}" for n in targets if n in tested]
        matrix += [
            f"          - arch: {arch}",
            f"            runner: {runner}",
            f"            targets: {','.join(targets)}",
            f"            tests: {','.join(tests)}",
        ]
    job_permissions = ["      contents: read", *(["      packages: write"] if packages else [])]
    cache = []
    outputs = []
    for spec in specs:
        scope = f"{spec.name}-${{{{ matrix.arch }}}}"
        cache += [
            f"            {spec.name}.cache-from=type=gha,scope={scope}",
            f"            {spec.name}.cache-to=type=gha,mode=max,scope={scope}",
        ]
        repos = sorted({repository_of(r) for r in refs[spec.name]})
        if repos:
            outputs.append(
                f'            {spec.name}.output=type=image,"name={",".join(repos)}",push-by-digest=true,'
                "name-canonical=true,push=${{ env.PUSH }}"
            )
        else:
            outputs.append(f"            {spec.name}.output=type=cacheonly")
    published = [s.name for s in specs if refs[s.name]]
    lines = [
        "name: Build images",
        "",
        "on:",
        "  push:",
        f"    paths: [{json.dumps(lock_output + '/**')}, {json.dumps(docker.output + '/**')}, "
        f"{json.dumps(docker.workflow)}]",
        "  pull_request:",
        f"    paths: [{json.dumps(lock_output + '/**')}, {json.dumps(docker.output + '/**')}, "
        f"{json.dumps(docker.workflow)}]",
        "  schedule:",
        "    - cron: '17 4 * * 1'  # weekly: fresh base images and security fixes under the same locks",
        "  workflow_dispatch:",
        "",
        "permissions: {}",
        "",
        "concurrency:",
        "  group: ${{ github.workflow }}-${{ github.ref }}",
        "  cancel-in-progress: ${{ github.event_name == 'pull_request' }}",
        "",
        "env:",
        "  # Publish only from the default branch; pull requests build and smoke-test without pushing.",
        f"  PUSH: ${{{{ {_PUSH} }}}}",
        "",
        "jobs:",
        "  build:",
        "    name: build (${{ matrix.arch }})",
        "    runs-on: ${{ matrix.runner }}",
        "    permissions:",
        *job_permissions,
        "    strategy:",
        "      fail-fast: false",
        "      matrix:",
        "        include:",
        *matrix,
        "    steps:",
        "      - name: Check out",
        f"        {_uses(CHECKOUT)}",
        "        with:",
        "          persist-credentials: false",
        "      - name: Set up Docker Buildx",
        f"        {_uses(SETUP_BUILDX)}",
        *_logins(registries, "      ", docker.registry_secrets),
        "      - name: Build and smoke-test the images",
        "        if: matrix.tests != ''",
        f"        {_uses(BAKE)}",
        "        with:",
        "          source: .",
        f"          files: {bake_file}",
        "          targets: ${{ matrix.tests }}",
        "          set: |",
        "            *.platform=linux/${{ matrix.arch }}",
        *cache,
        "      - name: Push by digest",
        "        id: bake",
        f"        {_uses(BAKE)}",
        "        with:",
        "          source: .",
        f"          files: {bake_file}",
        "          targets: ${{ matrix.targets }}",
        "          set: |",
        "            *.platform=linux/${{ matrix.arch }}",
        *[line for line in cache if ".cache-from=" in line],
        *outputs,
        "      - name: Record the digests",
        "        if: env.PUSH == 'true'",
        "        env:",
        "          METADATA: ${{ steps.bake.outputs.metadata }}",
        "          ARCH: ${{ matrix.arch }}",
        "          TARGETS: ${{ matrix.targets }}",
        "        run: |",
        "          mkdir -p digests",
        "          for target in ${TARGETS//,/ }; do",
        '            jq -r --arg t "${target}" \'.[$t]["containerimage.digest"] // empty\' <<<"${METADATA}" \\',
        '              > "digests/${target}-${ARCH}"',
        "          done",
        "      - name: Upload the digests",
        "        if: env.PUSH == 'true'",
        f"        {_uses(UPLOAD)}",
        "        with:",
        "          name: digests-${{ matrix.arch }}",
        "          path: digests/",
        "          if-no-files-found: error",
        "          retention-days: 1",
    ]
    if published:
        lines += _merge_job(specs, refs, registries, packages, docker.registry_secrets)
    return seal(header.comment_lines(), "\n".join(lines) + "\n")


def _merge_job(
    specs: list[VariantSpec],
    refs: Mapping[str, tuple[str, ...]],
    registries: list[str],
    packages: bool,
    secrets: tuple[tuple[str, str, str], ...],
) -> list[str]:
    """One multi-arch manifest per reference, from the digests each architecture pushed."""
    script = ["          set -euo pipefail"]
    for spec in specs:
        arches = [RUNNERS[p][0] for p in spec.platforms if p in RUNNERS]
        by_repo: dict[str, list[str]] = {}
        for ref in refs[spec.name]:
            by_repo.setdefault(repository_of(ref), []).append(ref)
        for repo, tagged in sorted(by_repo.items()):
            sources = " ".join(f'"{repo}@$(cat digests/{spec.name}-{a})"' for a in arches)
            script.append(
                "          docker buildx imagetools create "
                + " ".join(f"-t {r}" for r in tagged)
                + f" {sources}"
            )
    return [
        "",
        "  merge:",
        "    name: multi-arch manifests",
        "    needs: build",
        "    if: github.event_name != 'pull_request'",
        "    runs-on: ubuntu-24.04",
        "    permissions:",
        "      contents: read",
        *(["      packages: write"] if packages else []),
        "    steps:",
        "      - name: Download the digests",
        "        if: env.PUSH == 'true'",
        f"        {_uses(DOWNLOAD)}",
        "        with:",
        "          pattern: digests-*",
        "          path: digests",
        "          merge-multiple: true",
        "      - name: Set up Docker Buildx",
        "        if: env.PUSH == 'true'",
        f"        {_uses(SETUP_BUILDX)}",
        *_logins(registries, "      ", secrets),
        "      - name: Create the multi-arch references",
        "        if: env.PUSH == 'true'",
        "        run: |",
        *script,
    ]
