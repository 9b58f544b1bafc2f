//! The `plimsoll` command: CLI, input discovery and the files front-end. The work is
//! done by the library crates (`plimsoll_yaml`, `plimsoll_model`, `plimsoll_rules`,
//! `plimsoll_report`); this crate does the I/O.

pub mod audit;
pub mod check;
pub mod cli;
pub mod comments;
pub mod inputs;
pub mod netpol_cmd;
pub mod rbac_cmd;
pub mod render;
pub mod rules_cmd;

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
        cli::Command::Man => {
            let cmd = <cli::Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            match clap_mangen::Man::new(cmd).render(&mut out) {
                Ok(()) => {
                    use std::io::Write;
                    let _ = std::io::stdout().write_all(&out);
                    Ok(0)
                }
                Err(e) => Err(check::Fatal(format!("cannot render the man page: {e}"))),
            }
        }
        cli::Command::Rbac(cli::RbacCommand::WhoCan(a)) => rbac_cmd::who_can(a),
        cli::Command::Netpol(cli::NetpolCommand::Matrix(a)) => netpol_cmd::matrix(a),
        cli::Command::Netpol(cli::NetpolCommand::Reach(a)) => netpol_cmd::reach(a),
    };
    match result {
        Ok(code) => code,
        Err(check::Fatal(msg)) => {
            eprintln!("plimsoll: error: {msg}");
            2
        }
    }
}
