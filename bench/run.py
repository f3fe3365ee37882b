"""Static-scan benchmark (not a test): pixelmigrate against semgrep and the raw read, in one
run on the same generated tree.

    python3 bench/run.py [--pages 400] [--bundles 20] [--scale 1] [--repeat 3] [--skip-semgrep] [--keep]
    ./dev bench [same options]

It generates the site (bench/gen_site.py) in a temporary directory, then measures, each in
a fresh process:
- read:          os.walk + read every file once (the floor no scanner can beat);
- pixelmigrate:  `pixelmigrate scan` as a user runs it (its start-up and process pool count);
- semgrep:       bench/semgrep_rules.yaml, the rules a user without pixelmigrate would write
                 for the same vendors, installed by this script into a throwaway virtualenv
                 (~/.cache/pixelmigrate-bench/semgrep-venv) and run offline. It reads the same
                 files: an empty .semgrepignore replaces its built-in one (which skips *.min.js
                 and vendor/) and --max-target-bytes 0 lifts its default 1 MB file limit.
Then pixelmigrate again on the site at twice the size, to show its memory stays flat.

Figures: wall seconds (and CPU seconds of the tool's whole process tree, the steadier figure
on a shared machine), MB/s of the tree, and peak memory two ways: the process tree's summed
proportional set size (PSS, sampled every 50 ms: the pool's workers count together, pages
they share once) and the largest single process's peak RSS (getrusage, exact). Each tool
runs under a tiny wrapper process so that no figure includes this script's own memory.
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
import threading
import time
import venv
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
SEMGREP_VENV = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pixelmigrate-bench" / "semgrep-venv"
SAMPLE_S = 0.05
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
# Offline: without this even `semgrep --version` waits a minute and more for its version check.
SEMGREP_ENV = {**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}

# Runs argv[3:] with its stderr in argv[2], then writes what it cost to argv[1]: its
# children's peak RSS is the tool's own, whatever this script's memory.
WRAPPER = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
with open(sys.argv[2], "wb") as errors:
    code = subprocess.run(sys.argv[3:], stdout=subprocess.DEVNULL, stderr=errors).returncode
wall = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as out:
    json.dump({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "maxrss_kib": usage.ru_maxrss, "code": code}, out)
"""

READ_ALL = """
import os, sys
total = 0
for folder, _, names in os.walk(sys.argv[1]):
    for name in names:
        with open(os.path.join(folder, name), "rb") as handle:
            total += len(handle.read())
print(total)
"""


@dataclass
class Run:
    wall: float
    cpu: float
    peak_pss_mb: float
    max_rss_mb: float


# --- measuring one command ---------------------------------------------------------------

def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.extend(int(child) for child in handle.read().split())
    except OSError:  # gone, or a kernel without the children file
        pass
    return found


def _memory_kib(pid: int) -> int:
    """Proportional set size (shared pages split between their users), else RSS."""
    for path, field in ((f"/proc/{pid}/smaps_rollup", b"Pss:"), (f"/proc/{pid}/status", b"VmRSS:")):
        try:
            with open(path, "rb") as handle:
                for line in handle:
                    if line.startswith(field):
                        return int(line.split()[1])
        except OSError:
            continue
    return 0


def _cpu_s(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(b")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def _sample_tree(root: int, cpu: dict[int, float]) -> int:
    """Summed memory of root's descendants (not root: it is the wrapper); records each one's
    CPU seconds so far in cpu."""
    total, stack = 0, _children(root)
    while stack:
        pid = stack.pop()
        total += _memory_kib(pid)
        cpu[pid] = max(cpu.get(pid, 0.0), _cpu_s(pid))
        stack.extend(_children(pid))
    return total


def measure(argv: list[str], cwd: Path | None = None, env: dict | None = None) -> Run:
    """Run argv under the wrapper and return what it cost."""
    with tempfile.TemporaryDirectory(prefix="pm-bench-") as scratch:
        report = Path(scratch) / "report.json"
        errors = Path(scratch) / "stderr"
        wrapper = subprocess.Popen([sys.executable, "-c", WRAPPER, str(report), str(errors), *argv], cwd=cwd, env=env)
        peak = 0
        cpu: dict[int, float] = {}
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak
            if not os.path.isdir(f"/proc/{wrapper.pid}/task"):
                return  # not Linux: the getrusage figures only
            while not stop.is_set():
                peak = max(peak, _sample_tree(wrapper.pid, cpu))
                stop.wait(SAMPLE_S)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        wrapper.wait()
        stop.set()
        sampler.join()
        figures = json.loads(report.read_text())
        if figures["code"] != 0:
            stderr = errors.read_text(errors="replace") if errors.exists() else ""
            raise SystemExit(f"{argv[0]} failed (exit {figures['code']}):\n{stderr[-2000:]}")
    # getrusage misses descendants nobody waited for (Chromium's renderers when the browser is
    # killed); sampling misses a process's last 50 ms. The larger is the nearer.
    return Run(figures["wall"], max(figures["cpu"], sum(cpu.values())), peak / 1024, figures["maxrss_kib"] / 1024)


# --- the tools -------------------------------------------------------------------------------

def pixelmigrate_argv() -> tuple[list[str], dict]:
    """The installed console script when this Python has one (./dev bench), else the checkout."""
    script = Path(sys.executable).parent / "pixelmigrate"
    if script.exists():
        return [str(script)], dict(os.environ)
    return [sys.executable, "-m", "scanner.cli"], {**os.environ, "PYTHONPATH": str(ROOT)}


def semgrep_binary() -> Path | None:
    """semgrep in the throwaway virtualenv, installed there on first use; None if impossible."""
    binary = SEMGREP_VENV / "bin" / "semgrep"
    if binary.exists():
        return binary
    print(f"installing semgrep into {SEMGREP_VENV} (once) ...", flush=True)
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(SEMGREP_VENV)
        subprocess.run([str(SEMGREP_VENV / "bin" / "python"), "-m", "pip", "install", "-q",
                        "--disable-pip-version-check", "semgrep"], check=True, capture_output=True, timeout=900)
    except (OSError, subprocess.SubprocessError) as exc:
        detail = exc.stderr.decode(errors="replace").strip().splitlines()[-1:] if isinstance(
            exc, subprocess.CalledProcessError) and exc.stderr else [str(exc)]
        print(f"semgrep: cannot be installed ({(detail or ['unknown error'])[0]}); continuing without it")
        return None
    return binary if binary.exists() else None


def semgrep_argv(binary: Path, output: Path) -> list[str]:
    return [str(binary), "scan", "--metrics=off", "--disable-version-check",
            "--config", str(BENCH / "semgrep_rules.yaml"),
            "--no-git-ignore", "--jobs", "2", "--max-target-bytes", "0", "--json", "-o", str(output), "."]


def generate(out: Path, pages: int, bundles: int, scale: float) -> int:
    """The site, generated in its own process (this one stays small); its size in bytes."""
    started = time.perf_counter()
    subprocess.run([sys.executable, str(BENCH / "gen_site.py"), "--out", str(out), "--pages", str(pages),
                    "--bundles", str(bundles), "--scale", str(scale)], check=True, stdout=subprocess.DEVNULL)
    # Semgrep's built-in ignore list (used when a tree has no .semgrepignore) skips *.min.js.
    (out / ".semgrepignore").write_text("")
    sizes = [f.stat().st_size for f in out.rglob("*") if f.is_file()]
    size, files = sum(sizes), len(sizes)
    print(f"generated {out}: {files} files, {size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s", flush=True)
    return size


# --- reporting -------------------------------------------------------------------------------

def _median(runs: list[Run]) -> Run:
    """Median times; the highest memory any run reached."""
    return Run(statistics.median(r.wall for r in runs), statistics.median(r.cpu for r in runs),
               max(r.peak_pss_mb for r in runs), max(r.max_rss_mb for r in runs))


def _table(rows: list[tuple[str, list[Run]]], size: int, reference: str) -> str:
    ref = _median(dict(rows)[reference]).wall
    head = f"{'tool':<28} {'runs':>4} {'wall s':>8} {'(min-max)':>15} {'CPU s':>7} {'MB/s':>8} {'peak MB':>8} " \
           f"{'max proc MB':>11} {'x pixelmigrate':>14}"
    lines = [head, "-" * len(head)]
    for name, runs in rows:
        m = _median(runs)
        spread = f"({min(r.wall for r in runs):.2f}-{max(r.wall for r in runs):.2f})" if len(runs) > 1 else ""
        lines.append(f"{name:<28} {len(runs):>4} {m.wall:>8.2f} {spread:>15} {m.cpu:>7.1f} {size / 1e6 / m.wall:>8.1f} "
                     f"{m.peak_pss_mb:>8.0f} {m.max_rss_mb:>11.0f} {m.wall / ref:>14.2f}")
    return "\n".join(lines)


def pixelmigrate_counts(inventory: Path) -> str:
    data = json.loads(inventory.read_text())
    events = data["events"]
    triggers: dict[str, int] = {}
    for event in events:
        kind = event["trigger"]["kind"]
        triggers[kind] = triggers.get(kind, 0) + 1
    vendors = sorted({p["vendor"] for p in data["pixels"]})
    accounts = sum(1 for p in data["pixels"] if p["account_id"])
    located = sum(len(e["locations"]) for e in events)
    params = sum(1 for e in events if e["params"])
    return (f"pixelmigrate: {len(data['pixels'])} pixels of {len(vendors)} vendors ({accounts} with their account id), "
            f"{len(events)} distinct events at {located} source locations ({params} with parameters; triggers "
            + ", ".join(f"{k} {n}" for k, n in sorted(triggers.items(), key=lambda kv: -kv[1]))
            + f"), {len(data['cookies'])} cookies, {data['stats']['files_scanned']} files read")


def semgrep_counts(output: Path) -> str:
    data = json.loads(output.read_text())
    by_rule: dict[str, int] = {}
    for result in data["results"]:
        rule = result["check_id"].rsplit(".", 1)[-1]
        by_rule[rule] = by_rule.get(rule, 0) + 1
    timeouts = sum(1 for e in data["errors"] if "Timeout" in e.get("message", "") or e.get("type") == "Timeout")
    return (f"semgrep: {len(data['results'])} matches (a rule id and a line each; no account, event name, parameter "
            f"or trigger), {len(data['paths']['scanned'])} files scanned, {len(data['errors'])} errors "
            f"({timeouts} rule timeouts: those rules gave up on those files)\n  matches by rule: "
            + ", ".join(f"{r} {n}" for r, n in sorted(by_rule.items(), key=lambda kv: -kv[1])))


# --- main ------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=400)
    parser.add_argument("--bundles", type=int, default=20)
    parser.add_argument("--scale", type=float, default=1.0, help="site size factor (1 = ~60 MB)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the read and of pixelmigrate (median shown)")
    parser.add_argument("--semgrep-repeat", type=int, default=1, help="runs of semgrep (minutes each)")
    parser.add_argument("--jobs", type=int, default=None, help="pixelmigrate --jobs (default: all cores)")
    parser.add_argument("--skip-semgrep", action="store_true")
    parser.add_argument("--skip-double", action="store_true", help="do not scan the 2x site")
    parser.add_argument("--keep", action="store_true", help="keep the generated trees and outputs")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="pm-bench-site-"))
    try:
        print(f"machine: {os.cpu_count()} cores, load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}; "
              f"python {sys.version.split()[0]}", flush=True)
        site = work / "site"
        size = generate(site, args.pages, args.bundles, args.scale)
        binary = None if args.skip_semgrep else semgrep_binary()
        pm, pm_env = pixelmigrate_argv()
        jobs = ["--jobs", str(args.jobs)] if args.jobs else []
        inventory = work / "inventory.json"
        semgrep_out = work / "semgrep.json"
        rows: list[tuple[str, list[Run]]] = [("read all bytes (floor)", []), ("pixelmigrate scan", [])]
        if binary is not None:
            rows.append(("semgrep (same files)", []))
            version = subprocess.run([str(binary), "--version"], capture_output=True, text=True, env=SEMGREP_ENV)
            print(f"semgrep {version.stdout.strip()}, rules {BENCH / 'semgrep_rules.yaml'}", flush=True)
        runs = dict(rows)
        # Interleaved, so a burst of other load on the machine spreads over every tool.
        for i in range(max(args.repeat, args.semgrep_repeat if binary else 0)):
            if i < args.repeat:
                runs["read all bytes (floor)"].append(measure([sys.executable, "-c", READ_ALL, str(site)]))
                run = measure([*pm, "scan", str(site), "-o", str(inventory), *jobs], env=pm_env)
                runs["pixelmigrate scan"].append(run)
                print(f"  pixelmigrate run {i + 1}: {run.wall:.2f} s wall, {run.cpu:.1f} s CPU, "
                      f"{run.peak_pss_mb:.0f} MB peak", flush=True)
            if binary is not None and i < args.semgrep_repeat:
                run = measure(semgrep_argv(binary, semgrep_out), cwd=site, env=SEMGREP_ENV)
                runs["semgrep (same files)"].append(run)
                print(f"  semgrep run {i + 1}: {run.wall:.1f} s wall, {run.cpu:.1f} s CPU, "
                      f"{run.peak_pss_mb:.0f} MB peak",
                      flush=True)
        print()
        print(f"site: {args.pages} pages x {args.scale:g}, {args.bundles} bundles x {args.scale:g}, "
              f"{size / 1e6:.1f} MB")
        print(_table(rows, size, "pixelmigrate scan"))
        print()
        print(pixelmigrate_counts(inventory))
        if binary is not None:
            print(semgrep_counts(semgrep_out))

        pm_run = _median(runs["pixelmigrate scan"])
        floor = _median(runs["read all bytes (floor)"])
        verdicts = [f"pixelmigrate / read: {pm_run.wall / floor.wall:.0f}x (target: at most 50x)",
                    f"peak memory {pm_run.peak_pss_mb:.0f} MB (target: under 500 MB)"]
        if binary is not None:
            semgrep_run = _median(runs["semgrep (same files)"])
            verdicts.insert(0, f"semgrep / pixelmigrate: {semgrep_run.wall / pm_run.wall:.1f}x wall, "
                               f"{semgrep_run.cpu / pm_run.cpu:.1f}x CPU (target: at least 10x)")

        if not args.skip_double:
            double = work / "site-2x"
            double_size = generate(double, args.pages, args.bundles, args.scale * 2)
            double_runs = []
            for _ in range(args.repeat):
                double_runs.append(measure([*pm, "scan", str(double), "-o", str(work / "inventory-2x.json"), *jobs],
                                           env=pm_env))
            d = _median(double_runs)
            print()
            print(f"{'site':<10} {'MB':>7} {'wall s':>8} {'MB/s':>7} {'peak MB':>8} {'max proc MB':>11}")
            for label, mb, m in (("1x", size, pm_run), ("2x", double_size, d)):
                print(f"{label:<10} {mb / 1e6:>7.1f} {m.wall:>8.2f} {mb / 1e6 / m.wall:>7.1f} {m.peak_pss_mb:>8.0f} "
                      f"{m.max_rss_mb:>11.0f}")
            verdicts.append(f"memory at 2x size: {d.peak_pss_mb:.0f} MB vs {pm_run.peak_pss_mb:.0f} MB at 1x "
                            f"({d.peak_pss_mb / pm_run.peak_pss_mb:.2f}x)")
        print()
        print("\n".join(verdicts))
        if args.keep:
            print(f"kept {work}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
