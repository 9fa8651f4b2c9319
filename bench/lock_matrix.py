"""Benchmark: ``envsplit lock --force`` on the rocker example against bare py-rattler solves of the same problems.

Usage::

    python bench/lock_matrix.py [CHANNELS ...] [--repeat N] [--warmup N]

Each CHANNELS folder holds ``conda-forge/`` and ``rapidsai/``, each with ``<subdir>/repodata.json``
(default: tests/data/channels). For every folder and every repeat, in a fresh temp copy of the project
(envsplit.yml, environment.yml, overlays/) and a fresh ENVSPLIT_CACHE_DIR, it times four subprocesses:

* bare:   this file in ``--bare-worker`` mode: import rattler, solve the 8 (variant, platform) problems, exit;
* lock:   ``envsplit lock --force`` with both channels mirrored to the folder (no locks yet);
* relock: ``envsplit lock --force`` again, now with locks present (previous solutions are preferred);
* no-op:  ``envsplit lock`` with nothing changed.

Specs, channels and virtual packages of the bare problems come from ``envsplit.compose`` (the same composed
``VariantSpec`` that ``envsplit show <variant>`` prints), computed here before any timing. The bare solves do
not pin an extension to its base: they solve exactly the composed specs, nothing more.

Then, per folder, the same for a generated project of 16 variants (8 bases, each with one extension) x 2
platforms (written into a temp folder from the rocker environment and slices of its spatial overlay):

* bare:   the 32 composed problems solved one after another with one Gateway;
* lock:   ``envsplit lock`` (no locks yet); and once more, untimed, under ``strace`` to count how often each
          repodata.json is opened (read once: every file exactly once, as in one Gateway).

Wall time is the median over the repeats; peak is the largest max RSS of the process (``os.wait4``).
Targets: lock <= 1.2x bare, relock <= 1.0x bare, no-op <= 0.3 s, peak <= 500 MiB; the 16-variant lock
<= 1.2x bare with every repodata.json read once.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CHANNELS = REPO / "tests" / "data" / "channels"
PROJECT_FILES = ("envsplit.yml", "environment.yml")
CHANNEL_NAMES = ("conda-forge", "rapidsai")
SUBDIRS = ("linux-64", "linux-aarch64", "noarch")

MAX_LOCK_RATIO = 1.2  # first lock, no locks yet
MAX_RELOCK_RATIO = 1.0  # lock --force with locks present
MAX_MATRIX_RATIO = 1.2  # the 16-variant project, first lock
MAX_NOOP_S = 0.3
MAX_PEAK_MIB = 500.0
MATRIX_BASES = 8


# ---------------------------------------------------------------- bare worker (runs in its own process)


def bare_worker(problems_path: Path, cache_dir: Path) -> None:
    """Solve each problem with a single shared Gateway, as envsplit does; print per-problem results as JSON.

    Only rattler is imported here, so the process's wall time is interpreter start + rattler + solves.
    """
    import asyncio

    from rattler import Channel, Gateway, GenericVirtualPackage, PackageName, Subdir, Version, solve
    from rattler.package import BuildString

    problems = json.loads(problems_path.read_text())
    gateway = Gateway(cache_dir=cache_dir)
    loop = asyncio.new_event_loop()
    out = []
    for p in problems:
        vps = [
            GenericVirtualPackage(PackageName(name), Version(version), BuildString(build))
            for name, version, build in p["virtual_packages"]
        ]
        start = time.perf_counter()
        records = loop.run_until_complete(
            solve(
                [Channel(c) for c in p["channels"]],
                p["specs"],
                gateway=gateway,
                platforms=[Subdir(p["platform"]), Subdir("noarch")],
                virtual_packages=vps,
            )
        )
        elapsed = time.perf_counter() - start
        files = sorted(f"{r.subdir}/{r.file_name}" for r in records)
        out.append({"variant": p["variant"], "platform": p["platform"], "seconds": elapsed, "files": files})
    sys.stdout.write(json.dumps(out))
    sys.stdout.flush()
    # py-rattler can crash at interpreter shutdown after solving; leave without running finalizers.
    os._exit(0)


# ---------------------------------------------------------------- driver


@dataclass(frozen=True)
class Problem:
    variant: str
    platform: str
    specs: tuple[str, ...]
    channels: tuple[str, ...]  # file:// URIs, highest priority first
    channel_names: tuple[str, ...]
    virtual_packages: tuple[tuple[str, str, str], ...]  # (name, version, build)

    def to_json(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "platform": self.platform,
            "specs": list(self.specs),
            "channels": list(self.channels),
            "virtual_packages": [list(v) for v in self.virtual_packages],
        }


@dataclass
class Run:
    seconds: float
    cpu_seconds: float  # user + sys: steadier than wall time on a shared machine
    peak_mib: float
    stdout: str
    stderr: str


@dataclass
class Measurements:
    bare: list[Run] = field(default_factory=list)
    lock: list[Run] = field(default_factory=list)
    relock: list[Run] = field(default_factory=list)
    noop: list[Run] = field(default_factory=list)
    lock_without_pip: list[Run] = field(default_factory=list)  # the same first lock, pip entries left out
    bare_pairs: list[list[dict[str, Any]]] = field(default_factory=list)  # per repeat, per pair
    locked_files: dict[tuple[str, str], list[str]] = field(default_factory=dict)


def build_problems(project_dir: Path, channels_dir: Path) -> list[Problem]:
    """The 8 solve problems, composed by envsplit itself, with the channels pointed at ``channels_dir``."""
    from envsplit.channels import resolve
    from envsplit.inputs.compose import compose
    from envsplit.inputs.project import read_project

    project = read_project(project_dir)
    mirrors = mirror_map(channels_dir)
    problems = []
    for name in project.variants:
        spec = compose(project, name)
        sources = resolve(spec.channels, mirrors, project_dir)
        for platform in spec.platforms:
            vps = []
            for vp, value in spec.virtual_packages_for(platform).items():
                version, _, build = value.partition("=")
                vps.append((vp, version, build or "0"))
            problems.append(
                Problem(
                    variant=name,
                    platform=platform,
                    specs=spec.specs,
                    channels=tuple(s.fetch for s in sources),
                    channel_names=spec.channels,
                    virtual_packages=tuple(vps),
                )
            )
    return sorted(problems, key=lambda p: (p.variant, p.platform))


def mirror_map(channels_dir: Path) -> dict[str, str]:
    return {name: str((channels_dir / name).resolve()) for name in CHANNEL_NAMES}


def check_channels_dir(channels_dir: Path) -> None:
    missing = [
        f"{name}/{subdir}/repodata.json"
        for name in CHANNEL_NAMES
        for subdir in SUBDIRS
        if not (channels_dir / name / subdir / "repodata.json").is_file()
    ]
    if missing:
        print(
            f"error: {channels_dir}: not a channels folder, missing {', '.join(missing)}; "
            "give a folder holding conda-forge/ and rapidsai/ (e.g. tests/data/channels)",
            file=sys.stderr,
        )
        sys.exit(2)


def count_records(channels_dir: Path) -> int:
    total = 0
    for name in CHANNEL_NAMES:
        for subdir in SUBDIRS:
            data = json.loads((channels_dir / name / subdir / "repodata.json").read_bytes())
            total += len(data.get("packages", {})) + len(data.get("packages.conda", {}))
    return total


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> Run:
    """Wall time and this child's own peak RSS (wait4 gives per-child rusage, unlike RUSAGE_CHILDREN)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)} exited {proc.returncode}\n{stdout}{stderr}")
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stdout, stderr)


def envsplit_command() -> list[str]:
    script = Path(sys.executable).parent / "envsplit"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from envsplit.cli import main; main()"]


def copy_project(dest: Path) -> Path:
    dest.mkdir()
    for name in PROJECT_FILES:
        shutil.copy(REPO / name, dest / name)
    shutil.copytree(REPO / "overlays", dest / "overlays")
    return dest


def strip_pip(project: Path) -> Path:
    """The project with every pip entry left out: the difference in lock time is the pip step's share."""
    from ruamel.yaml import YAML

    yaml = YAML()
    env = yaml.load(project / "environment.yml")
    env["dependencies"] = [d for d in env["dependencies"] if not isinstance(d, dict)]
    yaml.dump(env, project / "environment.yml")
    for overlay in (project / "overlays").glob("*.yml"):
        data = yaml.load(overlay)
        if data and data.pop("pip", None) is not None:
            yaml.dump(data, overlay)
    return project


def expect_summary(run: Run, solved: int, unchanged: int, what: str) -> None:
    want = f"{solved} solved, {unchanged} unchanged, 0 failed"
    if want not in run.stdout:
        sys.exit(f"error: {what}: expected '{want}', got:\n{run.stdout}{run.stderr}")


def explicit_files(lock: Path) -> list[str]:
    lines = lock.read_text().splitlines()
    body = lines[lines.index("@EXPLICIT") + 1 :]
    return sorted(
        "/".join(ln.split("#")[0].rsplit("/", 2)[1:]) for ln in body if ln and not ln.startswith("#")
    )


def measure(channels_dir: Path, problems: list[Problem], repeat: int, warmup: int) -> Measurements:
    m = Measurements()
    mirrors = [
        arg for name, folder in mirror_map(channels_dir).items() for arg in ("--mirror", f"{name}={folder}")
    ]
    # The pip entries are resolved against the bundled PyPI snapshot: no benchmark reaches the network.
    mirrors += ["--pypi-index", str(REPO / "tests" / "data" / "pypi" / "simple")]
    envsplit = envsplit_command()
    with tempfile.TemporaryDirectory(prefix="envsplit-bench-") as tmp_name:
        tmp = Path(tmp_name)
        problems_path = tmp / "problems.json"
        problems_path.write_text(json.dumps([p.to_json() for p in problems]))
        for i in range(warmup + repeat):
            keep = i >= warmup
            run_dir = tmp / f"run{i}"
            run_dir.mkdir()
            project = copy_project(run_dir / "project")
            env = {k: v for k, v in os.environ.items() if not k.startswith("ENVSPLIT_")}
            env["ENVSPLIT_CACHE_DIR"] = str(run_dir / "cache-bare")
            bare = timed(
                [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--bare-worker",
                    str(problems_path),
                    str(run_dir / "cache-bare"),
                ],
                run_dir,
                env,
            )
            results = []
            for kind, args, counts in (
                ("lock", ["lock", "--force"], (len(problems), 0)),
                ("relock", ["lock", "--force"], (len(problems), 0)),
                ("noop", ["lock"], (0, len(problems))),
            ):
                env["ENVSPLIT_CACHE_DIR"] = str(run_dir / f"cache-{kind}")
                run = timed([*envsplit, "-C", str(project), *args, *mirrors], run_dir, env)
                expect_summary(run, *counts, what=f"envsplit {' '.join(args)} ({kind})")
                results.append(run)
            bare_project = strip_pip(copy_project(run_dir / "project-without-pip"))
            env["ENVSPLIT_CACHE_DIR"] = str(run_dir / "cache-without-pip")
            without_pip = timed([*envsplit, "-C", str(bare_project), "lock", *mirrors], run_dir, env)
            expect_summary(without_pip, len(problems), 0, "envsplit lock (pip entries left out)")
            if keep:
                m.lock_without_pip.append(without_pip)
                m.bare.append(bare)
                m.lock.append(results[0])
                m.relock.append(results[1])
                m.noop.append(results[2])
                m.bare_pairs.append(json.loads(bare.stdout))
                m.locked_files = {
                    (p.variant, p.platform): explicit_files(
                        project / "locks" / p.variant / f"conda-{p.platform}.lock"
                    )
                    for p in problems
                }
            shutil.rmtree(run_dir)
    return m


def median(runs: list[Run]) -> float:
    return statistics.median(r.seconds for r in runs)


def median_cpu(runs: list[Run]) -> float:
    return statistics.median(r.cpu_seconds for r in runs)


def peak(runs: list[Run]) -> float:
    return max(r.peak_mib for r in runs)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(
    channels_dir: Path, problems: list[Problem], records: int, m: Measurements, label: str
) -> tuple[list[str], bool]:
    lines = [f"## {label}: {channels_dir} ({records} records)", ""]
    lines.append(f"{'pair':<28} {'bare solve s':>12} {'bare pkgs':>9} {'lock pkgs':>9} {'differ':>6}")
    total = 0.0
    for p in problems:
        runs = [
            r
            for per_repeat in m.bare_pairs
            for r in per_repeat
            if (r["variant"], r["platform"]) == (p.variant, p.platform)
        ]
        seconds = statistics.median(r["seconds"] for r in runs)
        total += seconds
        files = runs[-1]["files"]
        locked = m.locked_files[(p.variant, p.platform)]
        differ = len(set(files) ^ set(locked))
        lines.append(
            f"{p.variant + '/' + p.platform:<28} {seconds:>12.3f} {len(files):>9} {len(locked):>9} {differ:>6}"
        )
    lines.append(f"{'sum of the medians':<28} {total:>12.3f}")
    lines.append("")
    bare, lock, relock, noop = median(m.bare), median(m.lock), median(m.relock), median(m.noop)
    lock_peak = max(peak(m.lock), peak(m.relock), peak(m.noop))
    ratio, reratio = lock / bare, relock / bare
    checks = {
        f"lock <= {MAX_LOCK_RATIO}x bare": ratio <= MAX_LOCK_RATIO,
        f"relock <= {MAX_RELOCK_RATIO}x bare": reratio <= MAX_RELOCK_RATIO,
        f"no-op <= {MAX_NOOP_S} s": noop <= MAX_NOOP_S,
        f"peak <= {MAX_PEAK_MIB:.0f} MiB": lock_peak <= MAX_PEAK_MIB,
    }
    head = ("bare s", "lock s", "ratio", "relock s", "ratio", "no-op s", "peak MiB", "bare MiB")
    lines.append(" ".join(f"{h:>9}" for h in head))
    row = (bare, lock, ratio, relock, reratio, noop)
    lines.append(" ".join(f"{v:>9.2f}" for v in row) + f" {lock_peak:>9.0f} {peak(m.bare):>9.0f}")
    cpu = [median_cpu(runs) for runs in (m.bare, m.lock, m.relock, m.noop)]
    lines.append(
        f"cpu s (user+sys, median; not judged): bare {cpu[0]:.2f}, lock {cpu[1]:.2f} ({cpu[1] / cpu[0]:.2f}x), "
        f"relock {cpu[2]:.2f} ({cpu[2] / cpu[0]:.2f}x), no-op {cpu[3]:.2f}"
    )
    pip_share = lock - median(m.lock_without_pip)
    lines.append(
        f"pip step (first lock minus the same lock without pip entries; not judged): {pip_share:.2f} s, "
        f"{pip_share / lock:.0%} of the first lock"
    )
    lines.append("")
    lines += [f"{verdict(ok)}  {name}" for name, ok in checks.items()]
    lines.append("")
    return lines, all(checks.values())


# ---------------------------------------------------------------- the 16-variant project


def write_matrix_project(dest: Path) -> Path:
    """8 bases (the cpu variant plus 3 packages of the spatial overlay each) with one extension each (2 more)."""
    import yaml

    dest.mkdir()
    shutil.copy(REPO / "environment.yml", dest / "environment.yml")
    (dest / "overlays").mkdir()
    shutil.copy(REPO / "overlays" / "cpu.yml", dest / "overlays" / "cpu.yml")
    spatial = yaml.safe_load((REPO / "overlays" / "spatial.yml").read_text())["add"]
    variants = []
    for i in range(MATRIX_BASES):
        base, ext = spatial[3 * i : 3 * i + 3], spatial[3 * MATRIX_BASES + 2 * i :][:2]
        (dest / "overlays" / f"b{i}.yml").write_text(yaml.safe_dump({"add": base}))
        (dest / "overlays" / f"e{i}.yml").write_text(yaml.safe_dump({"add": ext}))
        variants.append(f"  v{i}: {{overlays: [cpu, b{i}]}}")
        variants.append(f"  v{i}-ext: {{base: v{i}, overlays: [e{i}]}}")
    (dest / "envsplit.yml").write_text(
        "version: 1\nplatforms: [linux-64, linux-aarch64]\nvariants:\n"
        + "\n".join(variants)
        + "\ndocker:\n  repository: example.org/matrix\n  image: mambaorg/micromamba:2.3.3\n"
    )
    return strip_pip(dest)  # compared with bare conda solves: the pip step is measured on the rocker project


@dataclass
class MatrixMeasurements:
    bare: list[Run] = field(default_factory=list)
    lock: list[Run] = field(default_factory=list)
    opens: dict[str, int] = field(default_factory=dict)  # repodata.json -> times the lock opened it


def repodata_opens(
    cmd: list[str], cwd: Path, env: dict[str, str], channels_dir: Path, channels: list[str]
) -> dict[str, int]:
    """How often each repodata.json of ``channels_dir`` is opened by ``cmd`` and its threads (strace)."""
    import re

    with tempfile.NamedTemporaryFile(suffix=".strace") as trace:
        subprocess.run(
            ["strace", "-f", "-qq", "-e", "trace=open,openat", "-o", trace.name, *cmd],
            cwd=cwd,
            env=env,
            check=True,
            capture_output=True,
        )
        text = Path(trace.name).read_text(errors="replace")
    root = str(channels_dir.resolve())
    opened = re.findall(r'open(?:at)?\([^"]*"([^"]+/repodata\.json)"', text)
    counts = {f"{n}/{s}": 0 for n in channels for s in SUBDIRS}
    for path in opened:
        rel = os.path.relpath(os.path.realpath(path), root)
        if rel in {f"{k}/repodata.json" for k in counts}:
            counts[rel.removesuffix("/repodata.json")] += 1
    return counts


def measure_matrix(
    channels_dir: Path, problems: list[Problem], repeat: int, warmup: int
) -> MatrixMeasurements:
    m = MatrixMeasurements()
    used = {name for p in problems for name in p.channel_names}  # the cpu variants: conda-forge only
    mirrors = [
        arg
        for name, folder in mirror_map(channels_dir).items()
        if name in used
        for arg in ("--mirror", f"{name}={folder}")
    ]
    envsplit = envsplit_command()
    with tempfile.TemporaryDirectory(prefix="envsplit-bench-matrix-") as tmp_name:
        tmp = Path(tmp_name)
        problems_path = tmp / "problems.json"
        problems_path.write_text(json.dumps([p.to_json() for p in problems]))
        for i in range(warmup + repeat + 1):
            run_dir = tmp / f"run{i}"
            run_dir.mkdir()
            project = write_matrix_project(run_dir / "project")
            env = {k: v for k, v in os.environ.items() if not k.startswith("ENVSPLIT_")}
            env["ENVSPLIT_CACHE_DIR"] = str(run_dir / "cache")
            cmd = [*envsplit, "-C", str(project), "lock", *mirrors]
            if i == warmup + repeat:  # one more, untimed, traced
                m.opens = repodata_opens(cmd, run_dir, env, channels_dir, sorted(used))
                shutil.rmtree(run_dir)
                break
            bare_cmd = [sys.executable, str(Path(__file__).resolve()), "--bare-worker", str(problems_path)]
            bare = timed([*bare_cmd, str(run_dir / "cache-bare")], run_dir, env)
            run = timed(cmd, run_dir, env)
            expect_summary(run, len(problems), 0, what="envsplit lock (16 variants)")
            if i >= warmup:
                m.bare.append(bare)
                m.lock.append(run)
            shutil.rmtree(run_dir)
    return m


def report_matrix(problems: list[Problem], m: MatrixMeasurements) -> tuple[list[str], bool]:
    variants = len({p.variant for p in problems})
    lines = [f"### {variants} variants ({MATRIX_BASES} bases + 1 extension each) x 2 platforms", ""]
    bare, lock = median(m.bare), median(m.lock)
    lock_peak = peak(m.lock)
    opened = sorted(set(m.opens.values()))
    checks = {
        f"16-variant lock <= {MAX_MATRIX_RATIO}x bare": lock / bare <= MAX_MATRIX_RATIO,
        "16-variant lock reads each repodata.json once": opened == [1],
        f"16-variant peak <= {MAX_PEAK_MIB:.0f} MiB": lock_peak <= MAX_PEAK_MIB,
    }
    head = ("pairs", "bare s", "lock s", "ratio", "peak MiB", "bare MiB", "opens")
    lines.append(" ".join(f"{h:>9}" for h in head))
    lines.append(
        f"{len(problems):>9} {bare:>9.2f} {lock:>9.2f} {lock / bare:>9.2f} {lock_peak:>9.0f} "
        f"{peak(m.bare):>9.0f} {'/'.join(str(n) for n in opened):>9}"
    )
    cpu = [median_cpu(runs) for runs in (m.bare, m.lock)]
    lines.append(f"cpu s (user+sys, median; not judged): bare {cpu[0]:.2f}, lock {cpu[1]:.2f}")
    lines.append("repodata.json opened by the lock: " + ", ".join(f"{k} {n}" for k, n in m.opens.items()))
    lines.append("")
    lines += [f"{verdict(ok)}  {name}" for name, ok in checks.items()]
    lines.append("")
    return lines, all(checks.values())


def describe_problems(problems: list[Problem]) -> list[str]:
    lines = ["## problems (from envsplit.compose; identical for every channels folder)", ""]
    for p in problems:
        vps = " ".join(f"{n}={v}={b}" for n, v, b in p.virtual_packages)
        lines.append(
            f"{p.variant + '/' + p.platform:<28} {len(p.specs):>3} specs  "
            f"channels: {', '.join(p.channel_names)}  vps: {vps}"
        )
    lines.append("")
    return lines


def machine() -> str:
    import platform
    from importlib.metadata import version

    from envsplit import __version__

    return (
        f"envsplit {__version__}, py-rattler {version('py-rattler')}, python {platform.python_version()}, "
        f"{os.cpu_count()} cores"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "channels", nargs="*", type=Path, help="channels folder(s) (default: tests/data/channels)"
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed repeats per folder (median; default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first, to warm the page cache")
    parser.add_argument("--no-matrix", action="store_true", help="skip the 16-variant project")
    parser.add_argument("--bare-worker", nargs=2, metavar=("PROBLEMS", "CACHE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bare_worker:
        bare_worker(Path(args.bare_worker[0]), Path(args.bare_worker[1]))
    if args.repeat < 1 or args.warmup < 0:
        parser.error("--repeat must be >= 1 and --warmup >= 0")
    folders = args.channels or [DEFAULT_CHANNELS]
    for folder in folders:
        check_channels_dir(folder)
    shown = " ".join(str(f) for f in folders)
    out = [
        "# envsplit lock matrix benchmark; regenerate with: "
        f"python bench/lock_matrix.py {shown} --repeat {args.repeat} --warmup {args.warmup}",
        f"# {machine()}; wall s = median of {args.repeat}; peak = max RSS of one process",
        "",
    ]
    with tempfile.TemporaryDirectory(prefix="envsplit-bench-problems-") as tmp:
        first = None
        verdicts = []
        sections = []
        for i, folder in enumerate(folders):
            problems = build_problems(copy_project(Path(tmp) / f"p{i}"), folder)
            first = first or problems
            m = measure(folder, problems, args.repeat, args.warmup)
            lines, ok = report(folder, problems, count_records(folder), m, f"channels {i + 1}")
            sections += lines
            verdicts.append(ok)
            if not args.no_matrix:
                matrix = build_problems(write_matrix_project(Path(tmp) / f"m{i}"), folder)
                lines, ok = report_matrix(matrix, measure_matrix(folder, matrix, args.repeat, args.warmup))
                sections += lines
                verdicts.append(ok)
        assert first is not None
        out += describe_problems(first) + sections
    out.append(f"overall: {verdict(all(verdicts))}")
    print("\n".join(out))
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
