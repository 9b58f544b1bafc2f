#!/usr/bin/env python3
"""Writes a large NetworkPolicy input: 2,000 Deployments and 500 policies in 20 namespaces
(a default-deny per namespace, the rest allowing tiers across labelled namespaces), for
timing `plimsoll netpol matrix`.

    bench/gen_netpol.py > target/bench/netpol-large.yaml
    time target/release/plimsoll netpol matrix --format json target/bench/netpol-large.yaml

With `--shared N`, the adversarial family instead: N Deployments in one namespace whose
pods share `team: shop` (each also `app: dN`), and N policies all selecting `team: shop`,
isolating both ways and allowing `team: shop` both ways. Every pair is allowed under N
policies per direction: a matrix that costs policies x pairs is cubic here, and a `reach`
that builds every rule's selection is quadratic.

    bench/gen_netpol.py --shared 1000 > target/bench/netpol-shared-1000.yaml
    time target/release/plimsoll netpol matrix --format json target/bench/netpol-shared-1000.yaml
    bench/gen_netpol.py --shared 5000 > target/bench/netpol-shared-5000.yaml
    time target/release/plimsoll netpol reach --from shop/Deployment/d1 \
        --to shop/Deployment/d4999 target/bench/netpol-shared-5000.yaml
"""

import random
import sys


def shared(n):
    docs = ["apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {team: shop}}\n"]
    for i in range(n):
        docs.append(
            f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: d{i}, namespace: shop}}
spec:
  selector: {{matchLabels: {{app: d{i}}}}}
  template:
    metadata: {{labels: {{team: shop, app: d{i}}}}}
    spec:
      containers:
        - name: c
          image: registry.example.com/d:1.0.0
          ports: [{{name: http, containerPort: 8080}}]
"""
        )
    for i in range(n):
        docs.append(
            f"""apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: p{i}, namespace: shop}}
spec:
  podSelector: {{matchLabels: {{team: shop}}}}
  policyTypes: [Ingress, Egress]
  ingress:
    - from:
        - podSelector: {{matchLabels: {{team: shop}}}}
  egress:
    - to:
        - podSelector: {{matchLabels: {{team: shop}}}}
"""
        )
    return docs


if len(sys.argv) == 3 and sys.argv[1] == "--shared":
    sys.stdout.write("---\n".join(shared(int(sys.argv[2]))))
    sys.exit(0)
if len(sys.argv) != 1:
    sys.exit("usage: gen_netpol.py [--shared N]")

r = random.Random(7)
docs = []
for n in range(20):
    docs.append(f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns{n}\n  labels: {{team: t{n % 5}}}\n")
for i in range(2000):
    ns = f"ns{i % 20}"
    docs.append(
        f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: w{i}, namespace: {ns}}}
spec:
  selector: {{matchLabels: {{app: w{i}}}}}
  template:
    metadata: {{labels: {{app: w{i}, tier: t{i % 4}}}}}
    spec:
      containers:
        - name: c
          image: registry.example.com/w:1.0.0
          ports: [{{name: http, containerPort: 8080}}, {{name: metrics, containerPort: 9090}}]
"""
    )
for p in range(500):
    ns = f"ns{p % 20}"
    if p < 20:
        docs.append(
            f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: default-deny, namespace: {ns}}}\n"
            "spec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n"
        )
        continue
    docs.append(
        f"""apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: p{p}, namespace: {ns}}}
spec:
  podSelector: {{matchLabels: {{tier: t{r.randrange(4)}}}}}
  policyTypes: [Ingress, Egress]
  ingress:
    - from:
        - namespaceSelector: {{matchLabels: {{team: t{r.randrange(5)}}}}}
          podSelector: {{matchLabels: {{tier: t{r.randrange(4)}}}}}
      ports: [{{port: http}}]
  egress:
    - to:
        - podSelector: {{matchLabels: {{tier: t{r.randrange(4)}}}}}
      ports: [{{port: 8080}}, {{port: 9090}}]
"""
    )
sys.stdout.write("---\n".join(docs))
