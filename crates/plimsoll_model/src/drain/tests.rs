//! Drain scenarios with known answers.

use super::*;
use crate::object::SourceRef;

fn cluster(yaml: &str) -> Cluster {
    let stream = plimsoll_yaml::parse_stream(yaml, plimsoll_yaml::Limits::default());
    assert!(stream.errors.is_empty(), "{:?}", stream.errors);
    let mut b = ClusterBuilder::new();
    for d in stream.documents {
        let Some(root) = d.root else { continue };
        let o = Object::from_node(
            root,
            SourceRef {
                file: None,
                doc: d.index,
                item: None,
            },
            "default",
            crate::is_cluster_scoped,
        )
        .expect("object");
        b.add(&o);
    }
    b.finish()
}

fn node(name: &str, cpu: &str, extra: &str) -> String {
    format!(
        "---\napiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\n  labels:\n    kubernetes.io/hostname: {name}\n    zone: z-{name}\n{extra}status:\n  allocatable: {{cpu: \"{cpu}\", memory: 8Gi, pods: \"110\"}}\n"
    )
}

/// A pod of ReplicaSet `rs` (or bare with rs ""), bound to `node`, Ready or not.
fn pod(name: &str, node: &str, rs: &str, app: &str, ready: bool, spec_extra: &str) -> String {
    let owner = if rs.is_empty() {
        String::new()
    } else {
        format!(
            "  ownerReferences:\n  - {{apiVersion: apps/v1, kind: ReplicaSet, name: {rs}, uid: u-{rs}, controller: true}}\n"
        )
    };
    format!(
        "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: shop\n  labels: {{app: {app}}}\n{owner}spec:\n  nodeName: {node}\n  containers:\n  - name: c\n    resources: {{requests: {{cpu: 500m, memory: 256Mi}}}}\n{spec_extra}status:\n  phase: Running\n  conditions:\n  - {{type: Ready, status: \"{}\"}}\n",
        if ready { "True" } else { "False" }
    )
}

fn rs(name: &str, replicas: i64) -> String {
    format!(
        "---\napiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: {name}\n  namespace: shop\n  uid: u-{name}\nspec:\n  replicas: {replicas}\n  selector: {{matchLabels: {{app: {name}}}}}\n"
    )
}

fn pdb(name: &str, app: &str, spec: &str) -> String {
    format!(
        "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: {name}\n  namespace: shop\nspec:\n  selector: {{matchLabels: {{app: {app}}}}}\n{spec}"
    )
}

fn run(yaml: &str, nodes: &[&str], opts: DrainOptions) -> Outcome {
    let c = cluster(yaml);
    let ids: Vec<u32> = nodes.iter().map(|n| c.node_named(n).expect(n)).collect();
    drain(c, &ids, opts)
}

fn verdict<'a>(o: &'a Outcome, name: &str) -> &'a PodOutcome {
    o.pods
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no pod {name} in {:#?}", o.pods))
}

/// Three replicas of `web`, two on n1, one on n2, and room on n3.
fn web(pdb_spec: &str, ready: [bool; 3]) -> String {
    let mut y = String::new();
    for n in ["n1", "n2", "n3"] {
        y += &node(n, "4", "");
    }
    y += &rs("web", 3);
    y += &pod("web-a", "n1", "web", "web", ready[0], "");
    y += &pod("web-b", "n1", "web", "web", ready[1], "");
    y += &pod("web-c", "n2", "web", "web", ready[2], "");
    y += &pdb("web", "web", pdb_spec);
    y
}

#[test]
fn max_unavailable_zero_blocks_forever() {
    let o = run(
        &web("  maxUnavailable: 0\n", [true; 3]),
        &["n1"],
        DrainOptions::default(),
    );
    let a = verdict(&o, "web-a");
    assert_eq!(a.verdict, Verdict::Blocked);
    assert_eq!(a.http_status, Some(429));
    let pdb = a.pdb.as_ref().unwrap();
    assert_eq!((pdb.name.as_str(), pdb.disruptions_allowed), ("web", 0));
    assert!(
        a.reason.contains("even with every pod Ready"),
        "{}",
        a.reason
    );
    assert!(!o.ok);
    assert_eq!(o.nodes[0].status, NodeStatus::Blocked);
}

#[test]
fn min_available_equal_to_replicas_blocks() {
    let o = run(
        &web("  minAvailable: 3\n", [true; 3]),
        &["n1"],
        DrainOptions::default(),
    );
    assert_eq!(verdict(&o, "web-a").verdict, Verdict::Blocked);
    assert_eq!(verdict(&o, "web-b").verdict, Verdict::Blocked);
}

#[test]
fn evictions_earlier_in_the_simulation_count() {
    // maxUnavailable 1 of 3: one eviction, then the budget is used up
    let o = run(
        &web("  maxUnavailable: 1\n", [true; 3]),
        &["n1"],
        DrainOptions::default(),
    );
    let a = verdict(&o, "web-a");
    assert_eq!(a.verdict, Verdict::Evict);
    assert_eq!(a.pdb.as_ref().unwrap().disruptions_allowed, 1);
    assert_eq!(a.rescheduled_to.as_deref(), Some("n3"));
    let b = verdict(&o, "web-b");
    assert_eq!(b.verdict, Verdict::Blocked);
    assert_eq!(b.pdb.as_ref().unwrap().disruptions_allowed, 0);
    assert!(b.reason.contains("eviction(s) before it"), "{}", b.reason);
    // maxUnavailable 2: both go
    let o = run(
        &web("  maxUnavailable: 2\n", [true; 3]),
        &["n1"],
        DrainOptions::default(),
    );
    assert!(o.ok, "{o:#?}");
}

#[test]
fn two_pdbs_on_one_pod_is_a_500() {
    let mut y = web("  maxUnavailable: 1\n", [true; 3]);
    y += &pdb("web-too", "web", "  minAvailable: 1\n");
    let o = run(&y, &["n1"], DrainOptions::default());
    let a = verdict(&o, "web-a");
    assert_eq!(a.verdict, Verdict::Blocked);
    assert_eq!(a.http_status, Some(500));
    assert_eq!(a.pdb.as_ref().unwrap().others, vec!["web-too".to_string()]);
    assert!(a.reason.contains("more than one PodDisruptionBudget"));
}

#[test]
fn unhealthy_pods_and_the_eviction_policy() {
    // web-a not Ready; minAvailable 2 with 2 healthy of 3: the budget is healthy
    // (currentHealthy 2 >= desiredHealthy 2 > 0): the unready pod goes without using it
    let o = run(
        &web("  minAvailable: 2\n", [false, true, true]),
        &["n1"],
        DrainOptions::default(),
    );
    let a = verdict(&o, "web-a");
    assert_eq!(a.verdict, Verdict::Evict, "{}", a.reason);
    assert!(a.reason.contains("is healthy"), "{}", a.reason);
    // web-b (Ready) then finds 0 allowed: 2 healthy, 2 desired
    assert_eq!(verdict(&o, "web-b").verdict, Verdict::Blocked);

    // minAvailable 3 with one unready: IfHealthyBudget blocks the unready pod...
    let o = run(
        &web("  minAvailable: 3\n", [false, true, true]),
        &["n1"],
        DrainOptions::default(),
    );
    let a = verdict(&o, "web-a");
    assert_eq!(a.verdict, Verdict::Blocked);
    assert!(a.reason.contains("IfHealthyBudget"), "{}", a.reason);
    // ... explicitly too ...
    let o = run(
        &web(
            "  minAvailable: 3\n  unhealthyPodEvictionPolicy: IfHealthyBudget\n",
            [false, true, true],
        ),
        &["n1"],
        DrainOptions::default(),
    );
    assert_eq!(verdict(&o, "web-a").verdict, Verdict::Blocked);
    // ... and AlwaysAllow lets it go (the Ready one stays blocked)
    let o = run(
        &web(
            "  minAvailable: 3\n  unhealthyPodEvictionPolicy: AlwaysAllow\n",
            [false, true, true],
        ),
        &["n1"],
        DrainOptions::default(),
    );
    let a = verdict(&o, "web-a");
    assert_eq!(a.verdict, Verdict::Evict);
    assert!(a.reason.contains("AlwaysAllow"));
    assert_eq!(verdict(&o, "web-b").verdict, Verdict::Blocked);
}

#[test]
fn status_written_by_the_controller_wins() {
    let mut y = web("  maxUnavailable: 1\n", [true; 3]);
    y = y.replace(
        "name: web\n  namespace: shop\nspec:\n  selector",
        "name: web\n  namespace: shop\n  generation: 2\nspec:\n  selector",
    );
    // the controller has not seen generation 2: 429 for every eviction
    let o = run(
        &format!(
            "{y}status: {{observedGeneration: 1, disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3}}\n"
        ),
        &["n1"],
        DrainOptions::default(),
    );
    let a = verdict(&o, "web-a");
    assert_eq!(a.verdict, Verdict::Blocked);
    assert!(a.reason.contains("not been processed"), "{}", a.reason);
    // processed: the status's disruptionsAllowed is used as written (2, not 1)
    let o = run(
        &format!(
            "{y}status: {{observedGeneration: 2, disruptionsAllowed: 2, currentHealthy: 3, desiredHealthy: 1, expectedPods: 3}}\n"
        ),
        &["n1"],
        DrainOptions::default(),
    );
    assert!(o.ok, "{o:#?}");
}

#[test]
fn bare_pods_need_force_and_refuse_the_node() {
    let mut y = web("  maxUnavailable: 3\n", [true; 3]);
    y += &pod("lonely", "n1", "", "lonely", true, "");
    let o = run(&y, &["n1"], DrainOptions::default());
    let l = verdict(&o, "lonely");
    assert_eq!(l.verdict, Verdict::NeedsForce);
    assert_eq!(o.nodes[0].status, NodeStatus::Refused);
    // nothing else on the node is evicted
    let a = verdict(&o, "web-a");
    assert_eq!(a.verdict, Verdict::Evict);
    assert!(a.reason.starts_with("not evicted"), "{}", a.reason);
    assert_eq!(a.http_status, None);
    assert!(!o.ok);
    // --force: deleted for good, not rescheduled
    let o = run(
        &y,
        &["n1"],
        DrainOptions {
            force: true,
            ..DrainOptions::default()
        },
    );
    let l = verdict(&o, "lonely");
    assert_eq!(l.verdict, Verdict::Evict);
    assert!(l.reason.contains("deleted for good"));
    assert_eq!(l.rescheduled_to, None);
    assert!(o.ok);
}

#[test]
fn emptydir_needs_the_flag() {
    let mut y = String::new();
    y += &node("n1", "4", "");
    y += &node("n2", "4", "");
    y += &rs("cache", 1);
    y += &pod(
        "cache-a",
        "n1",
        "cache",
        "cache",
        true,
        "  volumes:\n  - {name: tmp, emptyDir: {}}\n",
    );
    let o = run(&y, &["n1"], DrainOptions::default());
    assert_eq!(verdict(&o, "cache-a").verdict, Verdict::NeedsDeleteEmptydir);
    assert!(!o.ok);
    let o = run(
        &y,
        &["n1"],
        DrainOptions {
            delete_emptydir_data: true,
            ..DrainOptions::default()
        },
    );
    let c = verdict(&o, "cache-a");
    assert_eq!(c.verdict, Verdict::Evict);
    assert!(c.reason.contains("emptyDir data is lost"));
    assert!(o.ok);
}

#[test]
fn daemonset_mirror_and_terminal_pods() {
    let mut y = String::new();
    y += &node("n1", "4", "");
    y += &node("n2", "4", "");
    y += "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: agent-x\n  namespace: kube-system\n  ownerReferences:\n  - {apiVersion: apps/v1, kind: DaemonSet, name: agent, uid: u1, controller: true}\nspec:\n  nodeName: n1\n  containers: [{name: a}]\n  volumes: [{name: t, emptyDir: {}}]\nstatus: {phase: Running}\n";
    y += "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: etcd-n1\n  namespace: kube-system\n  annotations: {kubernetes.io/config.mirror: abc}\nspec:\n  nodeName: n1\n  containers: [{name: etcd}]\nstatus: {phase: Running}\n";
    y += "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: done\n  namespace: shop\nspec:\n  nodeName: n1\n  containers: [{name: j}]\n  volumes: [{name: t, emptyDir: {}}]\nstatus: {phase: Succeeded}\n";
    let o = run(&y, &["n1"], DrainOptions::default());
    assert_eq!(verdict(&o, "agent-x").verdict, Verdict::SkipDaemonset);
    assert_eq!(verdict(&o, "etcd-n1").verdict, Verdict::SkipMirror);
    assert_eq!(verdict(&o, "done").verdict, Verdict::AlreadyTerminal);
    assert!(o.ok, "{o:#?}");
    assert_eq!(o.nodes[0].status, NodeStatus::Drained);
    // a DaemonSet that the input (which holds DaemonSets) lacks: orphaned
    let y2 = format!(
        "{y}---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {{name: other, namespace: kube-system}}\nspec: {{}}\n"
    );
    let o = run(&y2, &["n1"], DrainOptions::default());
    assert_eq!(verdict(&o, "agent-x").verdict, Verdict::NeedsForce);
}

#[test]
fn taints_leave_no_room() {
    let mut y = String::new();
    y += &node("n1", "4", "");
    y += &node(
        "n2",
        "4",
        "spec:\n  taints: [{key: dedicated, value: gpu, effect: NoSchedule}]\n",
    );
    y += &node("n3", "4", "spec:\n  unschedulable: true\n");
    y += &rs("web", 1);
    y += &pod("web-a", "n1", "web", "web", true, "");
    let o = run(&y, &["n1"], DrainOptions::default());
    assert_eq!(verdict(&o, "web-a").verdict, Verdict::Evict);
    assert_eq!(o.pending.len(), 1);
    let r = &o.pending[0].reason;
    assert!(r.starts_with("0/3 nodes are available"), "{r}");
    assert!(r.contains("2 node(s) were unschedulable"), "{r}");
    assert!(
        r.contains("1 node(s) had untolerated taint {dedicated: gpu}"),
        "{r}"
    );
    assert!(!o.ok);
    // a toleration opens n2
    let y = y.replace(
        "  containers:\n  - name: c\n",
        "  tolerations: [{key: dedicated, operator: Exists}]\n  containers:\n  - name: c\n",
    );
    let o = run(&y, &["n1"], DrainOptions::default());
    assert!(o.ok, "{o:#?}");
    assert_eq!(verdict(&o, "web-a").rescheduled_to.as_deref(), Some("n2"));
}

#[test]
fn resources_and_every_named_node_cordoned_first() {
    let mut y = String::new();
    y += &node("n1", "1", "");
    y += &node("n2", "4", "");
    y += &node("n3", "600m", "");
    y += &rs("web", 2);
    y += &pod("web-a", "n1", "web", "web", true, "");
    y += &pod("web-b", "n3", "web", "web", true, "");
    // draining n1 and n2: n2 is cordoned at the start, n3 is full
    let o = run(&y, &["n1", "n2"], DrainOptions::default());
    let r = &o.pending[0].reason;
    assert!(r.contains("2 node(s) were unschedulable"), "{r}");
    assert!(r.contains("1 Insufficient cpu"), "{r}");
    // n1 alone: n2 takes it
    let o = run(&y, &["n1"], DrainOptions::default());
    assert_eq!(verdict(&o, "web-a").rescheduled_to.as_deref(), Some("n2"));
}

#[test]
fn anti_affinity_and_topology_spread() {
    let anti = "  affinity:\n    podAntiAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n      - labelSelector: {matchLabels: {app: db}}\n        topologyKey: kubernetes.io/hostname\n";
    let mut y = String::new();
    y += &node("n1", "4", "");
    y += &node("n2", "4", "");
    y += &node("n3", "4", "");
    y += &rs("db", 3);
    y += &pod("db-a", "n1", "db", "db", true, anti);
    y += &pod("db-b", "n2", "db", "db", true, anti);
    y += &pod("db-c", "n3", "db", "db", true, anti);
    let o = run(&y, &["n1"], DrainOptions::default());
    assert_eq!(o.pending.len(), 1, "{o:#?}");
    let r = &o.pending[0].reason;
    assert!(r.contains("1 node(s) were unschedulable"), "{r}");
    assert!(
        r.contains("2 node(s) didn't match pod anti-affinity rules"),
        "{r}"
    );

    // hard spread over zones with maxSkew 1: zones z-n2 and z-n3 hold one each, z-n1
    // is cordoned but still a domain with 0 -> skew 2 anywhere
    let spread = "  topologySpreadConstraints:\n  - {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: db}}}\n";
    let y = y.replace(anti, spread);
    let o = run(&y, &["n1"], DrainOptions::default());
    assert_eq!(o.pending.len(), 1, "{o:#?}");
    assert!(
        o.pending[0]
            .reason
            .contains("didn't match pod topology spread constraints"),
        "{}",
        o.pending[0].reason
    );
}

#[test]
fn plan_finds_an_order_or_names_the_pdb() {
    // web-a and web-b on n1, web-c on n2; maxUnavailable 1 with 2 pods on n1 blocks
    // n1 whatever the order; n2 alone would go
    let mut y = String::new();
    for n in ["n1", "n2", "n3"] {
        y += &node(n, "4", "");
    }
    y += &rs("web", 2);
    y += &pod("web-a", "n1", "web", "web", true, "");
    y += &pod("web-c", "n2", "web", "web", true, "");
    y += &pdb("web", "web", "  maxUnavailable: 1\n");
    let c = cluster(&y);
    let pool: Vec<u32> = ["n1", "n2", "n3"]
        .iter()
        .map(|n| c.node_named(n).unwrap())
        .collect();
    let p = plan(c, &pool, DrainOptions::default());
    assert!(p.possible, "{:#?}", p.blocked_by);
    assert_eq!(p.order.len(), 3);
    assert!(p.outcome.ok, "{:#?}", p.outcome);

    let y0 = y.replace("maxUnavailable: 1", "maxUnavailable: 0");
    let c = cluster(&y0);
    let pool: Vec<u32> = ["n1", "n2"]
        .iter()
        .map(|n| c.node_named(n).unwrap())
        .collect();
    let p = plan(c, &pool, DrainOptions::default());
    assert!(!p.possible);
    assert!(
        p.blocked_by.iter().all(|b| b.2 == "PDB web"),
        "{:#?}",
        p.blocked_by
    );
}

#[test]
fn plan_budgets_recover_between_steps() {
    // one pod of `api` on each of n1 and n2, maxUnavailable 1: the step for n1 uses the
    // budget, the replacement on n3 is Ready before the step for n2
    let mut y = String::new();
    for n in ["n1", "n2", "n3"] {
        y += &node(n, "4", "");
    }
    y += &rs("api", 2);
    y += &pod("api-a", "n1", "api", "api", true, "");
    y += &pod("api-b", "n2", "api", "api", true, "");
    y += &pdb("api", "api", "  maxUnavailable: 1\n");
    let c = cluster(&y);
    let pool: Vec<u32> = ["n1", "n2"]
        .iter()
        .map(|n| c.node_named(n).unwrap())
        .collect();
    // both Ready, maxUnavailable 1: one at a time works, budgets recover between steps
    let p = plan(c, &pool, DrainOptions::default());
    assert!(p.possible, "{:#?}", p);
    assert_eq!(p.order, vec!["n1".to_string(), "n2".to_string()]);
    let b = verdict(&p.outcome, "api-b");
    assert_eq!(b.verdict, Verdict::Evict);
    assert_eq!(b.pdb.as_ref().unwrap().disruptions_allowed, 1);
}

#[test]
fn pod_requests_follow_the_scheduler() {
    let spec = plimsoll_yaml::parse_stream(
        "initContainers:\n- {name: i, resources: {requests: {cpu: '2'}}}\n- {name: s, restartPolicy: Always, resources: {requests: {cpu: 100m, memory: 64Mi}}}\n- {name: j, resources: {requests: {cpu: '1'}}}\ncontainers:\n- {name: a, resources: {requests: {cpu: 200m}, limits: {memory: 1Gi}}}\n- {name: b, resources: {limits: {cpu: 300m}}}\noverhead: {cpu: 10m}\n",
        plimsoll_yaml::Limits::default(),
    );
    let root = spec.documents[0].root.as_ref().unwrap();
    let a = Amounts::pod_requests(Some(root));
    // containers 200m + 300m + sidecar 100m = 600m; init max(2000m, 1000m + 100m) =
    // 2000m -> 2000m, + overhead 10m
    assert_eq!(a.cpu, 2010);
    assert_eq!(a.memory, (1 << 30) + (64 << 20));
    assert_eq!(a.pods, 1);
}

#[test]
fn pods_without_status_are_taken_as_running_and_ready() {
    let mut y = node("n1", "4", "");
    y += &node("n2", "4", "");
    y += &rs("web", 1);
    y += &pod("web-a", "n1", "web", "web", true, "");
    let y = y.replace(
        "status:\n  phase: Running\n  conditions:\n  - {type: Ready, status: \"True\"}\n",
        "",
    );
    let y = y + &pdb("web", "web", "  minAvailable: 1\n");
    let c = cluster(&y);
    assert!(c.notes.iter().any(|n| n.contains("without a status")));
    let o = drain(c, &[0], DrainOptions::default());
    let a = verdict(&o, "web-a");
    assert_eq!(a.verdict, Verdict::Blocked, "{}", a.reason);
}

/// Two pools (`general` of two nodes, `spot` of one spot node) and an unlabelled
/// node; pending pods: one that fits, one too big for any node, one that only a
/// tainted pool admits.
#[test]
fn capacity_groups_pools_and_places_pending_pods() {
    let mut y = String::new();
    y += &node("g1", "2", "    eks.amazonaws.com/nodegroup: general\n");
    y += &node("g2", "2", "    eks.amazonaws.com/nodegroup: general\n");
    y += &node(
        "s1",
        "2",
        "    eks.amazonaws.com/nodegroup: spot\n    eks.amazonaws.com/capacityType: SPOT\n",
    );
    y += &node("plain", "1", "");
    y += &pod("a", "g1", "", "a", true, "");
    y += &pod("b", "g1", "", "b", true, "");
    y += &pod("c", "s1", "", "c", true, "");
    let pending = |name: &str, cpu: &str, extra: &str| {
        format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: shop\nspec:\n  containers:\n  - name: c\n    resources: {{requests: {{cpu: \"{cpu}\"}}}}\n{extra}status:\n  phase: Pending\n"
        )
    };
    y += &pending("fits", "1", "");
    y += &pending("huge", "3", "");
    y += &pending(
        "gpu",
        "1",
        "  nodeSelector: {eks.amazonaws.com/nodegroup: gpu}\n",
    );
    let c = cluster(&y);
    let cap = capacity(&c, None);
    let names: Vec<&str> = cap.pools.iter().map(PoolUsage::display).collect();
    assert_eq!(names, ["general", "spot", "(no pool label)"]);
    let general = &cap.pools[0];
    assert_eq!(general.nodes.len(), 2);
    assert_eq!(general.allocatable.cpu, 4000);
    assert_eq!(general.requested.cpu, 1000);
    assert_eq!(general.pods, 2);
    assert_eq!(general.share("cpu"), Some(0.25));
    assert_eq!(cap.pools[1].spot, 1);
    assert_eq!(cap.pending, 3);
    assert_eq!(cap.placed, 1);
    let unplaced: Vec<(&str, &[usize])> = cap
        .unplaced
        .iter()
        .map(|u| (c.pods[u.pod as usize].name.as_str(), u.pools.as_slice()))
        .collect();
    // `huge` is meant for every pool and fits in none; `gpu` for none
    assert_eq!(unplaced, [("huge", &[0, 1, 2][..]), ("gpu", &[][..])]);
    assert!(
        cap.unplaced[0].reason.contains("Insufficient cpu"),
        "{}",
        cap.unplaced[0].reason
    );
    assert_eq!(general.unplaced, 1);
    // a named label groups by it alone
    let by_zone = capacity(&c, Some("zone"));
    assert_eq!(by_zone.pools.len(), 4);
    assert_eq!(
        node_spot(&c.nodes[2].labels, &[]).as_deref(),
        Some("eks.amazonaws.com/capacityType=SPOT")
    );
    assert_eq!(
        node_spot(&c.nodes[0].labels, &["eks.amazonaws.com/nodegroup".into()]).as_deref(),
        Some("eks.amazonaws.com/nodegroup=general")
    );
}
