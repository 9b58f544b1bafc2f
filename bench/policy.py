#!/usr/bin/env python3
"""What ValidatingAdmissionPolicies add to `plimsoll check`: 100 bindings against the
10k-object benchmark corpus.

    bench/policy.py                      # build, generate, measure (5 runs each)
    bench/policy.py --runs 3 --bindings 100 --objects 10000 --no-build

It writes 100 policies, each with one binding (typical organisation rules: a `team`
label, images from the organisation's registry, replicas at most 50, no hostPath
outside `storage`, resource requests and limits with quantities, probes, ports and
their defaulted protocol, params read from a ConfigMap, matchConditions, variables,
messageExpressions, list macros), and measures `plimsoll check --format json` on the
corpus with the default rules, without and with `--policy` (median wall time and peak
memory). The difference is what the policies cost: compiling them once and evaluating
every binding against every matching object, in parallel. It also counts the POL001
findings, so that a run where the policies matched nothing cannot pass as fast.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "target", "bench")
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")

# (resources, expression, message) templates: {i} makes each policy distinct
TEMPLATES = [
    (["deployments", "statefulsets", "daemonsets"],
     "has(object.metadata.labels) && 'app.kubernetes.io/part-of' in object.metadata.labels && object.metadata.labels['app.kubernetes.io/part-of'] != 'team-{i}'",
     "every workload names its team ({i})"),
    (["deployments"],
     "object.spec.replicas <= 50 + {i}",
     "at most {i} replicas"),
    (["deployments", "statefulsets"],
     "object.spec.template.spec.containers.all(c, c.image.startsWith('registry.example.com/') || c.image.contains('{i}') || c.image.matches('^[a-z]+:[0-9.]+$'))",
     "images come from the registry ({i})"),
    (["deployments", "statefulsets", "daemonsets"],
     "!has(object.spec.template.spec.volumes) || object.spec.template.spec.volumes.all(v, !has(v.hostPath)) || object.metadata.namespace == 'storage-{i}'",
     "no hostPath outside storage ({i})"),
    (["deployments", "statefulsets"],
     "object.spec.template.spec.containers.all(c, has(c.resources.limits) && 'memory' in c.resources.limits && quantity(c.resources.limits.memory).compareTo(quantity('{i}Gi')) <= 0)",
     "memory limit at most {i}Gi"),
    (["deployments"],
     "object.spec.template.spec.containers.all(c, has(c.readinessProbe) || c.name == 'sidecar-{i}')",
     "every container has a readiness probe ({i})"),
    (["services"],
     "object.spec.ports.all(p, p.protocol == 'TCP' || p.port == {i})",
     "TCP only ({i})"),
    (["configmaps"],
     "!has(object.data) || size(object.data) < 100 + {i}",
     "small ConfigMaps ({i})"),
    (["deployments", "statefulsets"],
     "object.spec.template.spec.containers.map(c, c.name).exists(n, n.startsWith('app')) || variables.team != 'x{i}'",
     "variables ({i})"),
    (["ingresses"],
     "!has(object.spec.tls) || object.spec.tls.all(t, has(t.secretName))",
     "TLS needs a secret ({i})"),
]


def policies(n):
    docs = []
    docs.append(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: limits, namespace: default}\n"
        "data: {maxReplicas: '40'}\n"
    )
    for i in range(n):
        resources, expr, message = TEMPLATES[i % len(TEMPLATES)]
        expr = expr.replace("{i}", str(i))
        message = message.replace("{i}", str(i))
        group = {"deployments": "apps", "statefulsets": "apps", "daemonsets": "apps",
                 "ingresses": "networking.k8s.io"}.get(resources[0], "")
        extra = ""
        if i % 10 == 8:
            extra += "  variables:\n  - name: team\n    expression: \"has(object.metadata.labels) && 'team' in object.metadata.labels ? object.metadata.labels['team'] : 'none'\"\n"
        if i % 7 == 0:
            extra += "  matchConditions:\n  - name: not-system\n    expression: \"!request.namespace.startsWith('kube-')\"\n"
        params = ""
        binding_params = ""
        if i % 25 == 1:
            params = "  paramKind: {apiVersion: v1, kind: ConfigMap}\n"
            binding_params = "  paramRef: {name: limits, namespace: default, parameterNotFoundAction: Allow}\n"
            expr = "params == null || object.spec.replicas <= int(params.data.maxReplicas)"
        action = "Warn" if i % 3 == 0 else "Deny"
        docs.append(
            f"""apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {{name: org-policy-{i:03d}}}
spec:
  failurePolicy: {"Ignore" if i % 4 == 0 else "Fail"}
{params}  matchConstraints:
    resourceRules:
    - apiGroups: ["{group}"]
      apiVersions: ["v1"]
      operations: ["CREATE", "UPDATE"]
      resources: {json.dumps(resources)}
{extra}  validations:
  - expression: {json.dumps(expr)}
    messageExpression: {json.dumps(f"'{message}: ' + object.metadata.name")}
    message: {json.dumps(message)}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {{name: org-policy-{i:03d}}}
spec:
  policyName: org-policy-{i:03d}
  validationActions: [{action}]
{binding_params}"""
        )
    return "---\n".join(docs)


def measure(cmd, runs):
    """Median wall time (s), peak RSS (MB) and CPU time (user + system, s) over `runs`
    runs, and the last run's output."""
    walls, rss, cpu = [], [], []
    out = None
    for _ in range(runs):
        start = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "%M %U %S"] + cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        walls.append(time.perf_counter() - start)
        m, u, s = p.stderr.strip().splitlines()[-1].split()
        rss.append(int(m) / 1024)
        cpu.append(float(u) + float(s))
        out = p.stdout
    return statistics.median(walls), statistics.median(rss), statistics.median(cpu), out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--objects", type=int, default=10000)
    ap.add_argument("--bindings", type=int, default=100)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--plimsoll", default=os.path.join(TARGET, "release", "plimsoll"))
    args = ap.parse_args()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "plimsoll"], cwd=ROOT, check=True)
    os.makedirs(OUT, exist_ok=True)
    corpus = os.path.join(OUT, f"corpus-{args.objects}")
    if not os.path.exists(os.path.join(corpus, ".complete")):
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_corpus.py"), "--objects", str(args.objects), "--seed", "1", "--out", corpus], check=True)
        open(os.path.join(corpus, ".complete"), "w").close()
    pol = os.path.join(OUT, f"policies-{args.bindings}.yaml")
    with open(pol, "w") as f:
        f.write(policies(args.bindings))
    base = [args.plimsoll, "check", corpus, "--format", "json", "--no-progress"]
    with_pol = base + ["--policy", pol]
    # one run of each first: warm the page cache
    measure(base, 1)
    # alternated, so that a slower spell of the machine weighs on both alike
    r0, r1 = [], []
    for _ in range(args.runs):
        r0.append(measure(base, 1))
        r1.append(measure(with_pol, 1))
    w0, m0, c0 = (statistics.median(x[i] for x in r0) for i in range(3))
    w1, m1, c1 = (statistics.median(x[i] for x in r1) for i in range(3))
    out = r1[-1][3]
    report = json.loads(out)
    pol_findings = [f for f in report.get("findings", []) if f.get("code", f.get("rule")) in ("POL001", "POL002")]
    by_code = {}
    for f in pol_findings:
        by_code[f.get("code", f.get("rule"))] = by_code.get(f.get("code", f.get("rule")), 0) + 1
    print(f"corpus: {args.objects} objects; {args.bindings} policies with one binding each; {args.runs} runs, medians")
    print("                                   wall      peak RSS   CPU (user+sys)")
    print(f"check (default rules):            {w0:6.2f} s  {m0:7.1f} MB  {c0:6.2f} s")
    print(f"check --policy ({args.bindings} bindings):   {w1:6.2f} s  {m1:7.1f} MB  {c1:6.2f} s")
    print(f"added by the policies:            {w1 - w0:+6.2f} s  {m1 - m0:+7.1f} MB  {c1 - c0:+6.2f} s")
    print(f"POL findings: {by_code}")


if __name__ == "__main__":
    main()
