#!/usr/bin/env python3
"""The benchmark of `plimsoll drain` at Kubernetes' documented scale limits.

    bench/drain.py                          # 5,000 nodes, 150,000 pods, pool of 500 nodes
    bench/drain.py --nodes 500 --pods 15000 # a quick look
    bench/drain.py --no-build --runs 3

It builds `plimsoll` in release mode (in CARGO_TARGET_DIR, else target/) unless
--no-build, and writes a snapshot as `plimsoll snapshot` does (one JSON List, one object
per line, trimmed to what a drain reads) to target/bench/drain-snapshot.json:

- `--nodes` nodes (16 CPU, 64 GiB, 110 pods each) in pools of `--pool-size` nodes
  (label `pool=pool-NN`) over three zones; the last pool is tainted `dedicated=batch`;
- three DaemonSets with a pod on every node (tolerating everything);
- the rest of `--pods` as Deployments (a ReplicaSet each, 3 to 12 replicas) in 300
  namespaces, spread over the nodes with room for them: 60% with a PDB (maxUnavailable 1,
  minAvailable 50%, and a few maxUnavailable 0), with the status the disruption
  controller would write; 10% with required pod anti-affinity on the hostname, 10%
  with a hard topology spread over zones; 2% of the pods not Ready;
- a few bare pods and emptyDir pods.

Then it times `plimsoll drain --pool pool=pool-01 --format json` (the pool's nodes all
cordoned first and drained in turn) and the same with `--plan` (one node at a time),
with `--force --delete-emptydir-data`; `plimsoll upgrade --from 1.36 --to 1.37` over the
same snapshot; and `plimsoll check --select all` over it (the live rules judge every
pod's status): wall time (median of --runs) and peak RSS (the child's ru_maxrss), printed
as Markdown.
"""

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "target", "bench")
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
PLIMSOLL = os.path.join(TARGET, "release", "plimsoll")
ZONES = ["zone-a", "zone-b", "zone-c"]


def node(name, pool, zone, tainted):
    n = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "topology.kubernetes.io/zone": zone,
                "pool": pool,
            },
        },
        "spec": {},
        "status": {
            "allocatable": {"cpu": "16", "memory": "64Gi", "pods": "110", "ephemeral-storage": "100Gi"},
            "capacity": {"cpu": "16", "memory": "64Gi", "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }
    if tainted:
        n["spec"]["taints"] = [{"key": "dedicated", "value": "batch", "effect": "NoSchedule"}]
    return n


def pod(ns, name, node_name, labels, owner, cpu_m, mem_mi, ready=True, spec_extra=None):
    spec = {
        "nodeName": node_name,
        "containers": [
            {"name": "app", "resources": {"requests": {"cpu": f"{cpu_m}m", "memory": f"{mem_mi}Mi"}}}
        ],
    }
    if spec_extra:
        spec.update(spec_extra)
    meta = {"name": name, "namespace": ns, "labels": labels, "uid": f"uid-{ns}-{name}"}
    if owner:
        kind, oname = owner
        meta["ownerReferences"] = [
            {"apiVersion": "apps/v1", "kind": kind, "name": oname, "uid": f"uid-{ns}-{oname}", "controller": True}
        ]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": spec,
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def generate(path, nodes, pods, pool_size, seed, pending=0):
    rnd = random.Random(seed)
    out = []
    pools = max(1, nodes // pool_size)
    names = []
    for i in range(nodes):
        p = min(i // pool_size, pools - 1)
        name = f"node-{i:05d}"
        names.append(name)
        out.append(node(name, f"pool-{p:02d}", ZONES[i % 3], p == pools - 1 and pools > 1))
    free = {n: [16000, 64 * 1024, 110] for n in names}
    schedulable = [n for i, n in enumerate(names) if not (min(i // pool_size, pools - 1) == pools - 1 and pools > 1)]
    # DaemonSets: one pod per node
    count = 0
    for ds in ["logs", "metrics", "proxy"]:
        for n in names:
            out.append(
                pod("kube-system", f"{ds}-{n}", n, {"app": ds}, ("DaemonSet", ds), 50, 64,
                    spec_extra={"tolerations": [{"operator": "Exists"}]})
            )
            free[n][0] -= 50
            free[n][1] -= 64
            free[n][2] -= 1
            count += 1
    for ds in ["logs", "metrics", "proxy"]:
        out.append({"apiVersion": "apps/v1", "kind": "DaemonSet",
                    "metadata": {"name": ds, "namespace": "kube-system", "uid": f"uid-kube-system-{ds}"},
                    "spec": {"selector": {"matchLabels": {"app": ds}}}})
    namespaces = [f"team-{i:03d}" for i in range(300)]
    d = 0
    while count < pods:
        ns = namespaces[d % len(namespaces)]
        app = f"app-{d:05d}"
        replicas = min(rnd.randint(3, 12), pods - count)
        rs = f"{app}-7c9d5b"
        out.append({"apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"name": app, "namespace": ns, "uid": f"uid-{ns}-{app}"},
                    "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": app}}}})
        out.append({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "metadata": {"name": rs, "namespace": ns, "uid": f"uid-{ns}-{rs}",
                                 "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": app,
                                                      "uid": f"uid-{ns}-{app}", "controller": True}]},
                    "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": app}}}})
        kind = rnd.random()
        extra = None
        if kind < 0.10:
            extra = {"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": "kubernetes.io/hostname"}]}}}
        elif kind < 0.20:
            extra = {"topologySpreadConstraints": [
                {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule",
                 "labelSelector": {"matchLabels": {"app": app}}}]}
        elif kind < 0.21:
            extra = {"volumes": [{"name": "scratch", "emptyDir": {}}]}
        cpu = rnd.choice([100, 250, 500, 1000])
        mem = rnd.choice([128, 256, 512, 1024])
        ready_count = 0
        used = set()
        for r in range(replicas):
            for _ in range(50):
                n = rnd.choice(schedulable)
                f = free[n]
                if f[0] >= cpu and f[1] >= mem and f[2] >= 1 and not (kind < 0.10 and n in used):
                    break
            used.add(n)
            free[n][0] -= cpu
            free[n][1] -= mem
            free[n][2] -= 1
            ready = rnd.random() >= 0.02
            ready_count += ready
            out.append(pod(ns, f"{rs}-{r:03d}x", n, {"app": app, "pod-template-hash": "7c9d5b"},
                           ("ReplicaSet", rs), cpu, mem, ready, extra))
            count += 1
        p = rnd.random()
        if p < 0.6:
            if p < 0.02:
                spec, desired = {"maxUnavailable": 0}, replicas
            elif p < 0.4:
                spec, desired = {"maxUnavailable": 1}, replicas - 1
            else:
                spec, desired = {"minAvailable": "50%"}, (replicas + 1) // 2
            spec["selector"] = {"matchLabels": {"app": app}}
            out.append({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                        "metadata": {"name": app, "namespace": ns, "generation": 1},
                        "spec": spec,
                        "status": {"observedGeneration": 1, "currentHealthy": ready_count,
                                   "desiredHealthy": desired, "expectedPods": replicas,
                                   "disruptionsAllowed": max(0, ready_count - desired)}})
        d += 1
    # a few bare pods
    for i in range(20):
        n = rnd.choice(schedulable)
        out.append(pod("default", f"debug-{i}", n, {"run": f"debug-{i}"}, None, 10, 16))
    # pending pods (bench/capacity.py): bound to no node; one in ten asks for more than
    # any node has
    for i in range(pending):
        p = pod("team-pending", f"pending-{i:05d}", None, {"app": "pending"}, None,
                32000 if i % 10 == 0 else rnd.choice([100, 250, 500]), 256)
        del p["spec"]["nodeName"]
        p["status"] = {"phase": "Pending"}
        out.append(p)
    with open(path, "w") as f:
        f.write('{"apiVersion":"v1","kind":"List","metadata":{},"items":[\n')
        f.write(",\n".join(json.dumps(o, separators=(",", ":")) for o in out))
        f.write("\n]}\n")
    return count + 20, d


def measure(args):
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stdout, stderr = b"", b""
    # read to the end before waiting, then take the child's own rusage
    stdout = proc.stdout.read()
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit(f"{' '.join(args)}: exit {code}: {stderr.decode()}")
    return wall, usage.ru_maxrss / 1024, json.loads(stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=5000)
    ap.add_argument("--pods", type=int, default=150000)
    ap.add_argument("--pool-size", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-build", action="store_true")
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    if not a.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "plimsoll"], cwd=ROOT, check=True)
    path = os.path.join(OUT, "drain-snapshot.json")
    t = time.perf_counter()
    pods, deployments = generate(path, a.nodes, a.pods, a.pool_size, a.seed)
    size = os.path.getsize(path) / 1e6
    print(f"snapshot: {a.nodes} nodes, {pods} pods, {deployments} Deployments, {size:.1f} MB "
          f"({time.perf_counter() - t:.1f} s to write)", file=sys.stderr)
    rows = []
    common = [PLIMSOLL, "drain", "--pool", "pool=pool-01", path, "--format", "json",
              "--force", "--delete-emptydir-data"]
    for label, extra in [("drain --pool (all cordoned, in turn)", []), ("drain --pool --plan (one at a time)", ["--plan"])]:
        results = [measure(common + extra) for _ in range(a.runs)]
        walls = sorted(r[0] for r in results)
        rss = max(r[1] for r in results)
        v = results[0][2]
        verdicts = {}
        for p in v["pods"]:
            verdicts[p["verdict"]] = verdicts.get(p["verdict"], 0) + 1
        rows.append((label, walls, rss, len(v["nodes"]), len(v["pods"]), len(v["pending"]), verdicts,
                     v.get("plan", {}).get("possible")))
    reports = [
        ("upgrade --from 1.36 --to 1.37",
         [PLIMSOLL, "upgrade", "--from", "1.36", "--to", "1.37", "--format", "json", "--no-config",
          "--no-progress", path]),
        ("check --select all",
         [PLIMSOLL, "check", "--select", "all", "--format", "json", "--no-config", "--no-progress", path]),
    ]
    for label, cmd in reports:
        results = [measure(cmd) for _ in range(a.runs)]
        walls = sorted(r[0] for r in results)
        rss = max(r[1] for r in results)
        v = results[0][2]
        s = v["summary"]
        rows.append((label, walls, rss, None, s["objects"], None,
                     {"findings": s["findings"], "not evaluated": s["notEvaluated"]}, None))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}")
    print(f"input: {a.nodes} nodes, {pods} pods, {deployments} Deployments, {size:.1f} MB JSON\n")
    print("| run | wall (runs) | median | peak RSS | nodes | pods (objects) judged | pending | verdicts (findings) |")
    print("|---|---|---|---|---|---|---|---|")
    for label, walls, rss, nodes, judged, pending, verdicts, possible in rows:
        v = ", ".join(f"{k} {n}" for k, n in sorted(verdicts.items()))
        if possible is not None:
            v += f"; plan possible: {possible}"
        print(f"| {label} | {', '.join(f'{w:.2f}' for w in walls)} s | {walls[len(walls) // 2]:.2f} s | "
              f"{rss:.0f} MB | {'' if nodes is None else nodes} | {judged} | "
              f"{'' if pending is None else pending} | {v} |")


if __name__ == "__main__":
    main()
