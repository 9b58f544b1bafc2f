//! The command line. Every flag is documented where it is defined.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "plimsoll",
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("PLIMSOLL_GIT_COMMIT"), ")"),
    about = "Makes Kubernetes production-ready and keeps it that way",
    long_about = "plimsoll checks Kubernetes manifests against the lessons teams learn the hard way in production: \
resources and QoS, probes, disruption budgets, rollouts, autoscaling, scheduling, storage, removed APIs and YAML pitfalls. \
Every finding carries its rule code and the exact source position."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check manifests (files, directories, or `-` for stdin).
    Check(Box<CheckArgs>),
    /// Audit a live cluster through its API with the same rules, plus what only a running
    /// cluster shows (OOMKilled containers, crash loops, unschedulable pods, node
    /// pressure, PDBs that block drains, APIs requested through deprecated versions).
    Audit(Box<AuditArgs>),
    /// Serve the same rules at admission: a validating and mutating webhook
    /// (AdmissionReview v1 over HTTPS) that warns, or denies in namespaces labelled
    /// `plimsoll.dev/mode=deny`, and fails open.
    Serve(Box<ServeArgs>),
    /// Recommend requests and limits per container from the usage history in
    /// Prometheus (or anything speaking its HTTP API), with a named strategy, a
    /// confidence and the monthly cost change; `--fix` writes them into the manifests.
    Rightsize(Box<RightsizeArgs>),
    /// Simulate `kubectl drain NODE...` before running it: per pod what kubectl and the
    /// Eviction API do (evict, blocked by which PodDisruptionBudget, skipped, needs
    /// --force or --delete-emptydir-data), then whether the evicted pods fit on the
    /// nodes that remain. Reads a live cluster (read-only) or a snapshot file.
    /// `--pool LABEL=VALUE --plan` orders a node pool for a one-at-a-time replacement.
    /// Exit 1 when a pod is blocked, needs a flag, or would stay Pending; 2 on bad input.
    Drain(Box<DrainArgs>),
    /// What breaks when the cluster moves to Kubernetes `--to`: objects in removed API
    /// versions (in files, as live objects were last applied or written by their
    /// managers, in deployed Helm release records), admission webhooks and policies
    /// that will match nothing, pods the namespaces' `latest` Pod Security level starts
    /// rejecting, kubelets outside the supported skew. Reads files (as `check`) or a
    /// live cluster (`--context`, as `audit`). Exit 1 when something breaks at the
    /// target; 2 on bad input.
    Upgrade(Box<UpgradeArgs>),
    /// Write what `plimsoll drain` reads of a live cluster (Nodes, Pods,
    /// PodDisruptionBudgets and the controllers that own the pods, trimmed to what the
    /// simulation reads; never Secrets) to a file, as one List.
    Snapshot(Box<SnapshotArgs>),
    /// Node pools and what is asked of them: per pool (the pool label of EKS, GKE, AKS
    /// or Karpenter, or --pool-label) its nodes, allocatable CPU, memory and pods, the
    /// requests of the pods bound there and their share, and the pending pods that fit
    /// on no node (the scheduler's filters, as `plimsoll drain` models them). Reads a
    /// live cluster (read-only) or a snapshot file. Exit 0 when it answered, 2 on bad
    /// input.
    Capacity(Box<CapacityArgs>),
    /// List the rules.
    Rules(RulesArgs),
    /// Print the full documentation of one rule.
    Rule {
        /// A rule code (RES003) or name (memory-limit-missing).
        code: String,
    },
    /// Print a shell completion script (`plimsoll completions bash > /etc/bash_completion.d/plimsoll`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a man page (roff), generated from this command line's definition:
    /// `plimsoll man` for plimsoll(1), `plimsoll man check` for plimsoll-check(1),
    /// `plimsoll man rbac who-can`; `--dir DIR` writes every page into DIR.
    Man {
        /// The subcommand whose page to print (`check`, `rbac who-can`).
        command: Vec<String>,
        /// Write plimsoll.1 and a page per subcommand (plimsoll-check.1, ...) into DIR.
        #[arg(long, value_name = "DIR", conflicts_with = "command")]
        dir: Option<PathBuf>,
    },
    /// Questions about the RBAC objects of the input.
    #[command(subcommand)]
    Rbac(RbacCommand),
    /// Questions about the NetworkPolicies of the input: who may connect to whom.
    #[command(subcommand)]
    Netpol(NetpolCommand),
    /// ValidatingAdmissionPolicies evaluated offline, as the API server evaluates them.
    #[command(subcommand)]
    Policy(PolicyCommand),
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Evaluate ValidatingAdmissionPolicies against objects as the API server would on
    /// their creation, and print per object and binding whether it is admitted or
    /// denied, with the API server's message: the loop of a policy author.
    /// `plimsoll policy test POLICY... -- OBJECT...`: the POLICY paths hold the
    /// policies and bindings, and the params and Namespaces they read; every object
    /// of the OBJECT paths is evaluated (Namespaces and params among them are read
    /// too). Exit 0 when every object is admitted, 1 when one is denied, 2 on bad
    /// input, a policy or binding the API server would refuse included.
    Test(PolicyTestArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct PolicyTestArgs {
    /// Files and directories holding the policies, bindings, params and Namespaces.
    #[arg(required = true, value_name = "POLICY")]
    pub policies: Vec<PathBuf>,

    /// Files and directories holding the objects to evaluate (after `--`).
    #[arg(last = true, required = true, value_name = "OBJECT")]
    pub objects: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: PolicyFormat,

    /// The Kubernetes version whose CEL libraries and defaults apply (default: the
    /// newest this build knows).
    #[arg(long, value_name = "VERSION")]
    pub kube_version: Option<String>,

    /// The namespace of namespaced objects that do not name one.
    #[arg(long, short = 'n', value_name = "NAMESPACE", default_value = "default")]
    pub namespace: String,

    /// The user making the requests (`request.userInfo.username`).
    #[arg(long = "as", value_name = "USER", default_value = "admin")]
    pub user: String,

    /// A group of the user (repeatable; default `system:masters` and
    /// `system:authenticated`).
    #[arg(long = "as-group", value_name = "GROUP")]
    pub groups: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum NetpolCommand {
    /// Every allowed connection between the workloads of the input, with its ports
    /// ("all" when every port is open). A connection needs egress from the source
    /// AND ingress to the destination. Matches that depend on what the input lacks
    /// (labels of a namespace without its Namespace object, ipBlocks) count as not
    /// allowed.
    Matrix(MatrixArgs),
    /// Whether one workload may connect to another, and through which policies.
    Reach(ReachArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MatrixFormat {
    Text,
    Json,
    Dot,
    /// A self-contained SVG picture: one column per namespace, arrows with their ports.
    Svg,
}

#[derive(Debug, Args)]
pub struct MatrixArgs {
    /// Files and directories to read; `-` reads stdin.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// The namespace of namespaced objects that do not name one.
    #[arg(long, short = 'n', value_name = "NAMESPACE", default_value = "default")]
    pub namespace: String,

    /// Output format (`dot` is a Graphviz digraph, `svg` a picture to open in a browser).
    #[arg(long, value_enum, default_value = "text")]
    pub format: MatrixFormat,

    /// Group the workloads the policies cannot tell apart, and list the allowed
    /// connections between groups instead of between workloads: every workload of
    /// the source group may connect to every workload of the destination group
    /// (never to itself). The listing then grows with the workloads and the distinct
    /// groups, not with the square of the workloads (text and json only). In JSON,
    /// `sources` and `destinations` are lists of groups and each `allowed` entry
    /// names a group of each by its position.
    #[arg(long)]
    pub grouped: bool,

    /// Paths to skip (gitignore-style globs).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ReachArgs {
    /// The source workload: NAMESPACE/KIND/NAME. KIND as kubectl takes it (`deploy`,
    /// `deployment`, `Deployment`, `sts`, `po`, a CRD's names).
    #[arg(long, value_name = "NS/KIND/NAME")]
    pub from: String,

    /// The destination workload: NAMESPACE/KIND/NAME.
    #[arg(long, value_name = "NS/KIND/NAME")]
    pub to: String,

    /// A port of the destination pods: a number or a container port name, with an
    /// optional protocol (`8080`, `53/UDP`, `http`). Default: any port.
    #[arg(long, value_name = "N[/PROTO]")]
    pub port: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: WhoCanFormat,

    /// Exit 1 when the answer is "denied" (as `kubectl auth can-i` does), 0 when
    /// allowed; without it the exit code is 0 whenever the question is answered.
    #[arg(long)]
    pub exit_code: bool,

    /// Files and directories to read; `-` reads stdin.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// The namespace of namespaced objects that do not name one.
    #[arg(long, short = 'n', value_name = "NAMESPACE", default_value = "default")]
    pub namespace: String,

    /// Paths to skip (gitignore-style globs).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum RbacCommand {
    /// List every subject that may do VERB on RESOURCE, and through which binding,
    /// role and rule (exact RBAC matching over the input objects; `system:masters`
    /// always can).
    WhoCan(WhoCanArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WhoCanFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct WhoCanArgs {
    /// The verb: get, list, watch, create, update, patch, delete, deletecollection,
    /// use, bind, escalate, impersonate, approve, sign, attest or `*`; for a
    /// non-resource URL an HTTP method (get, post, put, ...). Another is an error.
    pub verb: String,

    /// The resource as kubectl takes it: plural, singular, short name or kind (`pods`,
    /// `pod`, `po`), with a group (`deployments.apps`) and a subresource (`pods/exec`,
    /// `deploy/scale`); custom resources as the input's CRDs name them. A name that
    /// resolves to nothing is an error. Or a non-resource URL starting with `/`
    /// (`/metrics`).
    pub resource: String,

    /// Files and directories to read; `-` reads stdin.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// The namespace of the question, and of namespaced objects that do not name one.
    #[arg(long, short = 'n', value_name = "NAMESPACE", default_value = "default")]
    pub namespace: String,

    /// Ask about every namespace at once: only ClusterRoleBindings count.
    #[arg(long, short = 'A')]
    pub all_namespaces: bool,

    /// The name of the object (for rules with `resourceNames`).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: WhoCanFormat,

    /// Accepted for symmetry with `check`; the configuration does not change the answer.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Paths to skip (gitignore-style globs).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    Error,
    Warning,
    Info,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorArg {
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files and directories to check; `-` reads stdin. Directories are searched
    /// recursively for .yaml, .yml and .json files, honouring .gitignore.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Namespace of namespaced objects that do not name one (as `kubectl apply -n`);
    /// also the release namespace charts are rendered in.
    #[arg(long, short = 'n', value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// Paths to skip (gitignore-style globs, relative to the searched directory).
    /// Repeatable; added to the configuration's `exclude`.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// A directory whose manifests are read for context only: every object under it is
    /// indexed (so cross-object rules see the whole project, and its namespaces count
    /// as held whole), but only what is located in the files named on the command line
    /// is reported. For pre-commit: `plimsoll check --root . CHANGED_FILES...`.
    /// Repeatable; added to the configuration's `root`. Files under a root that cannot
    /// be read or parsed are noted, not errors.
    #[arg(long = "root", value_name = "DIR")]
    pub roots: Vec<PathBuf>,

    /// A file or directory of ValidatingAdmissionPolicies and their bindings (and the
    /// params and Namespaces they read), read as an input: the POL rules evaluate every
    /// object of the run against them as the API server would. Repeatable; added to the
    /// configuration's `policies`. A path under an input directory is read once.
    #[arg(long = "policy", value_name = "PATH")]
    pub policies: Vec<PathBuf>,

    /// A directory of CustomResourceDefinitions (YAML or JSON files, as `kubectl get crd
    /// -o yaml` or a chart's `crds/` write them) that validate the custom resources of
    /// the input (the SPEC rules), as CRDs among the inputs do. Only the CRDs of its files
    /// are read, and nothing in them is reported; a file there that cannot be read is an
    /// input error. Repeatable.
    #[arg(long = "crd-dir", value_name = "DIR")]
    pub crd_dirs: Vec<PathBuf>,

    /// Make a kind without a schema an error: SPEC005 is raised to `error` and also
    /// reports the custom resources whose CustomResourceDefinition is neither among the
    /// inputs nor under `--crd-dir` (without it, those are listed as not evaluated).
    /// The configuration's `settings: {strict-schemas: true}` does the same, without
    /// the severity.
    #[arg(long)]
    pub strict_schemas: bool,

    /// Exit as usual when the input holds no Kubernetes object, or a directory named
    /// holds no manifest file. Without it either is an error (exit 2): a CI job pointed
    /// at a renamed directory, or fed an empty `helm template`, must not pass on nothing.
    #[arg(long, help_heading = "Exit code")]
    pub allow_empty: bool,

    /// Apply the safe fixes to the files (text edits that keep every comment and the
    /// formatting), then report what remains. Rendered charts and overlays, stdin and
    /// files that did not parse are never edited.
    #[arg(long, help_heading = "Fixes")]
    pub fix: bool,

    /// With --fix, --diff or --fix-only: the unsafe fixes too (they may change
    /// behaviour: `readOnlyRootFilesystem: true`, `runAsNonRoot: true`, ...).
    #[arg(long, help_heading = "Fixes")]
    pub unsafe_fixes: bool,

    /// Print a unified diff of what --fix would change and write nothing; exit 1 when
    /// there is something to fix.
    #[arg(long, help_heading = "Fixes", conflicts_with = "fix_only")]
    pub diff: bool,

    /// Apply the fixes without reporting what remains (exit 0 unless an input could
    /// not be read).
    #[arg(long, help_heading = "Fixes")]
    pub fix_only: bool,

    /// No progress indicator on stderr (it shows only on a terminal, after a second).
    #[arg(long, help_heading = "Output")]
    pub no_progress: bool,

    /// Milliseconds before the progress indicator shows.
    #[arg(long, value_name = "MS", default_value_t = 1000, hide = true)]
    pub progress_delay: u64,

    /// Report only findings that are not in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Write every current finding to this baseline file (and report none of them).
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    // before the flattened groups with a heading of their own, which would take its
    // flags under their heading
    #[command(flatten)]
    pub run: RunArgs,

    #[command(flatten)]
    pub render: RenderArgs,

    #[command(flatten)]
    pub limits: LimitArgs,
}

/// A size on the command line: bytes, or a number with KiB, MiB or GiB.
fn size_arg(s: &str) -> Result<u64, String> {
    match plimsoll_rules::config::parse_size(s)? {
        0 => Err("a limit must be at least 1 byte".into()),
        n => Ok(n),
    }
}

/// A limit's count on the command line: at least 1.
fn count_arg(s: &str) -> Result<usize, String> {
    match s.replace('_', "").parse::<usize>() {
        Ok(0) => Err("a limit must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("`{s}`: {e}")),
    }
}

/// What one input may cost. Each limit is also a key of the `limits:` mapping of
/// `.plimsoll.yaml` (`max-depth: 64`); the flag wins. An input that exceeds one is an
/// error (exit 2) naming the file, the line and the flag, and the other documents and
/// files are still checked.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Limits")]
pub struct LimitArgs {
    /// Largest input file (or standard input) read: bytes, or with KiB, MiB or GiB. A
    /// larger file is refused before it is read. [default: 256MiB]
    #[arg(long, value_name = "SIZE", value_parser = size_arg)]
    pub max_file_size: Option<u64>,

    /// Largest YAML document read (the text from one `---` to the next). A larger
    /// document is not parsed; the documents around it are. [default: 16MiB]
    #[arg(long, value_name = "SIZE", value_parser = size_arg)]
    pub max_document_size: Option<u64>,

    /// Most documents read from one file; those after it are not read. [default:
    /// 100000]
    #[arg(long, value_name = "N", value_parser = count_arg)]
    pub max_documents: Option<usize>,

    /// Deepest nesting of mappings and sequences in a document. Flow collections
    /// (`[ ]`, `{ }`) nest at most 255 levels whatever this says. [default: 256]
    #[arg(long, value_name = "N", value_parser = count_arg)]
    pub max_depth: Option<usize>,

    /// Most nodes that aliases (`*name`) may add to one document, which stops a YAML
    /// "billion laughs" bomb; anchors (`&name`) may hold ten times as many. [default:
    /// 100000]
    #[arg(long, value_name = "N", value_parser = count_arg)]
    pub max_alias_nodes: Option<usize>,

    /// Most bytes of text that aliases may add to one document (one large scalar
    /// aliased many times). [default: 32MiB]
    #[arg(long, value_name = "SIZE", value_parser = size_arg)]
    pub max_alias_bytes: Option<u64>,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the
    /// in-cluster service account).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// The kubeconfig context to use (default: its current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,

    /// Audit only this namespace (cluster-scoped objects such as nodes are still read
    /// where permitted). Default: all namespaces.
    #[arg(
        long,
        short = 'n',
        value_name = "NAMESPACE",
        conflicts_with = "all_namespaces"
    )]
    pub namespace: Option<String>,

    /// Audit every namespace (the default).
    #[arg(long, short = 'A')]
    pub all_namespaces: bool,

    /// Report only on the namespaced objects with these labels (kubectl's selector
    /// syntax: `app=shop,tier!=cache,env in (prod,staging)`). Every object is still
    /// read, so that rules looking across objects see the whole cluster; cluster-scoped
    /// objects are reported as without a selector.
    /// A file or directory of ValidatingAdmissionPolicies and their bindings (and the
    /// params and Namespaces they read), evaluated with the cluster's own against every
    /// object read (the POL rules): a policy tried on the cluster before it is applied.
    /// Repeatable; added to the configuration's `policies`.
    #[arg(long = "policy", value_name = "PATH")]
    pub policies: Vec<PathBuf>,

    #[arg(long, short = 'l', value_name = "SELECTOR")]
    pub selector: Option<String>,

    /// Also read Secrets (keys only; values are dropped as they are read) and Helm
    /// release records. Needs the `plimsoll-audit-secrets` role; without it, rules that
    /// need Secrets are reported as not evaluated.
    #[arg(long)]
    pub secrets: bool,

    /// The time "recently" is measured from (RFC 3339; default: now).
    #[arg(long, value_name = "TIME", hide = true)]
    pub now: Option<String>,

    /// Items per list request.
    #[arg(long, value_name = "N", default_value_t = 500, hide = true)]
    pub page_size: u32,

    /// No progress bar on stderr (it shows only on a terminal, after a second).
    #[arg(long)]
    pub no_progress: bool,

    /// Milliseconds before the progress bar shows.
    #[arg(long, value_name = "MS", default_value_t = 1000, hide = true)]
    pub progress_delay: u64,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// Everything is a warning; every request is allowed.
    Warn,
    /// Findings at or above --fail-on deny the request.
    Deny,
    /// Requests are not judged.
    Off,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on (HTTPS).
    #[arg(long, value_name = "ADDR:PORT", default_value = "0.0.0.0:8443")]
    pub listen: std::net::SocketAddr,

    /// A file or directory of ValidatingAdmissionPolicies and their bindings (and the
    /// params and Namespaces they read), read at start: every review is judged against
    /// them too (POL001), as the API server would judge it. The cluster's own policies
    /// are the API server's to enforce, and are not read. Repeatable; added to the
    /// configuration's `policies`.
    #[arg(long = "policy", value_name = "PATH")]
    pub policies: Vec<PathBuf>,

    /// The serving certificate (PEM, leaf first). Read again when the file changes.
    #[arg(long, value_name = "FILE")]
    pub tls_cert: PathBuf,

    /// The certificate's private key (PEM). Read again when the file changes.
    #[arg(long, value_name = "FILE")]
    pub tls_key: PathBuf,

    /// The mode of namespaces without a `plimsoll.dev/mode` label (which wins over it).
    /// Default: the configuration's `serve.mode`, else warn.
    #[arg(long, value_enum, value_name = "MODE")]
    pub mode: Option<ModeArg>,

    /// Run without cluster credentials: only the rules that judge an object on its own
    /// give findings; cross-object rules (PDB coverage, Services and NetworkPolicies
    /// that select the pods, the namespace's Pod Security level) are skipped, and
    /// namespace labels are not known (the default mode applies everywhere).
    #[arg(long)]
    pub no_cluster: bool,

    /// Refuse a request that could not be judged (deadline, internal error) instead of
    /// allowing it with a warning.
    #[arg(long)]
    pub fail_closed: bool,

    /// Deadline for judging one request (`2s`, `500ms`); past it the request is allowed
    /// (or refused with --fail-closed). Keep it below the webhook's `timeoutSeconds`.
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = duration_arg)]
    pub timeout: std::time::Duration,

    /// kubeconfig file (default: in-cluster configuration, else $KUBECONFIG or
    /// ~/.kube/config).
    #[arg(long, value_name = "FILE", conflicts_with = "no_cluster")]
    pub kubeconfig: Option<PathBuf>,

    /// kubeconfig context (default: the current context).
    #[arg(long, value_name = "NAME", conflicts_with = "no_cluster")]
    pub context: Option<String>,

    /// Rules to run instead of the default set (as `check --select`).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "SELECTOR",
        help_heading = "Rule selection"
    )]
    pub select: Option<Vec<String>>,

    /// Rules to add to the set.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "SELECTOR",
        help_heading = "Rule selection"
    )]
    pub extend_select: Vec<String>,

    /// Rules to leave out.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "SELECTOR",
        help_heading = "Rule selection"
    )]
    pub ignore: Vec<String>,

    /// The Kubernetes version to judge against (default: the cluster's, else the newest
    /// this build knows).
    #[arg(long, value_name = "VERSION", help_heading = "Kubernetes version")]
    pub kube_version: Option<String>,

    /// Pod Security Standards policy version (v1.N or latest).
    #[arg(long, value_name = "VERSION", help_heading = "Kubernetes version")]
    pub pss_version: Option<String>,

    /// In deny mode, deny when a finding is at or above this severity (default: the
    /// configuration's `fail-on`, else error); the others are warnings.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOnArg>,

    /// Configuration file (default: `.plimsoll.yaml` in the working directory or above).
    #[arg(long, value_name = "FILE", help_heading = "Configuration")]
    pub config: Option<PathBuf>,

    /// Ignore any configuration file.
    #[arg(long, conflicts_with = "config", help_heading = "Configuration")]
    pub no_config: bool,

    /// Ignore exemptions written as annotations on the objects.
    #[arg(long, help_heading = "Configuration")]
    pub strict: bool,
}

/// A duration: a number with `ms`, `s` or `m` (`2s`, `500ms`, `1.5s`).
pub fn duration_arg(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: f64 = n
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (2s, 500ms)"))?;
    let seconds = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(format!("`{text}`: give a unit, ms, s or m (2s, 500ms)")),
    };
    if !(seconds > 0.0 && seconds <= 3600.0) {
        return Err(format!("`{text}`: a duration between 1ms and 1h"));
    }
    Ok(std::time::Duration::from_secs_f64(seconds))
}

/// `plimsoll upgrade`.
#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// The Kubernetes version to upgrade to (`1.34`).
    #[arg(long, value_name = "VERSION")]
    pub to: String,

    /// The version the cluster runs now. Default: the live cluster's version; for
    /// files, the minor version before `--to` (control planes move one at a time).
    #[arg(long, value_name = "VERSION")]
    pub from: Option<String>,

    /// Manifests, charts, overlays, `kubectl get -o yaml` output or a snapshot, read as
    /// `check` reads them. Without paths and with `--context`, the live cluster.
    pub paths: Vec<PathBuf>,

    /// Read the live cluster of this kubeconfig context (read-only, as `audit`).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,

    /// The kubeconfig file (default: `$KUBECONFIG`, then `~/.kube/config`).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// Also read the deployed Helm releases' records (Secrets of type
    /// `helm.sh/release.v1`; needs the right to list Secrets). Of each, only the
    /// apiVersion, kind and name of its objects are kept: values are never read.
    #[arg(long)]
    pub helm_releases: bool,

    /// Namespace of namespaced objects in files that do not name one.
    #[arg(long, short = 'n', value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// Output format (`text`, `json`, `sarif`, `junit`, `github`, `html`), as `check`;
    /// `FMT=PATH` writes one to a file. Repeatable.
    #[arg(long = "format", value_name = "FMT[=PATH]")]
    pub formats: Vec<String>,

    /// Write the report to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output: Option<PathBuf>,

    /// Migrate the files' removed apiVersions where the migration is mechanical (the
    /// unsafe fixes of API001; files only).
    #[arg(long, conflicts_with = "context")]
    pub fix: bool,

    /// Show the migrations as a unified diff; write nothing (exit 1 when there is one).
    #[arg(long, conflicts_with_all = ["context", "fix"])]
    pub diff: bool,

    /// The configuration file (default: `.plimsoll.yaml` found from the inputs up).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Ignore any configuration file.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,

    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

/// What `check` and `audit` share: rule selection, versions, outputs, exit codes.
#[derive(Debug, Default, Args)]
pub struct RunArgs {
    /// The version before an upgrade to `--kube-version` (UPG005), set by `plimsoll
    /// upgrade`; `audit` takes the cluster's own when it is not set.
    #[arg(skip)]
    pub upgrade_from: Option<String>,

    /// Rules to run instead of the default set: codes (RES003), prefixes (RES),
    /// names (memory-limit-missing) or profiles (default, all, pss-baseline,
    /// pss-restricted). Comma-separated or repeated.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "SELECTOR",
        help_heading = "Rule selection"
    )]
    pub select: Option<Vec<String>>,

    /// Rules to add to the set.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "SELECTOR",
        help_heading = "Rule selection"
    )]
    pub extend_select: Vec<String>,

    /// Rules to leave out.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "SELECTOR",
        help_heading = "Rule selection"
    )]
    pub ignore: Vec<String>,

    /// The Kubernetes version to judge against (1.30, v1.30, 1.30.2); sets API
    /// removals and the default Pod Security policy version. Default: for `check`, the
    /// newest released Kubernetes this build knows (charts and overlays are rendered
    /// for the version when it is given: `helm template --kube-version`); for `audit`,
    /// the cluster's own version.
    #[arg(long, value_name = "VERSION", help_heading = "Kubernetes version")]
    pub kube_version: Option<String>,

    /// Pod Security Standards policy version (v1.N or latest). Default: follows
    /// --kube-version.
    #[arg(long, value_name = "VERSION", help_heading = "Kubernetes version")]
    pub pss_version: Option<String>,

    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, value_name = "SEVERITY", help_heading = "Exit code")]
    pub fail_on: Option<FailOnArg>,

    /// Exit 1 when some rule could not be evaluated for lack of context.
    #[arg(long, help_heading = "Exit code")]
    pub fail_on_not_evaluated: bool,

    /// Exit 1 when the report's score (0 to 100, as in the HTML report and the JSON
    /// `summary.score`) is below N.
    #[arg(
        long,
        value_name = "N",
        value_parser = clap::value_parser!(u32).range(0..=100),
        help_heading = "Exit code"
    )]
    pub fail_below_score: Option<u32>,

    /// Output format, optionally with a path: `text`, `sarif=plimsoll.sarif`. Repeatable.
    /// Formats: text, json, sarif (SARIF 2.1.0, for code scanning), junit (JUnit XML),
    /// github (GitHub Actions annotations), html (a self-contained page with filters).
    #[arg(long = "format", value_name = "FMT[=PATH]", help_heading = "Output")]
    pub formats: Vec<String>,

    /// Where to write the report when one format is given (default: stdout).
    #[arg(long, short = 'o', value_name = "PATH", help_heading = "Output")]
    pub output: Option<PathBuf>,

    /// Configuration file (default: `.plimsoll.yaml` found upward from the inputs, or
    /// from the working directory for `audit`).
    #[arg(long, value_name = "FILE", help_heading = "Configuration")]
    pub config: Option<PathBuf>,

    /// Ignore any configuration file.
    #[arg(long, conflicts_with = "config", help_heading = "Configuration")]
    pub no_config: bool,

    /// Ignore exemptions written as annotations on the objects.
    #[arg(long, help_heading = "Configuration")]
    pub strict: bool,

    /// Colour in text output.
    #[arg(long, value_enum, default_value = "auto", help_heading = "Output")]
    pub color: ColorArg,

    /// One line per finding in text output.
    #[arg(long, help_heading = "Output")]
    pub concise: bool,

    /// Text output: only input errors and the summary line.
    #[arg(long, short = 'q', help_heading = "Output")]
    pub quiet: bool,

    /// Text output: a count per rule instead of the findings.
    #[arg(long, help_heading = "Output")]
    pub statistics: bool,

    /// Text output: list every rule not evaluated and why, per object (by default
    /// they are counted on one line).
    #[arg(long, help_heading = "Output")]
    pub show_not_evaluated: bool,

    /// Most findings in the report. Past it, the first ones in report order (by file
    /// and line) are listed and the run ends with an error (exit 2) that counts the
    /// others: a report cut short is never a pass. [default: 1000000]
    #[arg(long, value_name = "N", value_parser = count_arg, help_heading = "Limits")]
    pub max_findings: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum RenderMode {
    /// Render charts with `helm template` and overlays with kustomize.
    #[default]
    Auto,
    /// Render nothing: a chart or overlay is an input error.
    Never,
}

/// How Helm charts and Kustomize overlays are rendered.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Helm charts and Kustomize overlays")]
pub struct RenderArgs {
    /// Whether to render the charts (directories with Chart.yaml) and overlays
    /// (directories with kustomization.yaml) found among the inputs. Their files are
    /// never read raw: with `never` each one is an input error (exit 2).
    #[arg(long, value_enum, value_name = "WHEN", default_value = "auto")]
    pub render: RenderMode,

    /// The helm binary (default: `helm` on PATH). Charts are rendered with `helm
    /// template`, offline, in a throw-away Helm home.
    #[arg(long, value_name = "PATH")]
    pub helm: Option<std::path::PathBuf>,

    /// The kustomize binary, or kubectl (a file named `kubectl*` runs as `kubectl
    /// kustomize`). Default: `kustomize` on PATH, else `kubectl` on PATH. Overlays are
    /// built with `--enable-helm` (their helmCharts use the helm of --helm; charts are
    /// never pulled from a repository).
    #[arg(long, value_name = "PATH")]
    pub kustomize: Option<std::path::PathBuf>,

    /// The release name charts are rendered with. Default: the chart's name.
    #[arg(long, value_name = "NAME")]
    pub release_name: Option<String>,

    /// A values file for every chart rendered (`helm template --values`). Repeatable;
    /// later files win.
    #[arg(long = "values", value_name = "FILE")]
    pub values: Vec<std::path::PathBuf>,

    /// A value for every chart rendered (`helm template --set`), e.g.
    /// `--set api.replicas=3`. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Table,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: RulesFormat,

    /// Only these rules (same selectors as `check --select`).
    #[arg(long, value_delimiter = ',', value_name = "SELECTOR")]
    pub select: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RightsizeFormat {
    /// A table, then the reasons and the totals.
    Text,
    /// `{"strategy", "history", "queries", "recommendations", "totals"}`
    /// (schemas/rightsize.schema.json).
    Json,
    /// A Markdown table (for a pull request or a wiki page).
    Markdown,
}

/// A `KEY=VALUE` pair on the command line.
fn key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("`{s}`: give KEY=VALUE")),
    }
}

/// A non-negative price.
fn price_arg(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("`{s}`: a price is a non-negative number")),
    }
}

#[derive(Debug, Args)]
pub struct RightsizeArgs {
    /// Manifests to size: files, directories, Helm charts and Kustomize overlays, read
    /// exactly as `check` reads them; `-` reads stdin. Default: `.` (unless --context).
    pub paths: Vec<PathBuf>,

    /// The Prometheus HTTP API to read the usage history from (`http://prometheus:9090`;
    /// Thanos, Mimir, VictoriaMetrics and the managed services speak it too).
    #[arg(long, value_name = "URL", help_heading = "Prometheus")]
    pub prometheus: String,

    /// A header sent with every query (`X-Scope-OrgID=tenant`). Repeatable.
    #[arg(long, value_name = "K=V", value_parser = key_value, help_heading = "Prometheus")]
    pub prometheus_header: Vec<(String, String)>,

    /// A file holding a bearer token, sent as `Authorization: Bearer ...`.
    #[arg(long, value_name = "FILE", help_heading = "Prometheus")]
    pub prometheus_token_file: Option<PathBuf>,

    /// PEM certificate authorities to trust for an https:// URL, instead of the system's.
    #[arg(long, value_name = "FILE", help_heading = "Prometheus")]
    pub prometheus_ca: Option<PathBuf>,

    /// A label matcher added to every selector (`cluster=prod`), for stores that hold
    /// several clusters. Repeatable.
    #[arg(long, value_name = "K=V", value_parser = key_value, help_heading = "Prometheus")]
    pub prometheus_label: Vec<(String, String)>,

    /// Deadline of one query (`30s`, `2m`).
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = duration_arg, help_heading = "Prometheus")]
    pub query_timeout: std::time::Duration,

    /// Most queries in flight at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = count_arg, help_heading = "Prometheus")]
    pub concurrency: usize,

    /// Print every PromQL query on stderr as it is sent (the JSON lists them too).
    #[arg(long, short = 'v')]
    pub verbose: bool,

    /// Read the workloads and HPAs from the live cluster of this kubeconfig context
    /// (as `audit` does) instead of from manifests.
    #[arg(long, value_name = "CTX", conflicts_with = "paths")]
    pub context: Option<String>,

    /// The kubeconfig file for --context (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, value_name = "FILE", requires = "context")]
    pub kubeconfig: Option<PathBuf>,

    /// The strategy: `p95-2x` (the production lesson: requests at the p95 of usage,
    /// memory limit twice the request, no CPU limit), `krr-simple` (KRR's `simple`:
    /// CPU p95, memory request = limit = peak × 1.15) or `vpa` (the VPA recommender's
    /// algorithm).
    #[arg(long, value_enum, default_value = "p95-2x")]
    pub strategy: crate::rightsize::strategy::Strategy,

    /// How much history to read (`14d`, `7d`, `36h`).
    #[arg(long, value_name = "DURATION", default_value = "14d")]
    pub history: String,

    /// The resolution: CPU is the rate over each step, and every step is one sample.
    #[arg(long, value_name = "DURATION", default_value = "5m")]
    pub step: String,

    /// Only these namespaces (repeatable). Namespaced objects of the manifests that do
    /// not name one are in the first, else in `default`.
    #[arg(long, short = 'n', value_name = "NS")]
    pub namespace: Vec<String>,

    /// The CPU limit to recommend: `none` (the default of p95-2x and krr-simple: an
    /// existing CPU limit is removed), `keep` (the current one), or a factor of the
    /// recommended request (`2`). The vpa strategy scales the current limit with the
    /// request unless told otherwise.
    #[arg(long, value_name = "none|keep|FACTOR")]
    pub cpu_limit: Option<String>,

    /// Fewer working-set samples than this over a container's pods: `insufficient-data`.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub min_data_points: u64,

    /// A container whose samples span less than this (from the first to the last hour
    /// with samples): `insufficient-data`.
    #[arg(long, value_name = "DURATION", default_value = "24h")]
    pub min_history: String,

    /// The price of one CPU core-hour (default: OpenCost's default on-demand price).
    #[arg(long, value_name = "USD", value_parser = price_arg, help_heading = "Money")]
    pub price_cpu: Option<f64>,

    /// The price of one GiB-hour of memory (default: OpenCost's default on-demand price).
    #[arg(long, value_name = "USD", value_parser = price_arg, help_heading = "Money")]
    pub price_memory: Option<f64>,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: RightsizeFormat,

    /// Write the recommended values into the manifests (text edits that keep comments
    /// and formatting). Rendered charts and overlays, and stdin, are not edited: the
    /// change to make is printed instead.
    #[arg(long, conflicts_with_all = ["diff", "context"])]
    pub fix: bool,

    /// Print a unified diff of what --fix would write, and write nothing.
    #[arg(long, conflicts_with = "context")]
    pub diff: bool,

    /// With --fix or --diff: for a Helm chart whose templates take the resources
    /// straight from `.Values`, write the values into the last `--values` file (without
    /// it, the values keys to set are printed).
    #[arg(long, requires = "values")]
    pub write_values: bool,

    /// Configuration file (its `settings.cost-labels` group the totals).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Paths to skip (gitignore-style globs).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// The evaluation time of the queries (seconds since the epoch; default: now).
    #[arg(long, value_name = "SECONDS", hide = true)]
    pub at: Option<f64>,

    #[command(flatten)]
    pub render: RenderArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DrainFormat {
    /// Per node, one line per pod, then the pods that stay Pending.
    Text,
    /// `{"version", "nodes", "pods", "pending", "ok"}` (schemas/drain.schema.json).
    Json,
}

/// A `LABEL=VALUE` node pool.
fn pool_arg(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.trim().to_string())),
        _ => Err(format!(
            "`{s}`: give LABEL=VALUE (`cloud.google.com/gke-nodepool=default-pool`)"
        )),
    }
}

#[derive(Debug, Args)]
pub struct DrainArgs {
    /// Nodes to drain, in this order, and snapshot files to read. An argument that is
    /// `-`, an existing file or directory, or a name ending in .yaml, .yml or .json is
    /// an input; any other is a node name. Without input files the cluster of the
    /// kubeconfig's current context (or --context) is read, as kubectl would.
    #[arg(value_name = "NODE|FILE")]
    pub args: Vec<String>,

    /// An input file (a `plimsoll snapshot` or `kubectl get nodes,pods,pdb,rs,deploy,sts,ds,jobs
    /// -A -o yaml` output; YAML or JSON, a List or several documents). Repeatable.
    #[arg(long = "file", short = 'f', value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Read this kubeconfig context's cluster (read-only: lists nodes, pods, PDBs and
    /// controllers; never Secrets).
    #[arg(long, value_name = "CTX")]
    pub context: Option<String>,

    /// The kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// Drain the nodes of a pool (nodes with this label), by name, as `kubectl drain
    /// -l LABEL=VALUE` does; with --plan, find an order for replacing them one at a time.
    #[arg(long, value_name = "LABEL=VALUE", value_parser = pool_arg)]
    pub pool: Option<(String, String)>,

    /// Plan a rolling replacement of the pool (or of the named nodes): one node at a
    /// time, each drained and replaced before the next, budgets recovering in between;
    /// the order avoids blocked steps when one exists, else the PDB that prevents it is
    /// named.
    #[arg(long)]
    pub plan: bool,

    /// As `kubectl drain --force`: pods without a controller (and those of a DaemonSet
    /// that no longer exists) are deleted for good instead of refusing the node.
    #[arg(long)]
    pub force: bool,

    /// As `kubectl drain --delete-emptydir-data`: pods with emptyDir volumes are
    /// evicted (their data lost) instead of refusing the node.
    #[arg(long)]
    pub delete_emptydir_data: bool,

    /// Accepted for kubectl's sake: the simulation always behaves as `kubectl drain
    /// --ignore-daemonsets` (DaemonSet pods stay).
    #[arg(long, hide = true)]
    pub ignore_daemonsets: bool,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: DrainFormat,

    /// No progress bar on stderr while a cluster is read.
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CapacityFormat {
    /// One row per pool, then the pods that fit nowhere.
    Text,
    /// `{"version", "pools", "total", "fitNowhere", ...}` (schemas/capacity.schema.json).
    Json,
}

#[derive(Debug, Args)]
pub struct CapacityArgs {
    /// Snapshot files to read (a `plimsoll snapshot` or `kubectl get nodes,pods -A -o
    /// yaml` output; YAML or JSON, a List or several documents; directories are searched).
    /// Without any, the cluster of the kubeconfig's current context (or --context) is
    /// read, as kubectl would.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Read this kubeconfig context's cluster (read-only: lists nodes, pods, PDBs and
    /// controllers; never Secrets).
    #[arg(long, value_name = "CTX")]
    pub context: Option<String>,

    /// The kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// The node label that names a node's pool (default: the first of
    /// karpenter.sh/nodepool, eks.amazonaws.com/nodegroup, cloud.google.com/gke-nodepool,
    /// kubernetes.azure.com/agentpool and agentpool that a node carries).
    #[arg(long, value_name = "LABEL")]
    pub pool_label: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: CapacityFormat,

    /// No progress bar on stderr while a cluster is read.
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// The kubeconfig context to read (default: its current context).
    #[arg(long, value_name = "CTX")]
    pub context: Option<String>,

    /// The kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// The file to write (`-`: stdout).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,

    /// No progress bar on stderr.
    #[arg(long)]
    pub no_progress: bool,
}
