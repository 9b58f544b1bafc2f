//! Micro-benchmarks of the three stages of a check: parsing, the index build, the rule
//! pass. `cargo bench -p plimsoll_rules`; the end-to-end comparison with the peers is
//! `bench/run.py`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use plimsoll_model::{Index, KubeVersion};
use plimsoll_rules::config::Config;
use plimsoll_rules::engine::{self, Run};
use plimsoll_rules::input::load_text;
use plimsoll_rules::registry::all_rules;

/// A deterministic stream of `n` releases (Deployment, Service, ConfigMap, PDB, HPA).
fn corpus(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        let ns = format!("team-{}", i % 13);
        s.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  namespace: {ns}\n  labels: {{app.kubernetes.io/name: app-{i}, app.kubernetes.io/instance: app-{i}, team: t}}\nspec:\n  selector: {{matchLabels: {{app: app-{i}}}}}\n  template:\n    metadata:\n      labels: {{app: app-{i}, team: t}}\n    spec:\n      containers:\n        - name: app\n          image: registry.example.com/app-{i}:1.{i}.0\n          ports: [{{containerPort: 8080}}]\n          resources:\n            requests: {{cpu: 100m, memory: 128Mi}}\n            limits: {{memory: 128Mi}}\n          readinessProbe: {{httpGet: {{path: /readyz, port: 8080}}}}\n          env:\n            - {{name: A, value: \"1\"}}\n            - {{name: B, value: \"two\"}}\n\
---\napiVersion: v1\nkind: Service\nmetadata: {{name: app-{i}, namespace: {ns}}}\nspec:\n  selector: {{app: app-{i}}}\n  ports: [{{port: 80, targetPort: 8080}}]\n\
---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: app-{i}, namespace: {ns}}}\ndata:\n  settings.yaml: |\n    a: 1\n    b: 2\n  MODE: fast\n\
---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: app-{i}, namespace: {ns}}}\nspec: {{maxUnavailable: 1, selector: {{matchLabels: {{app: app-{i}}}}}}}\n\
---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: app-{i}, namespace: {ns}}}\nspec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: app-{i}}}\n  minReplicas: 2\n  maxReplicas: 5\n"
        ));
    }
    s
}

fn stages(c: &mut Criterion) {
    let text = corpus(400); // 2,000 objects
    let mut g = c.benchmark_group("check-2000-objects");
    g.throughput(criterion::Throughput::Bytes(text.len() as u64));
    g.bench_function("parse", |b| {
        b.iter(|| black_box(load_text(0, black_box(&text), "default")))
    });
    let loaded = load_text(0, &text, "default");
    g.bench_function("index", |b| {
        b.iter_batched(
            || loaded.objects.clone(),
            |objects| black_box(Index::new(objects)),
            criterion::BatchSize::LargeInput,
        )
    });
    let index = Index::new(loaded.objects.clone());
    let config = Config::default();
    let rules = all_rules().to_vec();
    g.bench_function("rules-all", |b| {
        b.iter(|| {
            black_box(engine::run(
                &index,
                &Run {
                    rules: &rules,
                    config: &config,
                    settings: &config.settings,
                    kube_version: KubeVersion::NEWEST,
                    pss_version: None,
                    facts: &loaded.facts,
                    comments: &[],
                    strict: false,
                    baseline: None,
                    live: None,
                    file_paths: &[],
                    context_files_from: None,
                },
            ))
        })
    });
    g.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
