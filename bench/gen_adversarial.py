#!/usr/bin/env python3
"""Writes the shared-selector family: many objects in one namespace that all select, bind
or name the same few things, so that every cross-object relation has n x n pairs. A
linter that enumerates those pairs (or reports one finding per pair, or lists every
related object) grows quadratically in time and report size here.

    bench/gen_adversarial.py 500 > target/bench/adversarial-500.yaml
    target/release/plimsoll check --select all --format json target/bench/adversarial-500.yaml

At a given n, all in namespace `shop` (deterministic: no randomness):

- n Deployments `d<i>` whose pods share `team: shop` (each also `app: d<i>`), two
  replicas, a named port, the ServiceAccount `app`, the ConfigMap `settings` (with a key
  it lacks), the missing Secret `creds`, the missing pull secret `pull`, the missing
  PVC `data` and the missing PriorityClass `critical`: AVL002-AVL008, NET003, NET102,
  REF001-REF008, SCH002, SEC002, SEC003;
- n PodDisruptionBudgets `p<i>` selecting `team: shop`: AVL003, AVL004, AVL005 (every
  pod under n budgets), AVL011, AVL013, SCH003;
- n Services `s<i>` selecting `team: shop` with a named targetPort: NET101, NET102, the
  index's workload -> Services relation (PRB, AVL008);
- n NetworkPolicies `n<i>` selecting `team: shop`, isolating both ways and allowing
  `team: shop` both ways (no DNS): NET001-NET007, `netpol matrix` and `netpol reach`;
- n HorizontalPodAutoscalers `h<i>` and n VerticalPodAutoscalers `v<i>` on the
  Deployments `d0`-`d3` (n/4 of each on each): SCL001-SCL006, AVL001 through minReplicas;
- n RoleBindings `rb<i>` granting the Role `app` (wildcards, secrets, pods/exec,
  serviceaccounts/token) to the ServiceAccount `app`, and n RoleBindings `rbx<i>` to the
  missing Role `gone`: RBAC001-RBAC010, SEC002;
- n ClusterRoles `cr<i>` (the even ones labelled `aggregate: shop`, which the one
  aggregating ClusterRole `shop-all` selects) and n ClusterRoleBindings `crb<i>` granting
  `cr0`-`cr3` (n/4 on each) to the ServiceAccount `app`: RBAC aggregation over n roles,
  UNU005 (the odd roles past `cr3` are granted by no binding), RBAC001-RBAC010 again;
- n copies of the ConfigMap `settings` and of the Secret `tls`: META004;
- n StatefulSets `st<i>` (`tier: db`, with a container port 22) governed by the one
  headless Service `db`, which forwards a port to it: STO001, STO004, SEC008 and the
  Service -> StatefulSets relation; n PodDisruptionBudgets `m<i>` over them whose
  minAvailable no count of pods meets: AVL003, AVL005 again;
- n Ingresses `i<i>` sending to the Service `s0` by port name, behind the policies
  above, with an ingress-nginx controller in its own namespace: NET006, NET104-NET107.

Objects in all: 15n + 8 (the family in `shop` and its cluster roles, the aggregating
ClusterRole, plus the PriorityClass `batch` and the controller with its Namespace).
"""

import sys


def family(n):
    docs = [
        """apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop, kubernetes.io/metadata.name: shop}}
""",
        """apiVersion: v1
kind: ServiceAccount
metadata: {name: app, namespace: shop}
""",
        """apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: app, namespace: shop}
rules:
  - {apiGroups: [""], resources: [secrets], verbs: [get, list]}
  - {apiGroups: [""], resources: [pods/exec], verbs: [create]}
  - {apiGroups: [""], resources: [serviceaccounts/token], verbs: [create]}
  - {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}
""",
        """apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: batch}
value: 1000
""",
        """apiVersion: v1
kind: Namespace
metadata: {name: ingress-nginx, labels: {kubernetes.io/metadata.name: ingress-nginx}}
""",
        """apiVersion: apps/v1
kind: Deployment
metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
spec:
  replicas: 2
  selector: {matchLabels: {app.kubernetes.io/name: ingress-nginx}}
  template:
    metadata: {labels: {app.kubernetes.io/name: ingress-nginx}}
    spec:
      containers:
        - name: controller
          image: registry.k8s.io/ingress-nginx/controller:v1.12.0
          ports: [{name: http, containerPort: 80}]
""",
        """apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec:
  clusterIP: None
  selector: {tier: db}
  ports: [{name: pg, port: 5432, targetPort: pg}, {name: ssh, port: 2222, targetPort: ssh}]
""",
    ]
    for i in range(n):
        docs.append(
            f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: d{i}, namespace: shop}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: d{i}}}}}
  template:
    metadata: {{labels: {{app: d{i}, team: shop}}}}
    spec:
      serviceAccountName: app
      priorityClassName: critical
      imagePullSecrets: [{{name: pull}}]
      containers:
        - name: app
          image: registry.example.com/app:1.0.0
          ports: [{{name: http, containerPort: 8080}}]
          envFrom: [{{configMapRef: {{name: settings}}}}]
          env:
            - name: MODE
              valueFrom: {{configMapKeyRef: {{name: settings, key: mode}}}}
            - name: PASSWORD
              valueFrom: {{secretKeyRef: {{name: creds, key: password}}}}
          volumeMounts: [{{name: data, mountPath: /data}}]
      volumes:
        - name: data
          persistentVolumeClaim: {{claimName: data}}
"""
        )
    for i in range(n):
        docs.append(
            f"""apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: p{i}, namespace: shop}}
spec:
  maxUnavailable: 1
  selector: {{matchLabels: {{team: shop}}}}
"""
        )
    for i in range(n):
        docs.append(
            f"""apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: m{i}, namespace: shop}}
spec:
  minAvailable: 1000000
  selector: {{matchLabels: {{tier: db}}}}
"""
        )
    for i in range(n):
        docs.append(
            f"""apiVersion: v1
kind: Service
metadata: {{name: s{i}, namespace: shop}}
spec:
  selector: {{team: shop}}
  ports: [{{name: http, port: 80, targetPort: http}}]
"""
        )
    for i in range(n):
        docs.append(
            f"""apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: n{i}, namespace: shop}}
spec:
  podSelector: {{matchLabels: {{team: shop}}}}
  policyTypes: [Ingress, Egress]
  ingress:
    - from: [{{podSelector: {{matchLabels: {{team: shop}}}}}}]
  egress:
    - to: [{{podSelector: {{matchLabels: {{team: shop}}}}}}]
"""
        )
    for i in range(n):
        docs.append(
            f"""apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: h{i}, namespace: shop}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: d{i % 4}}}
  minReplicas: 2
  maxReplicas: 4
  metrics:
    - type: Resource
      resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 80}}}}
"""
        )
    for i in range(n):
        docs.append(
            f"""apiVersion: autoscaling.k8s.io/v1
kind: VerticalPodAutoscaler
metadata: {{name: v{i}, namespace: shop}}
spec:
  targetRef: {{apiVersion: apps/v1, kind: Deployment, name: d{i % 4}}}
  updatePolicy: {{updateMode: Auto}}
"""
        )
    for i in range(n):
        docs.append(
            f"""apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: rb{i}, namespace: shop}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: app}}
subjects: [{{kind: ServiceAccount, name: app, namespace: shop}}]
"""
        )
    for i in range(n):
        docs.append(
            f"""apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: rbx{i}, namespace: shop}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: gone}}
subjects: [{{kind: ServiceAccount, name: app, namespace: shop}}]
"""
        )
    docs.append(
        """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: shop-all}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {aggregate: shop}}]
rules: []
"""
    )
    for i in range(n):
        labels = "{aggregate: shop}" if i % 2 == 0 else "{tier: shop}"
        docs.append(
            f"""apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: cr{i}, labels: {labels}}}
rules:
  - {{apiGroups: [""], resources: [pods], verbs: [get, list, watch]}}
  - {{apiGroups: [""], resources: [configmaps], resourceNames: [settings], verbs: [get]}}
"""
        )
    for i in range(n):
        docs.append(
            f"""apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: crb{i}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cr{i % 4}}}
subjects: [{{kind: ServiceAccount, name: app, namespace: shop}}]
"""
        )
    for i in range(n):
        docs.append(
            f"""apiVersion: v1
kind: ConfigMap
metadata: {{name: settings, namespace: shop}}
data: {{copy: "{i}"}}
"""
        )
    for i in range(n):
        docs.append(
            f"""apiVersion: v1
kind: Secret
metadata: {{name: tls, namespace: shop}}
type: kubernetes.io/tls
stringData: {{copy: "{i}"}}
"""
        )
    for i in range(n):
        docs.append(
            f"""apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: st{i}, namespace: shop}}
spec:
  serviceName: db
  replicas: 2
  selector: {{matchLabels: {{app: st{i}}}}}
  template:
    metadata: {{labels: {{app: st{i}, tier: db}}}}
    spec:
      serviceAccountName: app
      containers:
        - name: db
          image: registry.example.com/db:1.0.0
          ports: [{{name: pg, containerPort: 5432}}, {{name: ssh, containerPort: 22}}]
"""
        )
    for i in range(n):
        docs.append(
            f"""apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: i{i}, namespace: shop}}
spec:
  tls: [{{hosts: [i{i}.example.com], secretName: tls}}]
  rules:
    - host: i{i}.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend: {{service: {{name: s0, port: {{name: http}}}}}}
"""
        )
    return docs


def main():
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit("usage: gen_adversarial.py N > family.yaml")
    sys.stdout.write("---\n".join(family(int(sys.argv[1]))))


if __name__ == "__main__":
    main()
