#!/usr/bin/env python3
"""Writes a corpus of rendered public Helm charts (and plain install manifests), the shape
of what a platform team's CI lints: the mix of kinds and object sizes real charts produce,
long annotations, embedded JSON and configuration files, CRDs left out, each release in
its own namespace.

The charts come from pinned versions of Go modules that ship them, fetched as module zips
from the Go module proxy (`$GOPROXY`, default https://proxy.golang.org) and checked against
the SHA-256 recorded below; downloads are cached in ~/.cache/plimsoll-bench (or
$PLIMSOLL_BENCH_CACHE). Each chart is rendered offline with `helm template`, with its
default values and, where one is listed, a second values set that turns on more features
(dependencies that are neither vendored nor local are left out with their condition turned
off). CustomResourceDefinitions are dropped. The renders are then replicated, release by
release, into distinct namespaces (release name and namespace rewritten, cluster-scoped
names made unique) until the corpus holds N objects: one file per release, as
`helm template` writes it.

    bench/gen_charts.py --objects 100000 --out target/bench/charts-100k [--helm PATH]

Needs helm (v3 or v4) and PyYAML. Prints the kind mix and the mean object size;
`--describe DIR` prints them for any corpus (`gen_corpus.py`'s, say).
"""

import argparse
import collections
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import urllib.request
import zipfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.environ.get("PLIMSOLL_BENCH_CACHE") or os.path.join(
    os.path.expanduser("~"), ".cache", "plimsoll-bench"
)

# The release name and namespace the charts are rendered with; replaced in each copy.
REL = "zzrel"
NS = "zzns"

# module, version, SHA-256 of the module zip
MODULES = {
    "cert-manager": ("github.com/cert-manager/cert-manager", "v1.21.2", "cfaf1fb53965a5fd60490861387b7dbf34cd40987c878a4f1e247f836eef4782"),
    "trust-manager": ("github.com/cert-manager/trust-manager", "v0.25.0", "3b57072b647f1404fe317749c565a06569e7faad4c4f700d0d84df0ff0cf6bad"),
    "approver-policy": ("github.com/cert-manager/approver-policy", "v0.28.0", "1de2cb36020237de6ff523fdcf68f6681dd67cf7a50ab8f70352aac198ad677a"),
    "cilium": ("github.com/cilium/cilium", "v1.16.5", "dd74ea6faa3a0d9d559354cd2e6a1db888a5d01a5a55361db0b372e07f4f5e5d"),
    "crossplane": ("github.com/crossplane/crossplane", "v1.18.2", "7ea2853c9d6176bb07d15817328c1603160db78e8514b43b0e9668357d2aec73"),
    "dapr": ("github.com/dapr/dapr", "v1.14.0", "ec00a1a54ff33969fcd2c5560b0d61574fb65be402923dcbb1eba35a3dc2db8b"),
    "external-secrets": ("github.com/external-secrets/external-secrets", "v1.3.2", "ff62f532fe5bbce8e749b41b46294ed6dddff86c9560c200c6304f7ef660e342"),
    "loki": ("github.com/grafana/loki/v3", "v3.3.2", "153bc8caa27a7ee393c3d966bac9ee75781d085d4be7f14fb30a6f85a05d50f7"),
    "aws-ebs-csi-driver": ("github.com/kubernetes-sigs/aws-ebs-csi-driver", "v1.44.0", "0ccb8cb9e6eabd3ffd98098c8b63f60a8cbc9cf056da56f8fa9dd8e9bdb75288"),
    "kyverno": ("github.com/kyverno/kyverno", "v1.19.1", "e9d374f6904c4b39de932ad7ade582e90159f520dbb27337415639f5ae2c73bf"),
    "gatekeeper": ("github.com/open-policy-agent/gatekeeper/v3", "v3.23.1", "3bc7d6c36d7235f7af77b5a0d7fbc592dafbdf28a4c0323c8b62eb667595e3e3"),
    "contour": ("github.com/projectcontour/contour", "v1.33.8", "39510ecacc6793aab63db7e1669ae98c3f3ca944af987829ab6a8bc850b34831"),
    "rook": ("github.com/rook/rook", "v1.16.0", "b37df45979152c6f2f017169054d048ea80b68545a7d74176c0d2ff930a7e4c9"),
    "reloader": ("github.com/stakater/Reloader", "v1.4.22", "d582350fb5f90e3dab60c28da5026cfc037548c5f8452ed817e9a2ca26ed34eb"),
    "karpenter": ("github.com/aws/karpenter-provider-aws", "v1.15.2", "052bf797ae5b731de7f7395b9e957eb182c34b30c9b8b77e068d51599a3f0b81"),
    "argo-cd": ("github.com/argoproj/argo-cd/v2", "v2.14.21", "e4692c5603777afe9f7c105603c05f343d197609300039167e19c8d6739786d1"),
    "descheduler": ("sigs.k8s.io/descheduler", "v0.36.0", "054c4e2d773d9f0146b06238c14f9d51312df10027add603e9a9d7ebbf99215a"),
    "external-dns": ("sigs.k8s.io/external-dns", "v0.23.0", "dd0cbf2a81d4bcccb00d4c154a3f7be0eada14bb98c8dbb33db0060f80f20d14"),
    "kueue": ("sigs.k8s.io/kueue", "v0.17.0", "3c2a32fe2714a4ed581dd2de3b95a32fb9b770f5a5a692e2316c4526d8d7e1b8"),
    "metrics-server": ("sigs.k8s.io/metrics-server", "v0.9.1", "295cc6af5867cf84bb6d9dc96c5a36398a38e048cae4bf43f189ed14449773e9"),
    "node-feature-discovery": ("sigs.k8s.io/node-feature-discovery", "v0.17.3", "61e5d7763f32ad5e52d70e7f17e46e33ff5137248143b8b90b5cf7ec1d6da012"),
    "secrets-store-csi-driver": ("sigs.k8s.io/secrets-store-csi-driver", "v1.4.7", "a8719017e7c29879723408163eeff256f89a21a0e87ced199ab67a2bc4064c88"),
}

# (name, module key, chart directory or manifest file in the module, values sets: each a
# list of --set assignments; the first is usually the defaults)
CHARTS = [
    ("cert-manager", "cert-manager", "deploy/charts/cert-manager", [
        [],
        ["replicaCount=2", "webhook.replicaCount=3", "cainjector.replicaCount=2",
         "podDisruptionBudget.enabled=true", "webhook.podDisruptionBudget.enabled=true",
         "cainjector.podDisruptionBudget.enabled=true", "prometheus.servicemonitor.enabled=true"],
    ]),
    ("trust-manager", "trust-manager", "deploy/charts/trust-manager", [[]]),
    ("approver-policy", "approver-policy", "deploy/charts/approver-policy", [[]]),
    ("cilium", "cilium", "install/kubernetes/cilium", [
        [],
        ["hubble.relay.enabled=true", "hubble.ui.enabled=true", "operator.prometheus.enabled=true",
         "prometheus.enabled=true", "hubble.metrics.enabled={dns,drop,tcp,flow,icmp,http}",
         "clustermesh.useAPIServer=true", "ingressController.enabled=true",
         "dashboards.enabled=true", "hubble.metrics.dashboards.enabled=true",
         "operator.dashboards.enabled=true"],
    ]),
    ("crossplane", "crossplane", "cluster/charts/crossplane", [
        [],
        ["replicas=2", "metrics.enabled=true", "rbacManager.replicas=2"],
    ]),
    ("dapr", "dapr", "charts/dapr", [[], ["global.ha.enabled=true"]]),
    ("external-secrets", "external-secrets", "deploy/charts/external-secrets", [
        [],
        ["replicaCount=2", "podDisruptionBudget.enabled=true", "serviceMonitor.enabled=true",
         "webhook.replicaCount=2", "certController.replicaCount=2"],
    ]),
    ("loki", "loki", "production/helm/loki", [
        ["deploymentMode=SingleBinary", "loki.commonConfig.replication_factor=1",
         "loki.storage.type=filesystem", "loki.useTestSchema=true", "singleBinary.replicas=1",
         "read.replicas=0", "write.replicas=0", "backend.replicas=0", "chunksCache.enabled=false",
         "resultsCache.enabled=false"],
        ["deploymentMode=SimpleScalable", "loki.storage.type=s3", "loki.useTestSchema=true",
         "loki.storage.bucketNames.chunks=c", "loki.storage.bucketNames.ruler=r",
         "loki.storage.bucketNames.admin=a", "monitoring.dashboards.enabled=true"],
    ]),
    ("aws-ebs-csi-driver", "aws-ebs-csi-driver", "charts/aws-ebs-csi-driver", [[]]),
    ("kyverno", "kyverno", "charts/kyverno", [
        ["crds.install=false"],
        ["crds.install=false", "admissionController.replicas=3", "backgroundController.replicas=2",
         "cleanupController.replicas=2", "reportsController.replicas=2", "grafana.enabled=true"],
    ]),
    ("kyverno-policies", "kyverno", "charts/kyverno-policies", [[], ["podSecurityStandard=restricted"]]),
    ("gatekeeper", "gatekeeper", "charts/gatekeeper", [[]]),
    ("rook-ceph", "rook", "deploy/charts/rook-ceph", [[]]),
    ("rook-ceph-cluster", "rook", "deploy/charts/rook-ceph-cluster", [[]]),
    ("reloader", "reloader", "deployments/kubernetes/chart/reloader", [[]]),
    ("karpenter", "karpenter", "charts/karpenter", [["settings.clusterName=prod"]]),
    ("descheduler", "descheduler", "charts/descheduler", [[], ["kind=Deployment"]]),
    ("external-dns", "external-dns", "charts/external-dns", [["policy=upsert-only"]]),
    ("kueue", "kueue", "charts/kueue", [[]]),
    ("metrics-server", "metrics-server", "charts/metrics-server", [
        [],
        ["replicas=2", "podDisruptionBudget.enabled=true"],
    ]),
    ("node-feature-discovery", "node-feature-discovery", "deployment/helm/node-feature-discovery", [[]]),
    ("secrets-store-csi-driver", "secrets-store-csi-driver", "charts/secrets-store-csi-driver", [[]]),
    # plain manifests (no namespace written: the script places them in the release's)
    ("argo-cd", "argo-cd", "manifests/install.yaml", None),
    ("argo-cd-ha", "argo-cd", "manifests/ha/install.yaml", None),
    ("contour", "contour", "examples/render/contour.yaml", None),
    ("gatekeeper-manifest", "gatekeeper", "deploy/gatekeeper.yaml", None),
]

CLUSTER_SCOPED = {
    "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
    "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "PriorityClass",
    "StorageClass", "CSIDriver", "IngressClass", "APIService", "PodSecurityPolicy",
    "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "RuntimeClass",
    "GatewayClass", "ClusterIssuer", "ClusterPolicy", "ClusterCleanupPolicy",
    "ClusterSecretStore", "ClusterExternalSecret", "VolumeSnapshotClass", "NodeFeatureRule",
    "ClusterQueue", "ResourceFlavor", "NodePool", "EC2NodeClass", "ClusterTrustBundle",
    "CiliumClusterwideNetworkPolicy", "CertificateRequestPolicy", "Bundle",
}


def module_zip(key):
    module, version, sha = MODULES[key]
    escaped = re.sub(r"[A-Z]", lambda m: "!" + m.group(0).lower(), module)
    path = os.path.join(CACHE, "zips", f"{escaped.replace('/', '_')}@{version}.zip")
    if not os.path.exists(path):
        proxy = (os.environ.get("GOPROXY") or "https://proxy.golang.org").split(",")[0].split("|")[0]
        if proxy in ("direct", "off"):
            proxy = "https://proxy.golang.org"
        url = f"{proxy.rstrip('/')}/{escaped}/@v/{version}.zip"
        print(f"fetching {url}", file=sys.stderr)
        with urllib.request.urlopen(url, timeout=300) as r:
            data = r.read()
        got = hashlib.sha256(data).hexdigest()
        if got != sha:
            sys.exit(f"{module}@{version}: SHA-256 {got}, expected {sha}")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".tmp", "wb") as f:
            f.write(data)
        os.replace(path + ".tmp", path)
    return path, f"{module}@{version}/"


def extract(key, subdir):
    """Extracts the directory holding `subdir` (a chart's siblings are its `file://../`
    dependencies) and returns the path of `subdir`."""
    zpath, prefix = module_zip(key)
    module, version, _ = MODULES[key]
    dest = os.path.join(CACHE, "src", f"{key}@{version}")
    marker = os.path.join(dest, ".done-" + subdir.replace("/", "_"))
    parent = os.path.dirname(subdir.rstrip("/"))
    if not os.path.exists(marker):
        with zipfile.ZipFile(zpath) as z:
            for name in z.namelist():
                rel = name[len(prefix):]
                if rel.startswith(parent + "/") and not name.endswith("/"):
                    out = os.path.join(dest, rel)
                    os.makedirs(os.path.dirname(out), exist_ok=True)
                    with z.open(name) as src, open(out, "wb") as f:
                        shutil.copyfileobj(src, f)
        open(marker, "w").close()
    return os.path.join(dest, subdir)


def prepare_chart(name, src):
    """A copy of the chart whose dependencies are all on disk: local (`file://`) ones are
    copied in, missing remote ones dropped. Returns (dir, --set for dropped conditions)."""
    work = os.path.join(CACHE, "work", name)
    if os.path.exists(work):
        shutil.rmtree(work)
    shutil.copytree(src, work, symlinks=False)
    chart_yaml = os.path.join(work, "Chart.yaml")
    with open(chart_yaml) as f:
        meta = yaml.safe_load(f)
    sets = []
    deps = []
    charts_dir = os.path.join(work, "charts")
    for d in meta.get("dependencies") or []:
        repo = d.get("repository") or ""
        present = os.path.isdir(os.path.join(charts_dir, d["name"]))
        if present:
            d["repository"] = ""
            deps.append(d)
        elif repo.startswith("file://"):
            target = os.path.normpath(os.path.join(src, repo[len("file://"):]))
            os.makedirs(charts_dir, exist_ok=True)
            shutil.copytree(target, os.path.join(charts_dir, d["name"]), dirs_exist_ok=True)
            d["repository"] = ""
            deps.append(d)
        elif d.get("condition"):
            for c in d["condition"].split(","):
                sets.append(f"{c.strip()}=false")
        else:
            raise RuntimeError(f"{name}: dependency {d['name']} is neither vendored nor optional")
    meta["dependencies"] = deps
    with open(chart_yaml, "w") as f:
        yaml.safe_dump(meta, f)
    lock = os.path.join(work, "Chart.lock")
    if os.path.exists(lock):
        os.remove(lock)
    return work, sets


DOC_SPLIT = re.compile(r"(?m)^---[ \t]*\n")
KIND = re.compile(r"(?m)^kind:[ \t]*['\"]?([A-Za-z0-9]+)")
META_NAME = re.compile(r"(?m)^metadata:[ \t]*\n(?:[ \t]+.*\n)*?([ \t]+)name:[ \t]*['\"]?([^'\"\n]+?)['\"]?[ \t]*$")


def split_docs(text):
    """Documents of a rendered stream as (kind, text); CRDs, empty documents and Helm
    test hooks dropped."""
    out = []
    for d in DOC_SPLIT.split(text):
        body = [l for l in d.splitlines() if l.strip() and not l.startswith("#")]
        if not body:
            continue
        m = KIND.search(d)
        if not m:
            continue
        kind = m.group(1)
        if kind == "CustomResourceDefinition" or "helm.sh/hook: test" in d:
            continue
        out.append((kind, d.rstrip("\n") + "\n"))
    return out


def place_in_namespace(kind, doc):
    """Writes `metadata.namespace: zzns` into a namespaced object that has none."""
    if kind in CLUSTER_SCOPED:
        return doc
    if re.search(r"(?m)^  namespace:", doc):
        return doc
    return re.sub(r"(?m)^metadata:[ \t]*\n", f"metadata:\n  namespace: {NS}\n", doc, count=1)


def render(helm, name, chart, sets):
    base = ["template", REL, chart, "--namespace", NS]
    args = [helm] + base
    for s in sets:
        args += ["--set", s]
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        print(f"  {name}: not rendered: {p.stderr.strip().splitlines()[0] if p.stderr.strip() else p.returncode}", file=sys.stderr)
        return None
    return p.stdout


def releases(helm):
    """Every (name, [(kind, document)]) the pinned charts render to, namespace `zzns`,
    release `zzrel`, cluster-scoped names that lack the release name listed for renaming."""
    out = []
    for name, key, path, value_sets in CHARTS:
        src = extract(key, path)
        if value_sets is None:
            with open(src) as f:
                text = f.read()
            docs = [(k, place_in_namespace(k, d)) for k, d in split_docs(text)]
            out.append((name, docs))
            continue
        chart, dropped = prepare_chart(name, src)
        for i, sets in enumerate(value_sets):
            text = render(helm, name, chart, dropped + sets)
            if text is None:
                continue
            docs = [(k, place_in_namespace(k, d)) for k, d in split_docs(text)]
            out.append((name if i == 0 else f"{name}-v{i + 1}", docs))
    return out


def fixed_cluster_names(docs):
    """Names of cluster-scoped objects that do not carry the release name: copies of the
    release would collide on them, so each copy gets them suffixed."""
    names = set()
    for kind, d in docs:
        if kind in CLUSTER_SCOPED:
            m = META_NAME.search(d)
            if m and REL not in m.group(2):
                names.add(m.group(2))
    return sorted(names, key=len, reverse=True)


def copy_release(docs, fixed, k, chart):
    rel = f"{chart}-r{k}"
    ns = f"{chart}-{k}"
    text = "".join(f"---\n{d}" for _, d in docs)
    if fixed:
        pattern = re.compile(
            r"(?m)((?:[nN]ame|- |: |roleRef:.*name): ?['\"]?)("
            + "|".join(re.escape(n) for n in fixed)
            + r")(['\"]?[ \t]*$)"
        )
        text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}-{k}{m.group(3)}", text)
    return text.replace(REL, rel).replace(NS, ns)


def describe(path):
    """The kind mix and mean object size of any corpus directory (to compare with
    `gen_corpus.py`'s)."""
    kinds = collections.Counter()
    size = 0
    sizes = []
    for d, _, fs in os.walk(path):
        for f in fs:
            if not f.endswith(".yaml"):
                continue
            with open(os.path.join(d, f), encoding="utf-8") as fh:
                text = fh.read()
            size += len(text.encode())
            for kind, doc in split_docs(text):
                kinds[kind] += 1
                sizes.append(len(doc.encode()))
    total = sum(kinds.values())
    sizes.sort()
    print(f"{path}: {total} objects, {size / 1e6:.1f} MB, mean object {size / max(total, 1):,.0f} bytes, "
          f"median {sizes[len(sizes) // 2] if sizes else 0:,} bytes, "
          f"largest 1% from {sizes[len(sizes) * 99 // 100] if sizes else 0:,} bytes")
    print_mix(kinds, total)


def print_mix(kinds, total):
    print("kind mix (share of objects):")
    for kind, n in kinds.most_common(25):
        print(f"  {kind:32} {n:7} {100 * n / total:5.1f}%")
    rest = total - sum(n for _, n in kinds.most_common(25))
    if rest:
        print(f"  {'(other kinds)':32} {rest:7} {100 * rest / total:5.1f}%")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--objects", type=int)
    ap.add_argument("--out")
    ap.add_argument("--helm", default=shutil.which("helm") or "helm")
    ap.add_argument("--describe", metavar="DIR", help="only print the kind mix and sizes of a corpus")
    args = ap.parse_args()
    if args.describe:
        describe(args.describe)
        return
    if not args.objects or not args.out:
        ap.error("--objects and --out are needed")

    rels = [(n, d) for n, d in releases(args.helm) if d]
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    fixed = {n: fixed_cluster_names(d) for n, d in rels}
    kinds = collections.Counter()
    total = size = files = 0
    k = 0
    while total < args.objects:
        for name, docs in rels:
            if total >= args.objects:
                break
            docs = docs[: args.objects - total]
            text = copy_release(docs, fixed[name], k, name)
            sub = os.path.join(args.out, name)
            os.makedirs(sub, exist_ok=True)
            with open(os.path.join(sub, f"{name}-{k:04d}.yaml"), "w") as f:
                f.write(text)
            for kind, _ in docs:
                kinds[kind] += 1
            total += len(docs)
            size += len(text.encode())
            files += 1
        k += 1
    base = sum(len(d) for _, d in rels)
    print(f"{args.out}: {total} objects in {files} files, {size / 1e6:.1f} MB, "
          f"mean object {size / total:,.0f} bytes; {len(rels)} renders of {len({n for n, *_ in CHARTS})} charts "
          f"({base} objects per round)")
    print_mix(kinds, total)
    open(os.path.join(args.out, ".complete"), "w").close()


if __name__ == "__main__":
    main()
