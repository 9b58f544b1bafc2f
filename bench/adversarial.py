#!/usr/bin/env python3
"""Growth of plimsoll on the shared-selector family (`bench/gen_adversarial.py`): every
cross-object relation there has n x n pairs, so any rule or analysis that enumerates the
pairs, reports one finding per pair or lists every related object grows quadratically.

    bench/adversarial.py                       # n = 500, 1000, 2000
    bench/adversarial.py --n 2000 --steps 4    # n = 2000, 4000, 8000, 16000
    bench/adversarial.py --timeout 100 --mem-limit-gb 8

For each n it runs the release binary (built first unless --no-build) on the family:

- `check --select all --format json` (every rule, the JSON report),
- `netpol matrix --format json` (one line per allowed pair: quadratic by nature here),
- `netpol matrix --grouped --format json` (groups of workloads and allowed group pairs),
- `netpol reach --from shop/Deployment/d1 --to shop/Deployment/d<n-1>`,

and records the wall time (median of --runs), the peak RSS (`/usr/bin/time`), the bytes
written to stdout and, for `check`, the number of findings and the largest `related`
list. Between consecutive sizes it prints the growth exponent log2(x(2n)/x(n)) for time,
RSS and report size: 1 is linear, 2 quadratic; over all sizes, the fitted exponent (the
least-squares slope of log x against log n). A run past --timeout seconds or
--mem-limit-gb is stopped and shown as such. Results are printed and written to
`target/bench/adversarial.md`.

The family is one file of 15n + 8 documents: past n = 6,666 it exceeds the default
--max-documents (100,000 per file), and `check` and `netpol` stop with exit 2.
"""

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "target", "bench")
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
PLIMSOLL = os.path.join(TARGET, "release", "plimsoll")


def family(n):
    path = os.path.join(OUT, f"adversarial-{n}.yaml")
    if not os.path.exists(path):
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_adversarial.py"), str(n)], stdout=f, check=True)
        os.replace(tmp, path)
    return path


def run_once(cmd, timeout, mem_limit):
    """(wall s, peak RSS MB, stdout bytes, stdout text or None, status) of one run."""

    def limit():
        if mem_limit:
            resource.setrlimit(resource.RLIMIT_AS, (mem_limit, mem_limit))

    out_path = os.path.join(OUT, "adversarial.out")
    with open(out_path, "wb") as out:
        start = time.perf_counter()
        try:
            p = subprocess.run(
                ["/usr/bin/time", "-f", "%M"] + cmd,
                stdout=out,
                stderr=subprocess.PIPE,
                timeout=timeout,
                preexec_fn=limit,
            )
        except subprocess.TimeoutExpired:
            return time.perf_counter() - start, float("nan"), 0, None, f"killed after {timeout} s"
        wall = time.perf_counter() - start
    err = p.stderr.decode(errors="replace").strip().splitlines()
    try:
        rss = int(err[-1]) / 1024
    except (IndexError, ValueError):
        rss = float("nan")
    status = "ok" if p.returncode in (0, 1) else f"exit {p.returncode}: {' '.join(err[-3:-1])[:120]}"
    size = os.path.getsize(out_path)
    with open(out_path, "rb") as f:
        text = f.read() if size < 2_000_000_000 else None
    return wall, rss, size, text, status


def measure(cmd, runs, timeout, mem_limit):
    walls, rsss = [], []
    for _ in range(runs):
        wall, rss, size, text, status = run_once(cmd, timeout, mem_limit)
        walls.append(wall)
        rsss.append(rss)
        if status != "ok":
            return wall, rss, size, text, status
    return statistics.median(walls), statistics.median(rsss), size, text, "ok"


def exponent(a, b):
    if not (a and b) or any(map(math.isnan, (a, b))) or a <= 0 or b <= 0:
        return float("nan")
    return math.log2(b / a)


def fitted(sizes, rows, k):
    """The least-squares slope of log x against log n over the sizes measured."""
    pts = [(math.log(n), math.log(r[k])) for n, r in zip(sizes, rows) if r and r[k] > 0 and not math.isnan(r[k])]
    if len(pts) < 2:
        return float("nan")
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    den = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / den if den else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=500, help="the smallest size (default 500)")
    ap.add_argument("--steps", type=int, default=3, help="sizes n, 2n, 4n, ... (default 3)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--mem-limit-gb", type=float, default=8)
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--only", choices=["check", "matrix", "grouped", "reach"], action="append")
    args = ap.parse_args()

    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "plimsoll"], cwd=ROOT, check=True)
    os.makedirs(OUT, exist_ok=True)
    mem_limit = int(args.mem_limit_gb * 2**30) if args.mem_limit_gb else 0
    sizes = [args.n * 2**k for k in range(args.steps)]

    lines = []

    def out(s=""):
        print(s, flush=True)
        lines.append(s)

    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    version = subprocess.run([PLIMSOLL, "--version"], stdout=subprocess.PIPE, text=True).stdout.strip()
    out("# plimsoll: the shared-selector family")
    out()
    out(f"machine: {platform.machine()}, {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}")
    out(f"plimsoll: {version}; runs: median of {args.runs}; limits: {args.timeout:.0f} s, {args.mem_limit_gb:g} GB")
    out()
    out("| command | n | objects | input | wall | peak RSS | stdout | findings | max related | status |")
    out("|---|---|---|---|---|---|---|---|---|---|")

    commands = {
        "check": lambda p, n: [PLIMSOLL, "check", p, "--select", "all", "--format", "json", "--fail-on", "never"],
        "matrix": lambda p, n: [PLIMSOLL, "netpol", "matrix", "--format", "json", p],
        "grouped": lambda p, n: [PLIMSOLL, "netpol", "matrix", "--grouped", "--format", "json", p],
        "reach": lambda p, n: [PLIMSOLL, "netpol", "reach", "--from", "shop/Deployment/d1", "--to", f"shop/Deployment/d{n - 1}", p],
    }
    results = {}
    stopped = set()
    for n in sizes:
        path = family(n)
        mb = os.path.getsize(path) / 1e6
        objects = 15 * n + 8
        for name, cmd in commands.items():
            if args.only and name not in args.only:
                continue
            if name in stopped:
                out(f"| {name} | {n:,} | {objects:,} | {mb:.1f} MB | | | | | | not run (a smaller n failed) |")
                continue
            wall, rss, size, text, status = measure(cmd(path, n), args.runs, args.timeout, mem_limit)
            findings = related = ""
            if name == "check" and status == "ok" and text is not None:
                try:
                    v = json.loads(text)
                    findings = f"{len(v['findings']):,}"
                    related = str(max((len(f.get("related", [])) for f in v["findings"]), default=0))
                except (ValueError, KeyError):
                    findings = "unreadable"
            if status != "ok":
                stopped.add(name)
            results[(name, n)] = (wall, rss, size) if status == "ok" else None
            out(
                f"| {name} | {n:,} | {objects:,} | {mb:.1f} MB | {wall:.2f} s | {rss:,.0f} MB | {size / 1e6:.2f} MB | {findings} | {related} | {status} |"
            )
    out()
    out("Growth exponents log2(x(2n) / x(n)) (1 = linear, 2 = quadratic):")
    out()
    out("| command | step | time | peak RSS | stdout |")
    out("|---|---|---|---|---|")
    for name in commands:
        for a, b in zip(sizes, sizes[1:]):
            ra, rb = results.get((name, a)), results.get((name, b))
            if not (ra and rb):
                continue
            e = [exponent(x, y) for x, y in zip(ra, rb)]
            out(f"| {name} | {a:,} -> {b:,} | {e[0]:.2f} | {e[1]:.2f} | {e[2]:.2f} |")
        done = [n for n in sizes if results.get((name, n))]
        fit = [fitted(done, [results[(name, n)] for n in done], k) for k in range(3)]
        if not any(math.isnan(x) for x in fit):
            out(f"| {name} | fitted, {done[0]:,} .. {done[-1]:,} | {fit[0]:.2f} | {fit[1]:.2f} | {fit[2]:.2f} |")
    with open(os.path.join(OUT, "adversarial.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
