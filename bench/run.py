#!/usr/bin/env python3
"""The end-to-end benchmark: plimsoll beside the peers, on the same generated corpora.

    bench/run.py                    # 1k, 10k, 100k objects (and 50k for the scaling check)
    bench/run.py --sizes 1000 10000 --runs 3
    bench/run.py --corpus charts --sizes 100000 --no-peers --helm PATH   # rendered public charts

For each corpus it reports, as medians over several runs: wall time, objects per second,
MB per second and peak memory (max RSS), for `plimsoll check` with the default rule set
and with `--select all`, then the same corpus through kube-score (every size) and
Checkov (1k and 10k, one run: it is slow), and the ratios. kube-linter is measured when
it is on PATH. Versions are recorded. Results are printed and written to
`target/bench/results.md`.

Peers: `go install github.com/zegl/kube-score/cmd/kube-score@latest`,
`pip install checkov` (run as `checkov --framework kubernetes --skip-download`; set
CHECKOV=/path/to/checkov when it is not on PATH),
`go install golang.stackrox.io/kube-linter/cmd/kube-linter@latest`.
"""

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "target", "bench")
PLIMSOLL = os.path.join(os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"), "release", "plimsoll")


def sh(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def measure(cmd, runs, cwd=None):
    """Median wall time (s) and median peak RSS (MB) of `cmd` over `runs` runs."""
    walls, rss = [], []
    for _ in range(runs):
        start = time.perf_counter()
        p = subprocess.run(
            ["/usr/bin/time", "-f", "%M"] + cmd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
        )
        walls.append(time.perf_counter() - start)
        last = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "0"
        try:
            rss.append(int(last) / 1024)
        except ValueError:
            rss.append(float("nan"))
    return statistics.median(walls), statistics.median(rss)


def corpus(n, seed, kind="synthetic", helm=None):
    """The corpus of `n` objects: `synthetic` from gen_corpus.py, `charts` from
    gen_charts.py (rendered public Helm charts)."""
    if kind == "charts":
        path = os.path.join(OUT, f"charts-{n}")
        marker = os.path.join(path, ".complete")
        if not os.path.exists(marker):
            cmd = [sys.executable, os.path.join(ROOT, "bench", "gen_charts.py"), "--objects", str(n), "--out", path]
            if helm:
                cmd += ["--helm", helm]
            subprocess.run(cmd, check=True)
    else:
        path = os.path.join(OUT, f"corpus-{n}")
        marker = os.path.join(path, ".complete")
        if not os.path.exists(marker):
            sh([sys.executable, os.path.join(ROOT, "bench", "gen_corpus.py"), "--objects", str(n), "--seed", str(seed), "--out", path], check=True)
            open(marker, "w").close()
    files = sorted(
        os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs if f.endswith(".yaml")
    )
    size = sum(os.path.getsize(f) for f in files)
    return path, files, size


def version(cmd):
    if cmd and cmd[0] and os.path.basename(str(cmd[0])) in ("kube-score", "kube-linter"):
        # binaries from `go install` report "development"; the module version is in the build info
        p = sh(["go", "version", "-m", cmd[0]])
        for line in p.stdout.splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "mod":
                return f"{parts[1]} {parts[2]}"
    try:
        p = sh(cmd)
        return (p.stdout or p.stderr).strip().splitlines()[0]
    except (OSError, IndexError):
        return "not installed"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000, 100000])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--corpus", choices=["synthetic", "charts"], default="synthetic",
                    help="synthetic: gen_corpus.py; charts: rendered public Helm charts (gen_charts.py)")
    ap.add_argument("--helm", help="helm binary for --corpus charts (default: helm on PATH)")
    args = ap.parse_args()

    sh(["cargo", "build", "--release", "-q", "-p", "plimsoll"], cwd=ROOT, check=True)
    os.makedirs(OUT, exist_ok=True)
    gobin = os.path.join(os.path.expanduser("~"), "go", "bin")
    env_path = os.environ.get("PATH", "") + os.pathsep + gobin
    os.environ["PATH"] = env_path
    kube_score = shutil.which("kube-score")
    kube_linter = shutil.which("kube-linter")
    # CHECKOV names a checkov outside PATH (e.g. one installed in a virtualenv)
    checkov = os.environ.get("CHECKOV") or shutil.which("checkov")
    if args.no_peers:
        kube_score = kube_linter = checkov = None

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
    out(f"# plimsoll benchmark")
    out()
    out(f"machine: {platform.machine()}, {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}")
    out(f"plimsoll: {version([PLIMSOLL, '--version'])}")
    out(f"kube-score: {version([kube_score, 'version']) if kube_score else 'not installed'}")
    out(f"kube-linter: {version([kube_linter, 'version']) if kube_linter else 'not installed'}")
    out(f"checkov: {version([checkov, '--version']) if checkov else 'not installed'}")
    out()
    out("| corpus | tool | wall (median) | objects/s | MB/s | peak RSS | RSS / input |")
    out("|---|---|---|---|---|---|---|")

    results = {}
    for n in args.sizes:
        path, files, size = corpus(n, args.seed, args.corpus, args.helm)
        mb = size / 1e6
        label = f"{n // 1000}k objects{' (charts)' if args.corpus == 'charts' else ''}, {mb:.1f} MB, {len(files)} files"
        runs = args.runs if n <= 50000 else max(3, args.runs // 2)
        base = [PLIMSOLL, "check", path, "--format", "json", "--output", "/dev/null", "--fail-on", "never"]
        modes = [
            ("plimsoll (parse only: --select API001)", ["--select", "API001"]),
            ("plimsoll (default rules)", []),
            ("plimsoll (--select all)", ["--select", "all"]),
        ]
        for mode, extra in modes:
            wall, rss = measure(base + extra, runs)
            results[(n, mode)] = wall
            out(f"| {label} | {mode} | {wall * 1000:.0f} ms | {n / wall:,.0f} | {mb / wall:.1f} | {rss:.0f} MB | {rss / mb:.1f}x |")
        peers = []
        if kube_score:
            peers.append(("kube-score", [kube_score, "score", "--output-format", "ci"] + files, 1 if n >= 50000 else min(3, runs)))
        if kube_linter:
            peers.append(("kube-linter", [kube_linter, "lint", path], 1 if n >= 50000 else min(3, runs)))
        if checkov and n <= 10000:
            peers.append(("checkov", [checkov, "--framework", "kubernetes", "--skip-download", "--quiet", "--compact", "-o", "json", "-d", path], 1))
        for name, cmd, r in peers:
            wall, rss = measure(cmd, r)
            results[(n, name)] = wall
            ratio = wall / results[(n, "plimsoll (--select all)")]
            out(f"| {label} | {name} | {wall * 1000:.0f} ms | {n / wall:,.0f} | {mb / wall:.1f} | {rss:.0f} MB | {rss / mb:.1f}x | ")
            out(f"| {label} | ratio {name} / plimsoll (all) | {ratio:.1f}x | | | | |")
    out()
    sizes = sorted(n for n in args.sizes)
    for a, b in zip(sizes, sizes[1:]):
        ta, tb = results[(a, "plimsoll (--select all)")], results[(b, "plimsoll (--select all)")]
        out(f"scaling {a // 1000}k -> {b // 1000}k objects ({b / a:.1f}x): time x{tb / ta:.2f}")

    # start-up: one small file
    small = os.path.join(OUT, "small.yaml")
    with open(small, "w") as f:
        f.write("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: default}\ndata: {a: b}\n")
    walls = []
    for _ in range(21):
        t = time.perf_counter()
        subprocess.run([PLIMSOLL, "check", small, "--fail-on", "never"], stdout=subprocess.DEVNULL)
        walls.append(time.perf_counter() - t)
    out(f"start-up: `plimsoll check` on one small file: {statistics.median(walls) * 1000:.1f} ms (median of 21)")
    with open(os.path.join(OUT, "results.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
