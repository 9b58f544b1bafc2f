#!/usr/bin/env python3
"""Writes a large NetworkPolicy input: 2,000 Deployments and 500 policies in 20 namespaces
(a default-deny per namespace, the rest allowing tiers across labelled namespaces), for
timing `plimsoll netpol matrix`.

    bench/gen_netpol.py > target/bench/netpol-large.yaml
    time target/release/plimsoll netpol matrix --format json target/bench/netpol-large.yaml
"""

import random
import sys

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
