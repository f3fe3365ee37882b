"""Throughput and peak memory of `pixelmigrate validate` on generated logs (not a test).

    python3 bench/validate_throughput.py [--records 1000000 10000000] [--dir /tmp/pm-validate-bench]

For each size it generates a clean cutover (a week of client pixels, 8 h of server events;
kept in --dir and reused), then runs the validation in a fresh process that reports its
own wall time and peak resident memory (resource.getrusage), so the figures are the
validation's alone. Flat memory shows as the same peak at every size. CPU seconds are given
beside wall time: on a shared machine they are the steadier figure.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CUTOVER = "2026-03-03T02:00:00Z"


def _measure(client: str, server: str) -> None:
    """Child process: validate once, print what it cost as JSON."""
    sys.path.insert(0, str(ROOT))
    from scanner.catalog import default_catalog
    from scanner.validate.checks import Options, validate
    from scanner.validate.records import CLIENT, SERVER, open_inputs, parse_time

    catalog = default_catalog()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu_started = time.perf_counter(), time.process_time()
    inputs = open_inputs([(client, CLIENT, "auto"), (server, SERVER, "auto")], catalog)
    result = validate(inputs, Options(cutover=parse_time(CUTOVER)), catalog)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    records = sum(item.records for item in result.inputs)
    print(json.dumps({"records": records, "seconds": seconds, "cpu_seconds": cpu_seconds,
                      "rss_before_kib": rss_before,
                      "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "statuses": {check.name: check.status for check in result.checks}}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, nargs="+", default=[1_000_000, 10_000_000],
                        help="client records to generate per run (the server adds a few percent)")
    parser.add_argument("--dir", default="/tmp/pm-validate-bench", help="where generated logs are kept")
    parser.add_argument("--measure", nargs=2, metavar=("CLIENT", "SERVER"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        _measure(*args.measure)
        return 0
    out = Path(args.dir)
    out.mkdir(parents=True, exist_ok=True)
    print(f"{'records':>11} {'MiB':>7} {'generate s':>10} {'validate s':>10} {'CPU s':>7} {'records/s':>10} "
          f"{'per CPU s':>10} {'peak RSS MiB':>12} {'RSS after imports':>17}  checks")
    for target in args.records:
        client, server = out / f"client-{target}.jsonl", out / f"server-{target}.jsonl"
        generated = 0.0
        if not (client.exists() and server.exists()):
            # In its own process too: a child starts with its parent's peak RSS as its own.
            started = time.perf_counter()
            subprocess.run([sys.executable, str(ROOT / "bench/gen_validation_logs.py"), "--client", str(client),
                            "--server", str(server), "--cutover", CUTOVER, "--records", str(target)], check=True)
            generated = time.perf_counter() - started
        proc = subprocess.run([sys.executable, __file__, "--measure", str(client), str(server)],
                              capture_output=True, text=True, check=True)
        figures = json.loads(proc.stdout)
        size = (client.stat().st_size + server.stat().st_size) / 2**20
        statuses = ",".join(f"{name}={status}" for name, status in figures["statuses"].items())
        print(f"{figures['records']:>11,} {size:>7.0f} {generated:>10.1f} {figures['seconds']:>10.1f} "
              f"{figures['cpu_seconds']:>7.1f} {figures['records'] / figures['seconds']:>10,.0f} "
              f"{figures['records'] / figures['cpu_seconds']:>10,.0f} {figures['peak_rss_kib'] / 1024:>12.0f} "
              f"{figures['rss_before_kib'] / 1024:>17.0f}  {statuses}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
