#!/usr/bin/env python3
"""The benchmark of `plimsoll capacity` on the snapshot of bench/drain.py.

    bench/capacity.py                          # 5,000 nodes, 150,000 pods, 2,000 pending
    bench/capacity.py --nodes 500 --pods 15000 # a quick look
    bench/capacity.py --no-build --runs 3

It builds `plimsoll` in release mode (in CARGO_TARGET_DIR, else target/) unless
--no-build, writes the snapshot bench/drain.py writes (nodes in pools labelled
`pool=pool-NN`, DaemonSets, Deployments with PDBs, anti-affinity and zone spreading)
plus `--pending` pods bound to no node (one in ten too large for any node) to
target/bench/capacity-snapshot.json, then times `plimsoll capacity --pool-label pool`
(text and JSON): wall time (median of --runs) and peak RSS (the child's ru_maxrss),
printed as Markdown.
"""

import argparse
import os
import platform
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import drain  # noqa: E402


def measure(args):
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stdout = proc.stdout.read()
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{' '.join(args)}: exit {code}: {stderr.decode()}")
    return wall, usage.ru_maxrss / 1024, stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=5000)
    ap.add_argument("--pods", type=int, default=150000)
    ap.add_argument("--pool-size", type=int, default=500)
    ap.add_argument("--pending", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-build", action="store_true")
    a = ap.parse_args()
    os.makedirs(drain.OUT, exist_ok=True)
    if not a.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "plimsoll"], cwd=drain.ROOT, check=True)
    path = os.path.join(drain.OUT, "capacity-snapshot.json")
    t = time.perf_counter()
    pods, deployments = drain.generate(path, a.nodes, a.pods, a.pool_size, a.seed, pending=a.pending)
    size = os.path.getsize(path) / 1e6
    print(f"snapshot: {a.nodes} nodes, {pods} bound pods, {a.pending} pending, {size:.1f} MB "
          f"({time.perf_counter() - t:.1f} s to write)", file=sys.stderr)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}")
    print(f"input: {a.nodes} nodes, {pods} bound pods and {a.pending} pending, {deployments} Deployments, "
          f"{size:.1f} MB JSON\n")
    print("| run | wall (runs) | median | peak RSS | pools | pending placed | fit nowhere |")
    print("|---|---|---|---|---|---|---|")
    import json
    for fmt in ["text", "json"]:
        args = [drain.PLIMSOLL, "capacity", path, "--pool-label", "pool", "--format", fmt]
        results = [measure(args) for _ in range(a.runs)]
        walls = sorted(r[0] for r in results)
        rss = max(r[1] for r in results)
        v = json.loads(measure([drain.PLIMSOLL, "capacity", path, "--pool-label", "pool", "--format", "json"])[2]) \
            if fmt == "text" else json.loads(results[0][2])
        print(f"| capacity --format {fmt} | {', '.join(f'{w:.2f}' for w in walls)} s | "
              f"{walls[len(walls) // 2]:.2f} s | {rss:.0f} MB | {len(v['pools'])} | {v['placed']} | "
              f"{len(v['fitNowhere'])} |")


if __name__ == "__main__":
    main()
