//! `plimsoll upgrade --to 1.N`: the `check` or `audit` front-end, judging at the
//! target version with the API rules and the upgrade rules (`UPG`), and the version
//! the cluster runs now as the upgrade's start (UPG005).

use std::ffi::OsString;

use plimsoll_model::KubeVersion;

use crate::check::Fatal;
use crate::cli::{Cli, Command, UpgradeArgs};

/// The rules an upgrade report runs: removed and deprecated APIs of the objects
/// themselves, and the upgrade group.
pub const RULES: &str = "API001,API002,UPG";

fn parse(flag: &str, v: &str) -> Result<KubeVersion, Fatal> {
    KubeVersion::parse(v).map_err(|e| Fatal(format!("{flag}: {e}")))
}

pub fn run(args: &UpgradeArgs) -> Result<i32, Fatal> {
    let to = parse("--to", &args.to)?;
    if to > KubeVersion::NEWEST {
        return Err(Fatal(format!(
            "--to {to}: this build knows Kubernetes up to {}, so what {to} removes is not known",
            KubeVersion::NEWEST
        )));
    }
    let from = match &args.from {
        Some(v) => {
            let from = parse("--from", v)?;
            if from >= to {
                return Err(Fatal(format!(
                    "--from {from} is not older than --to {to}: nothing to upgrade"
                )));
            }
            Some(from)
        }
        None => None,
    };
    let live = args.context.is_some() || (args.paths.is_empty() && args.kubeconfig.is_some());
    let mut argv: Vec<OsString> = vec!["plimsoll".into()];
    argv.push(if live { "audit" } else { "check" }.into());
    argv.extend(["--kube-version".into(), to.to_string().into()]);
    argv.extend(["--select".into(), RULES.into()]);
    for f in &args.formats {
        argv.extend(["--format".into(), f.into()]);
    }
    if let Some(o) = &args.output {
        argv.extend(["--output".into(), o.into()]);
    }
    if let Some(c) = &args.config {
        argv.extend(["--config".into(), c.into()]);
    }
    if args.no_config {
        argv.push("--no-config".into());
    }
    if args.no_progress {
        argv.push("--no-progress".into());
    }
    if let Some(k) = &args.kubeconfig {
        argv.extend(["--kubeconfig".into(), k.into()]);
    }
    if live {
        if !args.paths.is_empty() {
            return Err(Fatal(
                "give either paths or --context, not both: an upgrade report is about files or about a cluster".into(),
            ));
        }
        if let Some(c) = &args.context {
            argv.extend(["--context".into(), c.into()]);
        }
        if args.helm_releases {
            argv.push("--secrets".into());
        }
    } else {
        if args.helm_releases {
            return Err(Fatal(
                "--helm-releases reads a live cluster's release records (with --context); in files, the records (`kubectl get secrets -l owner=helm -o yaml`) are read with the rest".into(),
            ));
        }
        if let Some(ns) = &args.namespace {
            argv.extend(["--namespace".into(), ns.into()]);
        }
        if args.fix {
            argv.extend(["--fix".into(), "--unsafe-fixes".into()]);
        }
        if args.diff {
            argv.extend(["--diff".into(), "--unsafe-fixes".into()]);
        }
        if args.paths.is_empty() {
            argv.push(".".into());
        }
        argv.push("--".into());
        argv.extend(args.paths.iter().map(OsString::from));
    }
    let cli =
        <Cli as clap::Parser>::try_parse_from(argv).map_err(|e| Fatal(format!("upgrade: {e}")))?;
    match cli.command {
        Command::Check(mut a) => {
            // files say nothing of the cluster's version: the minor before the target
            let from = from.unwrap_or(KubeVersion::new(1, to.minor.saturating_sub(1)));
            a.run.upgrade_from = Some(from.to_string());
            steps(from, to);
            crate::check::run(&a)
        }
        Command::Audit(mut a) => {
            // the live cluster's own version, unless given
            a.run.upgrade_from = from.map(|f| f.to_string());
            if let Some(f) = from {
                steps(f, to);
            }
            crate::audit::run(&a)
        }
        _ => unreachable!("the argument list names check or audit"),
    }
}

/// Says on stderr how the control plane gets from `from` to `to`: one minor version
/// at a time.
pub(crate) fn steps(from: KubeVersion, to: KubeVersion) {
    if to.minor > from.minor + 1 {
        let path: Vec<String> = (from.minor..=to.minor).map(|m| format!("1.{m}")).collect();
        eprintln!(
            "plimsoll: upgrade {from} to {to}: control planes move one minor version at a time ({}); what any step removes is reported",
            path.join(" → ")
        );
    }
}
