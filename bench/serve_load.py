#!/usr/bin/env python3
"""The load benchmark of `plimsoll serve`: TLS, keep-alive, loopback, a real Deployment.

    bench/serve_load.py                                  # 1,000 req/s x 60 s, then the rate sweeps
    bench/serve_load.py --duration 10 --step-duration 5  # a quick look
    bench/serve_load.py --no-build --no-sweep            # the fixed-rate run only

It builds `plimsoll` and the load client (`crates/plimsoll/examples/admission_load.rs`) in
release mode (in CARGO_TARGET_DIR, else target/), makes a CA and a serving certificate for
127.0.0.1 with openssl in a temporary directory, and starts
`plimsoll serve --no-cluster --no-config --listen 127.0.0.1:0`. The request is the
AdmissionReview of a `kubectl create` of the Deployment of examples/production/api.yaml
(POST /validate). Then:

1. the fixed-rate run: `--rate` (1,000) requests per second for `--duration` (60) seconds
   after `--warmup` (5) seconds, over `--connections` (8) keep-alive connections;
2. a rate sweep (`--step-duration` seconds a step) up to the first rate whose client p99 is
   over 10 ms, with errors, or whose achieved rate falls short of the target, then
   `--refine` halvings between the last rate that held and the first that did not;
3. the same sweep with the naive Deployment of examples/naive/api.yaml on a server started
   with `--mode deny`: every request has many findings and is denied (the cost of findings).

The client is open-loop: each request is scheduled at a fixed time and its latency counts
from then, so a stall of the server is not hidden by the client waiting for it. Latency
is the client's (TLS, HTTP, and the server) and the server's own time, from the
`server-timing` header of each answer. The server's memory (VmRSS, VmHWM of
/proc/PID/status) is read once it is idle after start, and again after the runs; the CPU
time of the server and of the client is divided by the requests of each run. The client
runs on the same machine as the server and takes its share of the cores.

Results are printed as Markdown and written to target/bench/serve_load.md (and the raw
figures to target/bench/serve_load.json).
"""

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "target", "bench")
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
PLIMSOLL = os.path.join(TARGET, "release", "plimsoll")
CLIENT = os.path.join(TARGET, "release", "examples", "admission_load")
PRODUCTION = os.path.join(ROOT, "examples", "production", "api.yaml")
NAIVE = os.path.join(ROOT, "examples", "naive", "api.yaml")
CLK_TCK = os.sysconf("SC_CLK_TCK")
P99_LIMIT_US = 10_000


def sh(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "kernel": platform.release(),
        "arch": platform.machine(),
    }


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def build():
    cmd = ["cargo", "build", "--release", "-p", "plimsoll", "--bin", "plimsoll", "--example", "admission_load"]
    print("+", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, cwd=ROOT, check=True)


def openssl(d, *args):
    p = sh(["openssl", *args], cwd=d)
    if p.returncode != 0:
        sys.exit(f"openssl {' '.join(args)}: {p.stderr}")


def certificates(d):
    """A CA and a serving certificate for 127.0.0.1 (P-256, as the tests make them)."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl(d, "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
            "-subj", "/CN=plimsoll benchmark CA")
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl(d, "req", *ec, "-keyout", "tls.key", "-out", "tls.csr", "-subj", "/CN=plimsoll serve")
    openssl(d, "x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "ext.cnf", "-out", "tls.crt")


class Server:
    """A running `plimsoll serve`, its stderr in a file."""

    def __init__(self, d, name, extra):
        self.log_path = os.path.join(d, f"{name}.log")
        self.log = open(self.log_path, "w")
        cmd = [PLIMSOLL, "serve", "--no-cluster", "--no-config", "--listen", "127.0.0.1:0",
               "--tls-cert", os.path.join(d, "tls.crt"), "--tls-key", os.path.join(d, "tls.key"), *extra]
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, cwd=d, stdout=subprocess.DEVNULL, stderr=self.log)
        self.addr = None
        deadline = time.time() + 30
        while time.time() < deadline and self.addr is None:
            if self.proc.poll() is not None:
                sys.exit(f"plimsoll serve exited: {open(self.log_path).read()}")
            m = re.search(r"listening on https://(\S+)", open(self.log_path).read())
            if m:
                self.addr = m.group(1)
            else:
                time.sleep(0.05)
        if self.addr is None:
            self.stop()
            sys.exit(f"plimsoll serve did not start: {open(self.log_path).read()}")

    def memory(self):
        """VmRSS and VmHWM in MB."""
        out = {}
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(rest.split()[0]) / 1024
        return out

    def threads(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/task"))

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # utime and stime are fields 14 and 15 of the line (11 and 12 after the name)
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def load(server, d, args, manifest, rate, duration):
    """One run of the load client; its JSON, with the CPU time of both sides."""
    cmd = [CLIENT, "--addr", server.addr, "--ca", os.path.join(d, "ca.crt"),
           "--object-from", manifest, "--kind", "Deployment",
           "--rate", str(rate), "--duration", str(duration), "--warmup", str(args.warmup),
           "--connections", str(args.connections), "--threads", str(args.threads), "--json"]
    before_server = server.cpu_seconds()
    before_client = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_before = loadavg()
    p = sh(cmd)
    after_client = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit(f"the load client failed: {p.stderr}")
    r = json.loads(p.stdout)
    requests = (args.warmup + duration) * rate
    r["server_cpu_us_per_request"] = (server.cpu_seconds() - before_server) / requests * 1e6
    r["client_cpu_us_per_request"] = (
        (after_client.ru_utime - before_client.ru_utime) + (after_client.ru_stime - before_client.ru_stime)
    ) / requests * 1e6
    r["loadavg_before"] = load_before
    r["command"] = " ".join(os.path.relpath(c, ROOT) if c.startswith(ROOT) else c for c in cmd)
    return r


def held(r):
    """The run kept the rate: no errors, client p99 under 10 ms, the rate achieved."""
    return (r["errors"]["total"] == 0 and r["client_us"]["p99"] < P99_LIMIT_US
            and r["achieved_rps"] >= 0.97 * r["rate"])


def show(label, r):
    c, s = r["client_us"], r["server_us"]
    print(f"  {label}: {r['rate']:g} req/s -> {r['achieved_rps']:g}, {r['errors']['total']} errors; "
          f"client p50 {c['p50'] / 1000:.2f} p99 {c['p99'] / 1000:.2f} p99.9 {c['p999'] / 1000:.2f} ms; "
          f"server p50 {s['p50'] / 1000:.3f} p99 {s['p99'] / 1000:.3f} ms; load {r['loadavg_before']}",
          file=sys.stderr)
    for e in r["errors"]["examples"]:
        print(f"    e.g. {e}", file=sys.stderr)


def sweep(server, d, args, manifest, label):
    runs = []
    good, bad = None, None
    for rate in args.sweep:
        r = load(server, d, args, manifest, rate, args.step_duration)
        r["case"] = label
        show(label, r)
        runs.append(r)
        if held(r):
            good = rate
        else:
            bad = rate
            break
    if good is not None and bad is not None:
        for _ in range(args.refine):
            rate = round((good + bad) / 2 / 250) * 250
            if rate in (good, bad):
                break
            r = load(server, d, args, manifest, rate, args.step_duration)
            r["case"] = label
            show(label, r)
            runs.append(r)
            if held(r):
                good = rate
            else:
                bad = rate
    return runs, good, bad


def fmt_ms(us):
    return f"{us / 1000:.2f}"


def row(r):
    c, s = r["client_us"], r["server_us"]
    return (f"| {r['case']} | {r['rate']:,.0f} | {r['achieved_rps']:,.0f} | {r['errors']['total']} | "
            f"{fmt_ms(c['p50'])} | {fmt_ms(c['p90'])} | {fmt_ms(c['p99'])} | {fmt_ms(c['p999'])} | {fmt_ms(c['max'])} | "
            f"{s['p50'] / 1000:.3f} | {s['p99'] / 1000:.3f} | {s['p999'] / 1000:.3f} | {fmt_ms(s['max'])} | "
            f"{r['server_cpu_us_per_request']:.0f} | {r['client_cpu_us_per_request']:.0f} |")


HEADER = ("| case | target req/s | achieved | errors | client p50 | p90 | p99 | p99.9 | max | "
          "server p50 | p99 | p99.9 | max | server CPU µs/req | client CPU µs/req |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=float, default=1000, help="the fixed-rate run's requests per second")
    ap.add_argument("--duration", type=float, default=60, help="seconds of the fixed-rate run")
    ap.add_argument("--warmup", type=float, default=5, help="seconds before each run, not measured")
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1, help="threads of the load client's runtime")
    ap.add_argument("--sweep", type=float, nargs="+",
                    default=[1000, 2000, 3000, 4000, 5000, 6000, 8000, 10000, 12000, 16000])
    ap.add_argument("--step-duration", type=float, default=20, help="seconds of each step of the sweeps")
    ap.add_argument("--refine", type=int, default=2, help="halvings after the first rate that did not hold")
    ap.add_argument("--no-sweep", action="store_true")
    ap.add_argument("--no-naive", action="store_true", help="no sweep with the naive Deployment")
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()

    if not args.no_build:
        build()
    for exe in (PLIMSOLL, CLIENT):
        if not os.path.exists(exe):
            sys.exit(f"{exe} is missing: build it (or run without --no-build)")
    if shutil.which("openssl") is None:
        sys.exit("openssl makes the certificates: install it")
    m = machine()
    version = sh([PLIMSOLL, "--version"]).stdout.strip()
    print(f"machine: {m['arch']}, {m['cores']} cores ({m['cpu']}), Linux {m['kernel']}; "
          f"load average {loadavg()}", file=sys.stderr)

    runs, memory, sustained = [], [], {}
    with tempfile.TemporaryDirectory(prefix="plimsoll-serve-load-") as d:
        certificates(d)
        cases = [("production Deployment, warn", PRODUCTION, []),
                 ("naive Deployment, deny", NAIVE, ["--mode", "deny"])]
        if args.no_naive:
            cases = cases[:1]
        for i, (label, manifest, extra) in enumerate(cases):
            server = Server(d, f"serve{i}", extra)
            try:
                time.sleep(2)
                idle = server.memory()
                idle_threads = server.threads()
                if i == 0:
                    r = load(server, d, args, manifest, args.rate, args.duration)
                    r["case"] = label
                    show(label, r)
                    r["fixed"] = True
                    runs.append(r)
                if not args.no_sweep:
                    swept, good, bad = sweep(server, d, args, manifest, label)
                    runs.extend(swept)
                    sustained[label] = (good, bad)
                time.sleep(2)
                after = server.memory()
                memory.append({"case": label, "idle_rss": idle["VmRSS"], "idle_hwm": idle["VmHWM"],
                               "idle_threads": idle_threads, "after_rss": after["VmRSS"],
                               "after_hwm": after["VmHWM"], "after_threads": server.threads()})
            finally:
                server.stop()

    lines = []
    lines.append(f"machine: {m['arch']}, {m['cores']} cores ({m['cpu']}), Linux {m['kernel']}; {version}")
    lines.append(f"load client: {args.connections} keep-alive TLS connections (HTTP/1.1), "
                 f"{args.threads} runtime thread(s) + 1 pacing thread, on the same cores as the server; "
                 f"warm-up {args.warmup:g} s before each run")
    bodies = {}
    for r in runs:
        bodies.setdefault(r["case"], r)
    for case, r in bodies.items():
        a = r["answers"]
        lines.append(f"request, {case}: POST /validate, AdmissionReview of a CREATE of the Deployment "
                     f"({r['body_bytes']:,} bytes); answers: {a['allowed']:,} allowed, {a['denied']:,} denied, "
                     f"{a['with_warnings']:,} with warnings")
    lines.append("")
    lines.append("Latencies in ms: client from the scheduled send time to the whole answer; server from "
                 "`server-timing` (body read, judging, serialising).")
    lines.append("")
    lines.append(HEADER)
    for r in runs:
        if r.get("fixed"):
            lines.append(row(dict(r, case=f"**{r['case']}, {args.duration:g} s**")))
    for r in runs:
        if not r.get("fixed"):
            lines.append(row(dict(r, case=f"{r['case']}, {args.step_duration:g} s")))
    lines.append("")
    for label, (good, bad) in sustained.items():
        held_text = f"{good:,.0f} req/s" if good is not None else "none of the rates"
        past = f" (not {bad:,.0f} req/s)" if bad is not None else " (the highest rate tried)"
        lines.append(f"highest rate held with client p99 < 10 ms and no errors, {label}: {held_text}{past}")
    lines.append("")
    lines.append("| server | idle RSS after start | its VmHWM | RSS after the runs | peak RSS (VmHWM) | threads idle / after |")
    lines.append("|---|---|---|---|---|---|")
    for mem in memory:
        lines.append(f"| {mem['case']} | {mem['idle_rss']:.1f} MB | {mem['idle_hwm']:.1f} MB | "
                     f"{mem['after_rss']:.1f} MB | {mem['after_hwm']:.1f} MB | "
                     f"{mem['idle_threads']} / {mem['after_threads']} |")
    lines.append("")
    lines.append(f"load average at the end: {loadavg()}")
    text = "\n".join(lines)
    print(text)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "serve_load.md"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(OUT, "serve_load.json"), "w") as f:
        json.dump({"machine": m, "version": version, "runs": runs, "memory": memory}, f, indent=1)


if __name__ == "__main__":
    main()
