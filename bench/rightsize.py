#!/usr/bin/env python3
"""The benchmark of `plimsoll rightsize` against a local Prometheus.

    bench/rightsize.py                                   # 10,000 containers x 14 days x 5 min
    bench/rightsize.py --namespaces 10 --days 2          # a quick look
    bench/rightsize.py --no-build --strategies p95-2x,krr-simple,vpa

It builds `plimsoll` in release mode (in CARGO_TARGET_DIR, else target/), writes the
manifests of `--namespaces` (100) namespaces of `--deployments` (50) Deployments with
`--containers` (2) containers and one replica each (10,000 containers), and their usage
history: cAdvisor's CPU counter and working set every `--step` (5 min) for `--days` (14)
days, and kube-state-metrics' pod and ReplicaSet owners every hour. The history is written
as OpenMetrics in 2-hour files, each turned into a TSDB block by `promtool tsdb
create-blocks-from openmetrics` as soon as it is written (promtool reads its whole input
once per 2-hour block, so one file of 14 days would be read 168 times). Prometheus
(Debian's package) is started on a free loopback port over the blocks, with compaction
kept off (`--storage.tsdb.max-block-duration=2h`) so that it does not run during the
measurement. Then `plimsoll rightsize --format json` runs once per strategy: wall time,
plimsoll's peak RSS (VmHWM), the CPU seconds of plimsoll and of Prometheus, the number of
queries, and the statuses of the recommendations.

Results are printed as Markdown and written to target/bench/rightsize.md (and the raw
figures to target/bench/rightsize.json).
"""

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "target", "bench")
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
PLIMSOLL = os.path.join(TARGET, "release", "plimsoll")
CLK_TCK = os.sysconf("SC_CLK_TCK")
ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def pod_name(d):
    s = "".join(ALPHABET[(d * 7 + i * 13) % len(ALPHABET)] for i in range(5))
    return f"app-{d:03d}-5d8f7c9b6-{s}"


def manifests(dir, namespaces, deployments, containers):
    for n in range(namespaces):
        ns = f"ns-{n:03d}"
        docs = []
        for d in range(deployments):
            cs = "".join(
                f"""        - name: c{c}
          image: example/app:1.0.{c}
          resources:
            requests:
              cpu: 500m
              memory: 512Mi
            limits:
              memory: 1Gi
"""
                for c in range(containers)
            )
            docs.append(
                f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{d:03d}
  namespace: {ns}
  labels:
    team: team-{n % 7}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: app-{d:03d}
  template:
    metadata:
      labels:
        app: app-{d:03d}
    spec:
      containers:
{cs}"""
            )
        with open(os.path.join(dir, f"{ns}.yaml"), "w") as f:
            f.write("---\n".join(docs))


def rate(i, b):
    """The CPU rate (cores) of series i in step b: a daily wave and some noise."""
    h = ((i * 2654435761) ^ (b * 40503)) & 0xFFFF
    day = (b % 288) / 288.0
    return 0.02 + 0.1 * (i % 5) / 5 + 0.15 * (0.5 - abs(day - 0.5)) + 0.05 * h / 65536.0


def memory(i, b):
    h = ((i * 40503) ^ (b * 2654435761)) & 0xFFFF
    return float((100 + 20 * (i % 9)) * 1048576 + (h * 1024))


def history(dir, tsdb, namespaces, deployments, containers, days, step):
    """Writes the history in 2-hour files and converts each with promtool, in a pipeline."""
    now = int(time.time())
    end = (now // 7200) * 7200 - 7200
    start = end - days * 86400
    series = []
    for n in range(namespaces):
        for d in range(deployments):
            for c in range(containers):
                series.append((f"ns-{n:03d}", pod_name(d), f"c{c}"))
    counters = [1000.0] * len(series)
    pending = None
    samples = 0
    t0 = time.time()
    for w in range(start, end, 7200):
        path = os.path.join(dir, f"h-{w}.om")
        cpu_lines, mem_lines = [], []
        for i, (ns, pod, c) in enumerate(series):
            labels = f'namespace="{ns}",pod="{pod}",container="{c}",job="kubelet"'
            cnt = counters[i]
            for t in range(w, w + 7200, step):
                b = (t - start) // step
                if t > start:
                    cnt += rate(i, b - 1) * step
                cpu_lines.append(f"container_cpu_usage_seconds_total{{{labels}}} {cnt:.6f} {t}\n")
                mem_lines.append(f"container_memory_working_set_bytes{{{labels}}} {memory(i, b):.0f} {t}\n")
            counters[i] = cnt
        ksm = []
        for n in range(namespaces):
            ns = f"ns-{n:03d}"
            for d in range(deployments):
                rs = f"app-{d:03d}-5d8f7c9b6"
                for t in range(w, w + 7200, 3600):
                    ksm.append(
                        f'kube_pod_owner{{namespace="{ns}",pod="{pod_name(d)}",owner_kind="ReplicaSet",owner_name="{rs}",owner_is_controller="true"}} 1 {t}\n'
                    )
        rso = []
        for n in range(namespaces):
            ns = f"ns-{n:03d}"
            for d in range(deployments):
                for t in range(w, w + 7200, 3600):
                    rso.append(
                        f'kube_replicaset_owner{{namespace="{ns}",replicaset="app-{d:03d}-5d8f7c9b6",owner_kind="Deployment",owner_name="app-{d:03d}",owner_is_controller="true"}} 1 {t}\n'
                    )
        samples += len(cpu_lines) + len(mem_lines) + len(ksm) + len(rso)
        with open(path, "w") as f:
            f.writelines(cpu_lines)
            f.writelines(mem_lines)
            f.writelines(ksm)
            f.writelines(rso)
            f.write("# EOF\n")
        del cpu_lines, mem_lines, ksm, rso
        if pending:
            wait_promtool(pending)
        pending = (
            subprocess.Popen(
                ["promtool", "tsdb", "create-blocks-from", "openmetrics", "-q", path, tsdb],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
            path,
        )
    if pending:
        wait_promtool(pending)
    return samples, time.time() - t0, start, end


def wait_promtool(pending):
    p, path = pending
    out, err = p.communicate()
    if p.returncode != 0:
        sys.exit(f"promtool failed on {path}: {out}{err}")
    os.remove(path)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def run_plimsoll(url, mdir, strategy, out_path):
    args = [PLIMSOLL, "rightsize", "--prometheus", url, mdir, "--format", "json", "--strategy", strategy,
            "--query-timeout", "10m"]
    t0 = time.time()
    with open(out_path, "w") as out:
        p = subprocess.Popen(args, stdout=out, stderr=subprocess.PIPE, text=True)
        err = p.stderr.read()
        # the child's own peak RSS and CPU time, from the kernel
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        hwm = ru.ru_maxrss
        cpu = ru.ru_utime + ru.ru_stime
    wall = time.time() - t0
    if p.returncode != 0:
        sys.exit(f"plimsoll rightsize failed ({p.returncode}): {err}")
    return wall, hwm / 1024.0, cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--namespaces", type=int, default=100)
    ap.add_argument("--deployments", type=int, default=50)
    ap.add_argument("--containers", type=int, default=2)
    ap.add_argument("--days", type=int, default=14)
    ap.add_argument("--step", type=int, default=300)
    ap.add_argument("--strategies", default="p95-2x,krr-simple")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--plimsoll", help="the binary to run (default: the release build)")
    ap.add_argument("--reuse", metavar="DIR",
                    help="keep the manifests and TSDB in DIR, and reuse them when DIR holds them already")
    args = ap.parse_args()
    global PLIMSOLL
    if args.plimsoll:
        PLIMSOLL, args.no_build = os.path.abspath(args.plimsoll), True
    for tool in ("prometheus", "promtool"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: apt-get install -y prometheus")
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "plimsoll"], cwd=ROOT, check=True)
    os.makedirs(OUT, exist_ok=True)
    work = args.reuse or tempfile.mkdtemp(prefix="plimsoll-rightsize-bench-")
    os.makedirs(work, exist_ok=True)
    prom = None
    try:
        mdir = os.path.join(work, "manifests")
        tsdb = os.path.join(work, "tsdb")
        containers = args.namespaces * args.deployments * args.containers
        done = os.path.join(work, "history.json")
        if args.reuse and os.path.exists(done):
            with open(done) as f:
                samples, gen_s = json.load(f)
            print(f"history: reused from {work}", file=sys.stderr)
        else:
            os.makedirs(mdir, exist_ok=True)
            manifests(mdir, args.namespaces, args.deployments, args.containers)
            print(f"history: {containers} containers x {args.days} d x {args.step} s ...", file=sys.stderr)
            samples, gen_s, _, _ = history(work, tsdb, args.namespaces, args.deployments, args.containers,
                                           args.days, args.step)
            with open(done, "w") as f:
                json.dump([samples, gen_s], f)
        print(f"  {samples:,} samples in {gen_s:.0f} s", file=sys.stderr)
        port = free_port()
        with open(os.path.join(work, "prometheus.yml"), "w") as f:
            f.write("global:\n  scrape_interval: 1m\n")
        log = open(os.path.join(work, "prometheus.log"), "w")
        t0 = time.time()
        prom = subprocess.Popen(
            ["prometheus", f"--config.file={work}/prometheus.yml", f"--storage.tsdb.path={tsdb}",
             f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=3650d",
             "--storage.tsdb.min-block-duration=2h", "--storage.tsdb.max-block-duration=2h",
             "--query.timeout=10m", "--log.level=warn"],
            stdout=subprocess.DEVNULL, stderr=log)
        url = f"http://127.0.0.1:{port}"
        while True:
            try:
                if urllib.request.urlopen(url + "/-/ready", timeout=2).status == 200:
                    break
            except OSError:
                pass
            if prom.poll() is not None:
                sys.exit("prometheus exited: " + open(os.path.join(work, "prometheus.log")).read())
            time.sleep(0.2)
        ready_s = time.time() - t0
        rows = []
        for strategy in args.strategies.split(","):
            prom_cpu0 = cpu_seconds(prom.pid)
            out_path = os.path.join(OUT, f"rightsize-{strategy}.json")
            wall, rss_mb, cpu = run_plimsoll(url, mdir, strategy, out_path)
            prom_cpu = cpu_seconds(prom.pid) - prom_cpu0
            with open(out_path) as f:
                report = json.load(f)
            totals = report["totals"]
            rows.append({
                "strategy": strategy,
                "containers": totals["containers"],
                "ok": totals["ok"],
                "insufficientData": totals["insufficientData"],
                "noData": totals["noData"],
                "queries": len(report["queries"]),
                "wall_s": round(wall, 2),
                "plimsoll_peak_rss_mb": round(rss_mb, 1),
                "plimsoll_cpu_s": round(cpu, 2),
                "prometheus_cpu_s": round(prom_cpu, 2),
                "monthlyCostDelta": totals["monthlyCostDelta"],
            })
            print(f"  {strategy}: {wall:.1f} s", file=sys.stderr)
        prom_hwm = status_kb(prom.pid, "VmHWM") / 1024.0
        result = {
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Linux {platform.release()}",
            "prometheus": subprocess.run(["prometheus", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
            or subprocess.run(["prometheus", "--version"], capture_output=True, text=True).stderr.split("\n")[0],
            "containers": containers,
            "days": args.days,
            "step_s": args.step,
            "samples": samples,
            "history_write_s": round(gen_s, 1),
            "prometheus_ready_s": round(ready_s, 1),
            "prometheus_peak_rss_mb": round(prom_hwm, 1),
            "runs": rows,
        }
        md = [
            f"{containers:,} containers ({args.namespaces} namespaces x {args.deployments} Deployments x "
            f"{args.containers} containers, one replica), {args.days} d at a {args.step} s step: "
            f"{samples:,} samples; {result['prometheus']}; {result['machine']}",
            "",
            "| strategy | containers | ok | queries | wall | plimsoll peak RSS | plimsoll CPU | Prometheus CPU |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            md.append(
                f"| {r['strategy']} | {r['containers']:,} | {r['ok']:,} | {r['queries']} | {r['wall_s']:.1f} s | "
                f"{r['plimsoll_peak_rss_mb']:.0f} MB | {r['plimsoll_cpu_s']:.1f} s | {r['prometheus_cpu_s']:.1f} s |"
            )
        md.append("")
        md.append(f"Prometheus peak RSS {prom_hwm:.0f} MB; history written and converted in {gen_s:.0f} s.")
        text = "\n".join(md) + "\n"
        print(text)
        with open(os.path.join(OUT, "rightsize.md"), "w") as f:
            f.write(text)
        with open(os.path.join(OUT, "rightsize.json"), "w") as f:
            json.dump(result, f, indent=2)
    finally:
        if prom:
            prom.kill()
            prom.wait()
        if not args.reuse:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
