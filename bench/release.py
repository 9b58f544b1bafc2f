#!/usr/bin/env python3
"""Size and start-up time of the released binary.

    bench/release.py                 # builds the release with tools/release/build.sh first
    bench/release.py --release DIR   # measures the artefacts already in DIR
    bench/release.py --runs 200

Prints the sizes of the binary, its archive and the image's layer, then the wall time of
`plimsoll --version` and of `plimsoll check FILE --format json` for one file of the
production example (examples/production/api.yaml, and the naive one, which has findings),
run `--runs` times each after 5 warm-up runs: median, p90 and minimum. Each run is a new
process, so the figure includes loading the binary, building the rule registry and
writing the report: what a pre-commit hook or an editor pays per file.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def version():
    for line in open(os.path.join(ROOT, "Cargo.toml")):
        if line.startswith("version = "):
            return line.split('"')[1]
    sys.exit("no version in Cargo.toml")


def timed(cmd, runs):
    for _ in range(5):
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        times.append((time.perf_counter() - start) * 1000)
        if done.returncode not in (0, 1):
            sys.exit(f"{' '.join(cmd)} exited {done.returncode}")
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1], times[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--release", help="a directory written by tools/release/build.sh")
    ap.add_argument("--runs", type=int, default=100)
    args = ap.parse_args()

    release = args.release
    tmp = None
    if release is None:
        tmp = tempfile.TemporaryDirectory()
        release = tmp.name
        subprocess.run([os.path.join(ROOT, "tools/release/build.sh"), release], check=True)
    name = f"plimsoll-{version()}-x86_64-unknown-linux-musl"
    archive = os.path.join(release, f"{name}.tar.gz")
    unpacked = tempfile.TemporaryDirectory()
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked.name, filter="data")
    binary = os.path.join(unpacked.name, name, "plimsoll")
    layer = max(
        (os.path.join(release, "image/blobs/sha256", b) for b in os.listdir(os.path.join(release, "image/blobs/sha256"))),
        key=os.path.getsize,
    )
    mb = 1024 * 1024
    print(subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip())
    print(f"binary            {os.path.getsize(binary) / mb:6.1f} MB")
    print(f"archive (.tar.gz) {os.path.getsize(archive) / mb:6.1f} MB")
    print(f"image layer (gz)  {os.path.getsize(layer) / mb:6.1f} MB")
    print(f"{'command':58} {'median':>8} {'p90':>8} {'min':>8}  ({args.runs} runs)")
    for label, cmd in [
        ("plimsoll --version", [binary, "--version"]),
        (
            "plimsoll check examples/production/api.yaml --format json",
            [binary, "check", "examples/production/api.yaml", "--format", "json", "--no-progress"],
        ),
        (
            "plimsoll check examples/naive/api.yaml --format json",
            [binary, "check", "examples/naive/api.yaml", "--format", "json", "--no-progress"],
        ),
    ]:
        median, p90, low = timed(cmd, args.runs)
        print(f"{label:58} {median:7.1f}ms {p90:7.1f}ms {low:7.1f}ms")


if __name__ == "__main__":
    main()
