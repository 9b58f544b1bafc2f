//! Every fix of every rule, applied to the rule's fixture as `check --fix` applies it
//! (text edits on the original bytes, pass after pass): the fixed text parses, the rule
//! no longer draws a fixable finding, it fires less than before, no new finding at
//! warning or above appears (of any rule), and every byte outside the edits is kept.
//! A rule declares `fix:` exactly when its bad fixtures draw a fix.

use std::collections::BTreeSet;
use std::path::PathBuf;

use plimsoll_model::{Index, KubeVersion};
use plimsoll_rules::config::Config;
use plimsoll_rules::engine::{self, Outcome, Run};
use plimsoll_rules::input::load_text;
use plimsoll_rules::registry::all_rules;
use plimsoll_rules::rule::{Applicability, Rule, Severity};
use plimsoll_yaml::edit::{Editor, TextEdit, apply_edits};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

struct Checked {
    index: Index,
    outcome: Outcome,
}

fn check(text: &str, rules: &[&'static dyn Rule], config: &Config) -> Result<Checked, String> {
    let loaded = load_text(0, text, config.namespace.as_deref().unwrap_or("default"));
    if !loaded.errors.is_empty() {
        return Err(format!("does not parse: {:?}", loaded.errors));
    }
    let mut index = Index::new(loaded.objects);
    index.hold_namespaces_of(|o| o.annotation("plimsoll.test/read-from") == Some("directory"));
    let kube_version = config
        .kube_version
        .as_deref()
        .map(|v| KubeVersion::parse(v).unwrap())
        .unwrap_or(KubeVersion::NEWEST);
    let outcome = engine::run(
        &index,
        &Run {
            rules,
            config,
            settings: &config.settings,
            kube_version,
            pss_version: None,
            facts: &loaded.facts,
            comments: &[],
            strict: false,
            baseline: None,
            live: None,
            file_paths: &[],
            context_files_from: None,
        },
    );
    Ok(Checked { index, outcome })
}

/// One pass of `--fix --unsafe-fixes` over the findings: the edits taken.
fn one_pass(text: &str, c: &Checked) -> Result<Vec<TextEdit>, String> {
    let mut taken: Vec<TextEdit> = Vec::new();
    for f in &c.outcome.findings {
        let Some(fix) = &f.fix else { continue };
        if fix.applicability == Applicability::DisplayOnly {
            continue;
        }
        let o = c.index.object(f.object);
        let edits = Editor::new(text, &o.root)
            .edits(&o.root, &fix.edits)
            .map_err(|e| format!("fix `{}` cannot be placed: {e}", fix.title))?;
        let mut with = taken.clone();
        with.extend(edits);
        if apply_edits(text, &with).is_some() {
            taken = with;
        }
    }
    Ok(taken)
}

/// Findings at warning or above, by rule, object and path.
fn serious(c: &Checked) -> BTreeSet<(String, String, String)> {
    c.outcome
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .map(|f| {
            (
                f.rule.code.to_string(),
                c.index.object(f.object).display_name(),
                f.path.to_string(),
            )
        })
        .collect()
}

#[test]
fn every_fix_repairs_its_fixture_and_keeps_the_rest() {
    let mut failures = Vec::new();
    let everything: Vec<&'static dyn Rule> = all_rules().to_vec();
    let (mut with_fix, mut by_kind) = (0, [0usize; 3]);
    for rule in all_rules() {
        let meta = rule.meta();
        let dir = fixtures().join(meta.group().to_ascii_lowercase());
        let Ok(text) = std::fs::read_to_string(dir.join(format!("{}.yaml", meta.code))) else {
            continue;
        };
        if dir.join(format!("{}.metrics", meta.code)).exists() {
            continue; // live-only facts
        }
        let config = match std::fs::read_to_string(dir.join(format!("{}.plimsoll.yaml", meta.code)))
        {
            Ok(t) => Config::from_yaml(&t).expect("fixture config parses"),
            Err(_) => Config::default(),
        };
        let one = [*rule];
        let Ok(before) = check(&text, &one, &config) else {
            continue;
        };
        let fixes: Vec<Applicability> = before
            .outcome
            .findings
            .iter()
            .filter_map(|f| f.fix.as_ref().map(|x| x.applicability))
            .collect();
        match (meta.fix, fixes.first()) {
            (None, Some(_)) => failures.push(format!(
                "{}: findings carry a fix but the rule declares no `fix:`",
                meta.code
            )),
            (Some(_), None) => failures.push(format!(
                "{}: declares a fix but no finding of its fixture carries one",
                meta.code
            )),
            (Some(declared), Some(_)) => {
                if fixes.iter().any(|a| *a != declared) {
                    failures.push(format!(
                        "{}: declares {declared:?} fixes but draws {fixes:?}",
                        meta.code
                    ));
                }
                with_fix += 1;
                by_kind[declared as usize] += 1;
            }
            (None, None) => {}
        }
        if meta.fix.is_none() || meta.fix == Some(Applicability::DisplayOnly) {
            continue;
        }
        // --fix --unsafe-fixes, pass after pass
        let mut current = text.clone();
        let mut checked = before;
        let mut passes = 0;
        let mut failed = false;
        loop {
            let edits = match one_pass(&current, &checked) {
                Ok(e) => e,
                Err(e) => {
                    failures.push(format!("{}: {e}", meta.code));
                    failed = true;
                    break;
                }
            };
            if edits.is_empty() {
                break;
            }
            let next = apply_edits(&current, &edits).expect("edits taken do not overlap");
            // every byte outside the edits is kept
            let first = edits.iter().map(|e| e.start).min().unwrap();
            let last = edits.iter().map(|e| e.end).max().unwrap();
            let tail = current.len() - last;
            if next[..first] != current[..first] || next[next.len() - tail..] != current[last..] {
                failures.push(format!("{}: bytes outside the edits changed", meta.code));
            }
            current = next;
            checked = match check(&current, &one, &config) {
                Ok(c) => c,
                Err(e) => {
                    failures.push(format!("{}: the fixed text {e}:\n{current}", meta.code));
                    failed = true;
                    break;
                }
            };
            passes += 1;
            if passes == 10 {
                failures.push(format!("{}: still fixing after 10 passes", meta.code));
                failed = true;
                break;
            }
        }
        if failed {
            continue;
        }
        let after = checked;
        let before = check(&text, &one, &config).unwrap();
        if after.outcome.findings.iter().any(|f| {
            f.fix
                .as_ref()
                .is_some_and(|x| x.applicability != Applicability::DisplayOnly)
        }) {
            failures.push(format!(
                "{}: a fixable finding remains after fixing:\n{current}",
                meta.code
            ));
        }
        if after.outcome.findings.len() >= before.outcome.findings.len() {
            failures.push(format!(
                "{}: fires {} times after fixing, {} before",
                meta.code,
                after.outcome.findings.len(),
                before.outcome.findings.len()
            ));
        }
        // no new finding at warning or above, of any rule
        let all_before = serious(&check(&text, &everything, &config).unwrap());
        let all_after = serious(&check(&current, &everything, &config).unwrap());
        let new: Vec<_> = all_after.difference(&all_before).collect();
        if !new.is_empty() {
            failures.push(format!(
                "{}: fixing brings new findings: {new:?}\n{current}",
                meta.code
            ));
        }
    }
    println!(
        "{with_fix} rules with a fix: {} safe, {} unsafe, {} display-only",
        by_kind[0], by_kind[1], by_kind[2]
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
