//! The `plimsoll` command: CLI, input discovery and the files front-end. The work is
//! done by the library crates (`plimsoll_yaml`, `plimsoll_model`, `plimsoll_rules`,
//! `plimsoll_report`); this crate does the I/O.

pub mod audit;
pub mod capacity_cmd;
pub mod check;
pub mod cli;
pub mod comments;
pub mod drain_cmd;
pub mod fix;
pub mod fix_rendered;
pub mod inputs;
pub mod netpol_cmd;
pub mod policy_cmd;
pub mod progress;
pub mod rbac_cmd;
pub mod render;
pub mod rightsize;
pub mod rules_cmd;
pub mod serve;
pub mod upgrade_cmd;

use clap::Parser;

/// Runs the command line and returns the process exit code.
pub fn main_with_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> i32 {
    // kustomize running plimsoll as its helm (see `render::helm_for_kustomize`)
    if let Some(real) = std::env::var_os(render::HELM_FOR_KUSTOMIZE_ENV) {
        let args: Vec<std::ffi::OsString> = args.into_iter().skip(1).collect();
        return render::helm_for_kustomize(std::path::Path::new(&real), &args);
    }
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let result = match &cli.command {
        cli::Command::Check(a) => check::run(a),
        cli::Command::Audit(a) => audit::run(a),
        cli::Command::Serve(a) => serve::run(a),
        cli::Command::Rightsize(a) => rightsize::run(a),
        cli::Command::Drain(a) => drain_cmd::run(a),
        cli::Command::Snapshot(a) => drain_cmd::snapshot(a),
        cli::Command::Upgrade(a) => upgrade_cmd::run(a),
        cli::Command::Capacity(a) => capacity_cmd::run(a),
        cli::Command::Rules(a) => rules_cmd::listing(a).map(|s| {
            print!("{s}");
            0
        }),
        cli::Command::Rule { code } => rules_cmd::rule(code).map(|s| {
            print!("{s}");
            0
        }),
        cli::Command::Completions { shell } => {
            let mut cmd = <cli::Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "plimsoll", &mut std::io::stdout());
            Ok(0)
        }
        cli::Command::Man { command, dir } => man(command, dir.as_deref()),
        cli::Command::Rbac(cli::RbacCommand::WhoCan(a)) => rbac_cmd::who_can(a),
        cli::Command::Netpol(cli::NetpolCommand::Matrix(a)) => netpol_cmd::matrix(a),
        cli::Command::Netpol(cli::NetpolCommand::Reach(a)) => netpol_cmd::reach(a),
        cli::Command::Policy(cli::PolicyCommand::Test(a)) => policy_cmd::test(a),
    };
    match result {
        Ok(code) => code,
        Err(check::Fatal(msg)) => {
            eprintln!("plimsoll: error: {msg}");
            2
        }
    }
}

/// The roff page of `cmd`, named `name` (`plimsoll-check`).
fn man_page(cmd: clap::Command, name: &str, bin: &str) -> Result<Vec<u8>, check::Fatal> {
    let mut out = Vec::new();
    let cmd = cmd.name(name.to_string()).bin_name(bin.to_string());
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .map_err(|e| check::Fatal(format!("cannot render the man page {name}: {e}")))?;
    Ok(out)
}

/// A man page to write: its name (`plimsoll-rbac-who-can`), the command line that
/// runs it (`plimsoll rbac who-can`) and the command.
type ManPage = (String, String, clap::Command);

/// Every page: plimsoll itself and each subcommand, nested ones too.
fn man_pages(cmd: &clap::Command, name: &str, bin: &str, out: &mut Vec<ManPage>) {
    out.push((name.to_string(), bin.to_string(), cmd.clone()));
    for sub in cmd.get_subcommands() {
        let s = sub.get_name();
        if s != "help" {
            man_pages(sub, &format!("{name}-{s}"), &format!("{bin} {s}"), out);
        }
    }
}

/// `plimsoll man [COMMAND...] [--dir DIR]`.
fn man(command: &[String], dir: Option<&std::path::Path>) -> Result<i32, check::Fatal> {
    use std::io::Write;
    let mut root = <cli::Cli as clap::CommandFactory>::command();
    root.build();
    let mut pages = Vec::new();
    man_pages(&root, "plimsoll", "plimsoll", &mut pages);
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| check::Fatal(format!("{}: cannot create: {e}", dir.display())))?;
        for (name, bin, cmd) in pages {
            let path = dir.join(format!("{name}.1"));
            std::fs::write(&path, man_page(cmd, &name, &bin)?)
                .map_err(|e| check::Fatal(format!("{}: cannot write: {e}", path.display())))?;
        }
        return Ok(0);
    }
    let wanted = std::iter::once("plimsoll")
        .chain(command.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join("-");
    let Some((name, bin, cmd)) = pages.into_iter().find(|(n, _, _)| *n == wanted) else {
        return Err(check::Fatal(format!(
            "no subcommand `{}`; `plimsoll --help` lists them",
            command.join(" ")
        )));
    };
    let _ = std::io::stdout().write_all(&man_page(cmd, &name, &bin)?);
    Ok(0)
}
