#!/usr/bin/env python3
"""Writes a realistic Kubernetes manifest corpus, deterministic by seed.

The mix follows what `helm template` emits for typical service charts: each "release"
is one file of `---`-separated documents with `# Source:` comments, holding a
Deployment or StatefulSet, its Service, ConfigMaps (some with large data), Secrets,
ServiceAccount and RBAC, NetworkPolicies, a PodDisruptionBudget, an HPA, sometimes a
CronJob, an Ingress and custom resources, and now and then a CustomResourceDefinition.

    bench/gen_corpus.py --objects 10000 --seed 1 --out target/bench/corpus-10k
"""

import argparse
import base64
import os
import random
import shutil

TEAMS = ["payments", "search", "checkout", "identity", "catalog", "growth", "platform", "data"]
IMAGES = ["api", "web", "worker", "gateway", "indexer", "scheduler", "notifier", "exporter"]


def labels(r, app, component, team, indent):
    pad = " " * indent
    out = [
        f"{pad}app.kubernetes.io/name: {app}",
        f"{pad}app.kubernetes.io/instance: {app}",
        f"{pad}app.kubernetes.io/component: {component}",
        f"{pad}app.kubernetes.io/part-of: {team}",
        f"{pad}app.kubernetes.io/managed-by: Helm",
        f"{pad}helm.sh/chart: {app}-{r.randint(0, 9)}.{r.randint(0, 30)}.{r.randint(0, 9)}",
    ]
    if r.random() < 0.8:
        out.append(f"{pad}team: {team}")
    return "\n".join(out)


def container(r, app, name, port):
    lines = [
        f"        - name: {name}",
        f"          image: registry.example.com/{r.choice(IMAGES)}/{app}:{r.randint(1, 9)}.{r.randint(0, 40)}.{r.randint(0, 9)}"
        + (f"@sha256:{r.getrandbits(256):064x}" if r.random() < 0.4 else ""),
        f"          imagePullPolicy: IfNotPresent",
    ]
    if port:
        lines += [
            "          ports:",
            f"            - name: http",
            f"              containerPort: {port}",
            "              protocol: TCP",
        ]
    lines += ["          env:"]
    for i in range(r.randint(3, 12)):
        kind = r.random()
        if kind < 0.6:
            lines += [f"            - name: SETTING_{i}", f"              value: \"{r.getrandbits(40):x}\""]
        elif kind < 0.8:
            lines += [
                f"            - name: FROM_CONFIG_{i}",
                "              valueFrom:",
                f"                configMapKeyRef: {{name: {app}-config, key: key{i}}}",
            ]
        else:
            lines += [
                f"            - name: SECRET_{i}",
                "              valueFrom:",
                f"                secretKeyRef: {{name: {app}-secret, key: key{i}}}",
            ]
    if r.random() < 0.85:
        cpu = r.choice(["50m", "100m", "250m", "500m", "1"])
        mem = r.choice(["64Mi", "128Mi", "256Mi", "512Mi", "1Gi"])
        lines += [
            "          resources:",
            f"            requests: {{cpu: {cpu}, memory: {mem}}}",
        ]
        if r.random() < 0.7:
            lines += [f"            limits: {{memory: {mem}}}"]
    if port and r.random() < 0.8:
        lines += [
            "          readinessProbe:",
            f"            httpGet: {{path: /readyz, port: {port}}}",
            "            periodSeconds: 10",
        ]
        if r.random() < 0.7:
            lines += [
                "          livenessProbe:",
                f"            httpGet: {{path: /livez, port: {port}}}",
                "            periodSeconds: 20",
                "            failureThreshold: 6",
            ]
    lines += [
        "          securityContext:",
        "            allowPrivilegeEscalation: false",
        "            readOnlyRootFilesystem: true",
        "            capabilities: {drop: [ALL]}",
        "          volumeMounts:",
        "            - {name: config, mountPath: /etc/app}",
        "            - {name: tmp, mountPath: /tmp}",
    ]
    return "\n".join(lines)


def doc(source, body):
    return f"---\n# Source: {source}\n{body}\n"


def release(r, idx, budget):
    """One chart's rendered output; returns (text, object count)."""
    team = r.choice(TEAMS)
    app = f"{r.choice(IMAGES)}-{idx}"
    ns = f"{team}-{idx % 97}"
    chart = app
    docs = []
    port = r.choice([8080, 8443, 9090, 3000])
    kind = "StatefulSet" if r.random() < 0.12 else "Deployment"
    lab4 = labels(r, app, "server", team, 4)
    lab8 = labels(r, app, "server", team, 8)

    def add(name, body):
        if len(docs) < budget:
            docs.append(doc(f"{chart}/templates/{name}", body))

    replicas = r.choice([1, 2, 3, 3, 5])
    containers = container(r, app, "app", port)
    if r.random() < 0.3:
        containers += "\n" + container(r, app, "sidecar", None)
    extra = ""
    if kind == "StatefulSet":
        extra = (
            f"  serviceName: {app}-headless\n"
            "  volumeClaimTemplates:\n"
            "    - metadata: {name: data}\n"
            "      spec:\n"
            "        accessModes: [ReadWriteOnce]\n"
            "        storageClassName: fast-ssd\n"
            "        resources: {requests: {storage: 20Gi}}\n"
        )
    add(
        f"{kind.lower()}.yaml",
        f"""apiVersion: apps/v1
kind: {kind}
metadata:
  name: {app}
  namespace: {ns}
  labels:
{lab4}
  annotations:
    meta.helm.sh/release-name: {app}
    meta.helm.sh/release-namespace: {ns}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app.kubernetes.io/name: {app}
      app.kubernetes.io/instance: {app}
{extra}  template:
    metadata:
      labels:
{lab8}
      annotations:
        checksum/config: {r.getrandbits(256):064x}
    spec:
      serviceAccountName: {app}
      securityContext:
        runAsNonRoot: true
        seccompProfile: {{type: RuntimeDefault}}
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: topology.kubernetes.io/zone
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels: {{app.kubernetes.io/name: {app}}}
      containers:
{containers}
      volumes:
        - name: config
          configMap: {{name: {app}-config}}
        - name: tmp
          emptyDir: {{sizeLimit: 64Mi}}""",
    )
    add(
        "service.yaml",
        f"""apiVersion: v1
kind: Service
metadata:
  name: {app}
  namespace: {ns}
  labels:
{lab4}
spec:
  type: ClusterIP
  selector:
    app.kubernetes.io/name: {app}
    app.kubernetes.io/instance: {app}
  ports:
    - name: http
      port: 80
      targetPort: http""",
    )
    # ConfigMaps: most small, some large (embedded config files)
    for c in range(r.randint(1, 3)):
        size = r.choice([200, 500, 1000, 2000, 20000]) if r.random() < 0.9 else 60000
        data_lines = []
        written = 0
        k = 0
        while written < size:
            if r.random() < 0.3:
                block = "\n".join(
                    f"      {w}.{r.getrandbits(16):x} = {r.getrandbits(48):x}" for w in range(r.randint(5, 40))
                )
                line = f"  file{k}.conf: |\n{block}"
            else:
                line = f"  key{k}: \"{r.getrandbits(64):x}-{r.getrandbits(32):x}\""
            data_lines.append(line)
            written += len(line)
            k += 1
        add(
            f"configmap-{c}.yaml",
            f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: {app}-config{'' if c == 0 else f'-{c}'}
  namespace: {ns}
  labels:
{lab4}
data:
""" + "\n".join(data_lines),
        )
    add(
        "secret.yaml",
        f"""apiVersion: v1
kind: Secret
metadata:
  name: {app}-secret
  namespace: {ns}
type: Opaque
data:
"""
        + "\n".join(
            f"  key{i}: {base64.b64encode(r.getrandbits(128).to_bytes(16, 'big')).decode()}"
            for i in range(r.randint(1, 6))
        ),
    )
    add(
        "serviceaccount.yaml",
        f"""apiVersion: v1
kind: ServiceAccount
metadata:
  name: {app}
  namespace: {ns}
automountServiceAccountToken: false""",
    )
    add(
        "role.yaml",
        f"""apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: {app}
  namespace: {ns}
rules:
  - apiGroups: [""]
    resources: [configmaps]
    resourceNames: [{app}-config]
    verbs: [get, watch]""",
    )
    add(
        "rolebinding.yaml",
        f"""apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {app}
  namespace: {ns}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: {app}}}
subjects:
  - {{kind: ServiceAccount, name: {app}, namespace: {ns}}}""",
    )
    add(
        "networkpolicy.yaml",
        f"""apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {app}
  namespace: {ns}
spec:
  podSelector:
    matchLabels: {{app.kubernetes.io/name: {app}}}
  policyTypes: [Ingress, Egress]
  ingress:
    - from:
        - namespaceSelector:
            matchLabels: {{kubernetes.io/metadata.name: ingress-nginx}}
      ports:
        - {{port: http, protocol: TCP}}
  egress:
    - to:
        - namespaceSelector:
            matchLabels: {{kubernetes.io/metadata.name: kube-system}}
          podSelector:
            matchLabels: {{k8s-app: kube-dns}}
      ports:
        - {{port: 53, protocol: UDP}}
        - {{port: 53, protocol: TCP}}""",
    )
    if replicas > 1 or r.random() < 0.3:
        add(
            "pdb.yaml",
            f"""apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {app}
  namespace: {ns}
spec:
  maxUnavailable: 1
  unhealthyPodEvictionPolicy: AlwaysAllow
  selector:
    matchLabels: {{app.kubernetes.io/name: {app}}}""",
        )
    if kind == "Deployment" and r.random() < 0.5:
        add(
            "hpa.yaml",
            f"""apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {app}
  namespace: {ns}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {app}}}
  minReplicas: 2
  maxReplicas: {r.randint(3, 20)}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target: {{type: Utilization, averageUtilization: 70}}""",
        )
    if r.random() < 0.3:
        add(
            "ingress.yaml",
            f"""apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {app}
  namespace: {ns}
spec:
  ingressClassName: nginx
  tls:
    - hosts: [{app}.example.com]
      secretName: {app}-tls
  rules:
    - host: {app}.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: {app}
                port: {{name: http}}""",
        )
    if r.random() < 0.2:
        add(
            "cronjob.yaml",
            f"""apiVersion: batch/v1
kind: CronJob
metadata:
  name: {app}-cleanup
  namespace: {ns}
spec:
  schedule: "{r.randint(0, 59)} {r.randint(0, 23)} * * *"
  concurrencyPolicy: Forbid
  startingDeadlineSeconds: 300
  jobTemplate:
    spec:
      activeDeadlineSeconds: 3600
      backoffLimit: 2
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: cleanup
              image: registry.example.com/tools/cleanup:2.{r.randint(0, 9)}.0
              resources:
                requests: {{cpu: 50m, memory: 64Mi}}
                limits: {{memory: 64Mi}}""",
        )
    if r.random() < 0.4:
        add(
            "servicemonitor.yaml",
            f"""apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {app}
  namespace: {ns}
spec:
  selector:
    matchLabels: {{app.kubernetes.io/name: {app}}}
  endpoints:
    - port: http
      interval: 30s""",
        )
    if r.random() < 0.02:
        props = "\n".join(
            f"""                field{p}:
                  type: string
                  description: "{'generated description ' * r.randint(2, 8)}\"""" for p in range(r.randint(50, 300))
        )
        add(
            "crd.yaml",
            f"""apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets{idx}.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {{kind: Widget{idx}, plural: widgets{idx}, singular: widget{idx}}}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
{props}""",
        )
    return "".join(docs), len(docs)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--objects", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    r = random.Random(args.seed)
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    total = 0
    idx = 0
    size = 0
    while total < args.objects:
        text, n = release(r, idx, args.objects - total)
        sub = os.path.join(args.out, f"release-{idx // 100:03d}")
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, f"{idx:05d}.yaml"), "w") as f:
            f.write(text)
        total += n
        size += len(text)
        idx += 1
    print(f"{args.out}: {total} objects in {idx} files, {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
