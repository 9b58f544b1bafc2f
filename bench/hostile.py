#!/usr/bin/env python3
"""What hostile inputs cost: peak memory and time of `plimsoll check` on each.

    cargo build --release -p plimsoll
    bench/hostile.py                      # every case
    bench/hostile.py --only bomb deep     # some of them
    bench/hostile.py --bin path/to/plimsoll --keep

Each case is written into a temporary directory (deleted afterwards, the 1 GiB file
included), checked with the release binary under `/usr/bin/time -v` with the default
limits (a case may add flags), and judged against the bound the project holds itself
to: peak RSS at most max(3 x input, 1 GiB). The table gives the input size, wall time,
peak RSS, the bound, the exit code and the first error of the report. The exit status
is 1 when a case is over its bound or does not end as it should (exit 2, an input error,
unless the case says otherwise).
"""

import argparse
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GIB = 1 << 30
MIB = 1 << 20

CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}, namespace: shop}}\ndata:\n  mode: fast\n  payload: \"{payload}\"\n"


def write_repeated(path, size, doc_of):
    """Writes documents `doc_of(i)` separated by `---` until `size` bytes."""
    written, i = 0, 0
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        chunk = []
        while written < size:
            d = "---\n" + doc_of(i)
            chunk.append(d)
            written += len(d.encode())
            i += 1
            if len(chunk) >= 4096:
                f.write("".join(chunk))
                chunk = []
        f.write("".join(chunk))


def case_bomb(d):
    """Billion laughs: nine levels of nine aliases (387 million nodes expanded)."""
    y = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i in range(1, 10):
        y += f"  a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]\n"
    p = os.path.join(d, "bomb.yaml")
    open(p, "w").write(y)
    return p, []


def case_deep_flow(d):
    """100,000 levels of `[`, on one line."""
    p = os.path.join(d, "deep-flow.yaml")
    open(p, "w").write("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: " + "[" * 100_000 + "]" * 100_000 + "\n")
    return p, []


def case_deep_block(d):
    """100,000 levels of block sequences (`- - - ... x`)."""
    p = os.path.join(d, "deep-block.yaml")
    open(p, "w").write("- " * 100_000 + "x\n")
    return p, []


def case_huge(d):
    """A 1 GiB file of valid ConfigMaps, over the 256 MiB file limit."""
    p = os.path.join(d, "huge.yaml")
    payload = "x" * 200
    write_repeated(p, GIB, lambda i: CONFIG_MAP.format(i=i, payload=payload))
    return p, []


def case_under_limit(d):
    """250 MiB of valid ConfigMaps: under every limit, read and checked in full."""
    p = os.path.join(d, "under-limit.yaml")
    payload = "x" * 200
    write_repeated(p, 250 * MIB, lambda i: CONFIG_MAP.format(i=i, payload=payload))
    # 700,000 documents: over the default --max-documents, raised here; a clean run
    return p, ["--max-documents", "1000000", "--fail-on", "never"], {0}


def case_garbage(d):
    """64 MiB of random bytes (NUL bytes and invalid UTF-8 among them)."""
    p = os.path.join(d, "garbage.yaml")
    rnd = random.Random(1)
    with open(p, "wb") as f:
        for _ in range(64):
            f.write(rnd.randbytes(MIB))
    return p, []


def case_invalid_utf8(d):
    """64 MiB of ConfigMaps, each with a Latin-1 byte (invalid UTF-8) in its data."""
    p = os.path.join(d, "latin1.yaml")
    doc = CONFIG_MAP.format(i=0, payload="caf\xe9 " + "x" * 200).encode("latin-1")
    n = (64 * MIB) // (len(doc) + 4)
    with open(p, "wb") as f:
        for _ in range(n // 1024):
            f.write((b"---\n" + doc) * 1024)
    return p, []


def case_empty_documents(d):
    """250 MiB of `---` lines: 65 million empty documents."""
    p = os.path.join(d, "markers.yaml")
    with open(p, "w") as f:
        line = "---\n" * (MIB // 4)
        for _ in range(250):
            f.write(line)
    return p, []


def case_dense(d):
    """One 15 MiB document (under the 16 MiB document limit) of a flow sequence of 7.8 million one-character items."""
    p = os.path.join(d, "dense.yaml")
    with open(p, "w") as f:
        f.write("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dense}\ndata:\n  a: [")
        f.write("1," * 7_800_000)
        f.write("1]\n")
    # valid YAML under every limit, read in full within the memory bound; the one
    # finding is SPEC002's (ConfigMap data holds strings, not a list), so exit 1
    return p, [], {1}


CASES = {
    "bomb": case_bomb,
    "deep-flow": case_deep_flow,
    "deep-block": case_deep_block,
    "huge": case_huge,
    "under-limit": case_under_limit,
    "garbage": case_garbage,
    "invalid-utf8": case_invalid_utf8,
    "empty-documents": case_empty_documents,
    "dense": case_dense,
}


def peak_rss_kib(stderr):
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    return int(m.group(1)) if m else None


def run_case(binary, name, build, keep):
    d = tempfile.mkdtemp(prefix=f"plimsoll-hostile-{name}-")
    try:
        path, flags, *expect = build(d)
        # the exit codes a case may end with: an input error unless it says otherwise
        expect = expect[0] if expect else {2}
        size = os.path.getsize(path)
        cmd = [binary, "check", os.path.basename(path), "--format", "json", "--no-config"] + flags
        start = time.monotonic()
        r = subprocess.run(["/usr/bin/time", "-v"] + cmd, cwd=d, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wall = time.monotonic() - start
        stderr = r.stderr.decode(errors="replace")
        rss = (peak_rss_kib(stderr) or 0) * 1024
        code = re.search(r"Exit status: (\d+)", stderr)
        code = int(code.group(1)) if code else r.returncode
        first_error, errors = "", 0
        try:
            report = json.loads(r.stdout)
            errors = len(report["errors"])
            if errors:
                e = report["errors"][0]
                at = f":{e['line']}" if "line" in e else ""
                first_error = f"{e.get('file', '')}{at}: {e['message']}"
        except (ValueError, KeyError):
            first_error = "(no JSON report) " + stderr.strip().splitlines()[0] if stderr.strip() else "(no report)"
        bound = max(3 * size, GIB)
        return {
            "case": name,
            "what": build.__doc__.strip(),
            "input": size,
            "wall": wall,
            "rss": rss,
            "bound": bound,
            "exit": code,
            "errors": errors,
            "first_error": first_error,
            "ok": rss <= bound and code in expect,
            "command": " ".join(["plimsoll"] + cmd[1:]),
        }
    finally:
        if keep:
            print(f"kept {d}", file=sys.stderr)
        else:
            shutil.rmtree(d, ignore_errors=True)


def mb(n):
    return f"{n / 1e6:,.1f} MB"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=None, help="the plimsoll binary (default: the release build)")
    ap.add_argument("--only", nargs="*", choices=sorted(CASES), help="run only these cases")
    ap.add_argument("--keep", action="store_true", help="keep the generated inputs")
    args = ap.parse_args()
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    binary = args.bin or os.path.join(target, "release", "plimsoll")
    if not os.path.exists(binary):
        sys.exit(f"{binary}: not built (cargo build --release -p plimsoll)")
    version = subprocess.run([binary, "--version"], stdout=subprocess.PIPE, text=True).stdout.strip()
    cpu = ""
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"{version}; {platform.machine()}, {os.cpu_count()} cores ({cpu}), Linux {platform.release()}")
    print()
    print("| case | input | wall | peak RSS | bound max(3x input, 1 GiB) | RSS / bound | exit | first error |")
    print("|---|---|---|---|---|---|---|---|")
    failed = False
    for name in args.only or list(CASES):
        r = run_case(binary, name, CASES[name], args.keep)
        failed |= not r["ok"]
        verdict = "" if r["ok"] else " **over**" if r["rss"] > r["bound"] else " **exit**"
        err = r["first_error"].replace("|", "\\|")
        if len(err) > 140:
            err = err[:140] + "..."
        print(
            f"| {name}: {r['what']} | {mb(r['input'])} | {r['wall']:.2f} s | {mb(r['rss'])} | {mb(r['bound'])} | "
            f"{r['rss'] / r['bound']:.2f}{verdict} | {r['exit']} | {err} ({r['errors']} errors) |",
            flush=True,
        )
    print()
    print("each: /usr/bin/time -v plimsoll check FILE --format json --no-config (default limits)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
