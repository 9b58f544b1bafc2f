//! The functions of the API server's CEL environment, with the library each comes from.
//!
//! One line per overload: `library | receiver | function | arguments | result`, the receiver
//! empty for a global function. Types are spelled as in cel-go's documentation; a single
//! capital letter is a type parameter, fresh for every use of the overload.

use super::T;

/// A group of declarations switched on and off together by the API server's base
/// environment (`pkg/cel/environment/base.go`), with the Kubernetes minor version it came
/// in with and, for some, the one it left in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lib {
    /// The CEL standard library: always there.
    Std,
    /// `cel.OptionalTypes()`: 1.28.
    Optional,
    /// `cel.CrossTypeNumericComparisons(true)`: 1.28.
    CrossNumeric,
    /// Kubernetes URLs, regex and lists libraries: always there.
    K8sBase,
    /// Kubernetes lists v1 (`includes`): 1.37.
    K8sListsV1,
    /// Kubernetes authorizer library: 1.27.
    Authz,
    /// Kubernetes authorizer selectors: 1.31.
    AuthzSelectors,
    /// Kubernetes quantity library: 1.28.
    Quantity,
    /// The functions of the strings extension's version 0, there in version 0 (up to
    /// 1.28) and in version 2 (from 1.29).
    Strings0,
    /// `format`, `strings.quote` and `join`: strings extension version 2, 1.29.
    Strings2,
    /// Sets extension: 1.29.
    Sets,
    /// The AST validators for duration, timestamp and regex literals: 1.29.
    LiteralValidators,
    /// Kubernetes IP and CIDR libraries: 1.30.
    Net,
    /// Kubernetes format library: 1.31.
    Format,
    /// Two-variable comprehensions: 1.32.
    TwoVar,
    /// Kubernetes semver library: 1.33.
    Semver,
    /// Lists extension version 3: 1.34.
    Lists,
}

impl Lib {
    /// The minor version this group came in with, and the one it was removed in.
    fn versions(self) -> (u32, Option<u32>) {
        match self {
            Lib::Std | Lib::K8sBase => (0, None),
            Lib::K8sListsV1 => (37, None),
            Lib::Authz => (27, None),
            Lib::Optional | Lib::CrossNumeric | Lib::Quantity => (28, None),
            Lib::Strings0 => (0, None),
            Lib::Strings2 | Lib::Sets | Lib::LiteralValidators => (29, None),
            Lib::Net => (30, None),
            Lib::Format | Lib::AuthzSelectors => (31, None),
            Lib::TwoVar => (32, None),
            Lib::Semver => (33, None),
            Lib::Lists => (34, None),
        }
    }

    /// Whether this group is in an environment whose libraries are those introduced at or
    /// before `compat` and not removed by then (`filterAndBuildOpts`).
    pub(crate) fn in_env(self, compat: u32) -> bool {
        let (introduced, removed) = self.versions();
        introduced <= compat && removed.is_none_or(|removed| compat < removed)
    }
}

/// One overload.
pub(crate) struct Overload {
    pub(crate) lib: Lib,
    pub(crate) member: bool,
    pub(crate) name: &'static str,
    /// The receiver first for a member overload.
    pub(crate) args: Vec<T>,
    pub(crate) result: T,
}

const COMPARABLE: [&str; 8] = [
    "int",
    "uint",
    "double",
    "bool",
    "duration",
    "timestamp",
    "string",
    "bytes",
];
const SUMMABLE: [&str; 4] = ["int", "uint", "double", "duration"];

const TABLE: &str = "
Std||_+_|int,int|int
Std||_+_|uint,uint|uint
Std||_+_|double,double|double
Std||_+_|string,string|string
Std||_+_|bytes,bytes|bytes
Std||_+_|list(A),list(A)|list(A)
Std||_+_|duration,duration|duration
Std||_+_|timestamp,duration|timestamp
Std||_+_|duration,timestamp|timestamp
Std||_-_|int,int|int
Std||_-_|uint,uint|uint
Std||_-_|double,double|double
Std||_-_|timestamp,timestamp|duration
Std||_-_|timestamp,duration|timestamp
Std||_-_|duration,duration|duration
Std||_*_|int,int|int
Std||_*_|uint,uint|uint
Std||_*_|double,double|double
Std||_/_|int,int|int
Std||_/_|uint,uint|uint
Std||_/_|double,double|double
Std||_%_|int,int|int
Std||_%_|uint,uint|uint
Std||-_|int|int
Std||-_|double|double
Std||!_|bool|bool
Std||_&&_|bool,bool|bool
Std||@not_strictly_false|bool|bool
Std||_?_:_|bool,A,A|A
Std||_==_|A,A|bool
Std||_!=_|A,A|bool
Std||_[_]|list(A),int|A
Std||_[_]|map(K,V),K|V
Std||@in|A,list(A)|bool
Std||@in|A,map(A,B)|bool
Std||size|string|int
Std||size|bytes|int
Std||size|list(A)|int
Std||size|map(K,V)|int
Std|string|size||int
Std|bytes|size||int
Std|list(A)|size||int
Std|map(K,V)|size||int
Std|string|contains|string|bool
Std|string|startsWith|string|bool
Std|string|endsWith|string|bool
Std||matches|string,string|bool
Std|string|matches|string|bool
Std||int|int|int
Std||int|uint|int
Std||int|double|int
Std||int|string|int
Std||int|timestamp|int
Std||int|duration|int
Std||uint|uint|uint
Std||uint|int|uint
Std||uint|double|uint
Std||uint|string|uint
Std||double|double|double
Std||double|int|double
Std||double|uint|double
Std||double|string|double
Std||string|string|string
Std||string|int|string
Std||string|uint|string
Std||string|double|string
Std||string|bool|string
Std||string|bytes|string
Std||string|timestamp|string
Std||string|duration|string
Std||bytes|bytes|bytes
Std||bytes|string|bytes
Std||bool|bool|bool
Std||bool|string|bool
Std||dyn|A|dyn
Std||type|A|type(A)
Std||duration|duration|duration
Std||duration|string|duration
Std||timestamp|timestamp|timestamp
Std||timestamp|string|timestamp
Std||timestamp|int|timestamp
Std|timestamp|getFullYear||int
Std|timestamp|getFullYear|string|int
Std|timestamp|getMonth||int
Std|timestamp|getMonth|string|int
Std|timestamp|getDayOfYear||int
Std|timestamp|getDayOfYear|string|int
Std|timestamp|getDayOfMonth||int
Std|timestamp|getDayOfMonth|string|int
Std|timestamp|getDate||int
Std|timestamp|getDate|string|int
Std|timestamp|getDayOfWeek||int
Std|timestamp|getDayOfWeek|string|int
Std|timestamp|getHours||int
Std|timestamp|getHours|string|int
Std|timestamp|getMinutes||int
Std|timestamp|getMinutes|string|int
Std|timestamp|getSeconds||int
Std|timestamp|getSeconds|string|int
Std|timestamp|getMilliseconds||int
Std|timestamp|getMilliseconds|string|int
Std|duration|getHours||int
Std|duration|getMinutes||int
Std|duration|getSeconds||int
Std|duration|getMilliseconds||int
CrossNumeric||_<_|int,uint|bool
CrossNumeric||_<_|int,double|bool
CrossNumeric||_<_|uint,int|bool
CrossNumeric||_<_|uint,double|bool
CrossNumeric||_<_|double,int|bool
CrossNumeric||_<_|double,uint|bool
Optional||_[?_]|list(V),int|optional(V)
Optional||_[?_]|map(K,V),K|optional(V)
Optional||_[?_]|optional(list(V)),int|optional(V)
Optional||_[?_]|optional(map(K,V)),K|optional(V)
Optional||_[_]|optional(list(V)),int|optional(V)
Optional||_[_]|optional(map(K,V)),K|optional(V)
Optional||optional.of|A|optional(A)
Optional||optional.ofNonZeroValue|A|optional(A)
Optional||optional.none||optional(A)
Optional||optional.unwrap|list(optional(A))|list(A)
Optional|list(optional(A))|unwrapOpt||list(A)
Optional|list(A)|first||optional(A)
Optional|list(A)|last||optional(A)
Optional|optional(A)|value||A
Optional|optional(A)|hasValue||bool
Optional|optional(A)|or|optional(A)|optional(A)
Optional|optional(A)|orValue|A|A
K8sBase||url|string|URL
K8sBase||isURL|string|bool
K8sBase|URL|getScheme||string
K8sBase|URL|getHost||string
K8sBase|URL|getHostname||string
K8sBase|URL|getPort||string
K8sBase|URL|getEscapedPath||string
K8sBase|URL|getQuery||map(string,list(string))
K8sBase|string|find|string|string
K8sBase|string|findAll|string|list(string)
K8sBase|string|findAll|string,int|list(string)
K8sBase|list(A)|indexOf|A|int
K8sBase|list(A)|lastIndexOf|A|int
K8sListsV1|list(A)|includes|A|bool
Authz|Authorizer|path|string|PathCheck
Authz|Authorizer|group|string|GroupCheck
Authz|Authorizer|serviceAccount|string,string|Authorizer
Authz|GroupCheck|resource|string|ResourceCheck
Authz|ResourceCheck|subresource|string|ResourceCheck
Authz|ResourceCheck|namespace|string|ResourceCheck
Authz|ResourceCheck|name|string|ResourceCheck
Authz|ResourceCheck|check|string|Decision
Authz|PathCheck|check|string|Decision
Authz|Decision|allowed||bool
Authz|Decision|reason||string
Authz|Decision|errored||bool
Authz|Decision|error||string
AuthzSelectors|ResourceCheck|fieldSelector|string|ResourceCheck
AuthzSelectors|ResourceCheck|labelSelector|string|ResourceCheck
Quantity||quantity|string|Quantity
Quantity||isQuantity|string|bool
Quantity|Quantity|sign||int
Quantity|Quantity|isInteger||bool
Quantity|Quantity|asInteger||int
Quantity|Quantity|asApproximateFloat||double
Quantity|Quantity|add|Quantity|Quantity
Quantity|Quantity|add|int|Quantity
Quantity|Quantity|sub|Quantity|Quantity
Quantity|Quantity|sub|int|Quantity
Quantity|Quantity|isLessThan|Quantity|bool
Quantity|Quantity|isGreaterThan|Quantity|bool
Quantity|Quantity|compareTo|Quantity|int
Strings0|string|charAt|int|string
Strings0|string|indexOf|string|int
Strings0|string|indexOf|string,int|int
Strings0|string|lastIndexOf|string|int
Strings0|string|lastIndexOf|string,int|int
Strings0|string|lowerAscii||string
Strings0|string|upperAscii||string
Strings0|string|replace|string,string|string
Strings0|string|replace|string,string,int|string
Strings0|string|split|string|list(string)
Strings0|string|split|string,int|list(string)
Strings0|string|substring|int|string
Strings0|string|substring|int,int|string
Strings0|string|trim||string
Strings2|string|format|list(dyn)|string
Strings2||strings.quote|string|string
Strings2|list(string)|join||string
Strings2|list(string)|join|string|string
Sets||sets.contains|list(A),list(A)|bool
Sets||sets.equivalent|list(A),list(A)|bool
Sets||sets.intersects|list(A),list(A)|bool
Net||ip|string|IP
Net||isIP|string|bool
Net||ip.isCanonical|string|bool
Net|IP|family||int
Net|IP|isUnspecified||bool
Net|IP|isLoopback||bool
Net|IP|isLinkLocalMulticast||bool
Net|IP|isLinkLocalUnicast||bool
Net|IP|isGlobalUnicast||bool
Net||string|IP|string
Net||cidr|string|CIDR
Net||isCIDR|string|bool
Net|CIDR|containsIP|string|bool
Net|CIDR|containsIP|IP|bool
Net|CIDR|containsCIDR|string|bool
Net|CIDR|containsCIDR|CIDR|bool
Net|CIDR|ip||IP
Net|CIDR|masked||CIDR
Net|CIDR|prefixLength||int
Net||string|CIDR|string
Format||format.named|string|optional(NamedFormat)
Format|NamedFormat|validate|string|optional(list(string))
TwoVar||cel.@mapInsert|map(K,V),K,V|map(K,V)
TwoVar||cel.@mapInsert|map(K,V),map(K,V)|map(K,V)
TwoVar||@mapInsert|map(K,V),K,V|map(K,V)
TwoVar||@mapInsert|map(K,V),map(K,V)|map(K,V)
Semver||semver|string|Semver
Semver||semver|string,bool|Semver
Semver||isSemver|string|bool
Semver||isSemver|string,bool|bool
Semver|Semver|major||int
Semver|Semver|minor||int
Semver|Semver|patch||int
Semver|Semver|isLessThan|Semver|bool
Semver|Semver|isGreaterThan|Semver|bool
Semver|Semver|compareTo|Semver|int
Lists|list(A)|slice|int,int|list(A)
Lists|list(list(A))|flatten||list(A)
Lists|list(dyn)|flatten|int|list(dyn)
Lists||lists.range|int|list(int)
Lists|list(A)|reverse||list(A)
Lists|list(A)|distinct||list(A)
";

/// Every overload of the environment, in declaration order.
pub(crate) fn overloads() -> Vec<Overload> {
    let mut out = Vec::new();
    let mut push = |lib: Lib, receiver: &str, name: &'static str, args: &str, result: &str| {
        let mut types = Vec::new();
        if !receiver.is_empty() {
            types.push(parse_type(receiver));
        }
        types.extend(split_args(args).into_iter().map(parse_type));
        out.push(Overload {
            lib,
            member: !receiver.is_empty(),
            name,
            args: types,
            result: parse_type(result),
        });
    };
    for line in TABLE.lines().filter(|line| !line.is_empty()) {
        let parts: Vec<&'static str> = line.split('|').collect();
        let lib = match parts[0] {
            "Std" => Lib::Std,
            "CrossNumeric" => Lib::CrossNumeric,
            "Optional" => Lib::Optional,
            "K8sBase" => Lib::K8sBase,
            "K8sListsV1" => Lib::K8sListsV1,
            "Authz" => Lib::Authz,
            "AuthzSelectors" => Lib::AuthzSelectors,
            "Quantity" => Lib::Quantity,
            "Strings0" => Lib::Strings0,
            "Strings2" => Lib::Strings2,
            "Sets" => Lib::Sets,
            "Net" => Lib::Net,
            "Format" => Lib::Format,
            "TwoVar" => Lib::TwoVar,
            "Semver" => Lib::Semver,
            "Lists" => Lib::Lists,
            other => unreachable!("unknown library {other}"),
        };
        push(lib, parts[1], parts[2], parts[3], parts[4]);
    }
    // `_||_` can't be written in the table.
    push(Lib::Std, "", "_||_", "bool,bool", "bool");
    // The ordering operators, for each type with an order of its own.
    for op in ["_<_", "_<=_", "_>_", "_>=_"] {
        for t in [
            "bool",
            "int",
            "uint",
            "double",
            "string",
            "bytes",
            "timestamp",
            "duration",
        ] {
            push(Lib::Std, "", op, &format!("{t},{t}"), "bool");
        }
        if op != "_<_" {
            for (a, b) in [
                ("int", "uint"),
                ("int", "double"),
                ("uint", "int"),
                ("uint", "double"),
                ("double", "int"),
                ("double", "uint"),
            ] {
                push(Lib::CrossNumeric, "", op, &format!("{a},{b}"), "bool");
            }
        }
    }
    // Kubernetes lists: templated over the comparable and summable types.
    for t in COMPARABLE {
        push(Lib::K8sBase, &format!("list({t})"), "isSorted", "", "bool");
        push(Lib::K8sBase, &format!("list({t})"), "min", "", t);
        push(Lib::K8sBase, &format!("list({t})"), "max", "", t);
        push(
            Lib::Lists,
            &format!("list({t})"),
            "sort",
            "",
            &format!("list({t})"),
        );
        push(
            Lib::Lists,
            "list(A)",
            "@sortByAssociatedKeys",
            &format!("list({t})"),
            "list(A)",
        );
    }
    for t in SUMMABLE {
        push(Lib::K8sBase, &format!("list({t})"), "sum", "", t);
    }
    for f in crate::k8s::format::NAMES {
        let name: &'static str = format!("format.{f}").leak();
        push(Lib::Format, "", name, "", "NamedFormat");
    }
    out
}

fn split_args(args: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in args.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&args[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if !args.is_empty() {
        out.push(&args[start..]);
    }
    out
}

/// A type of the table.
pub(crate) fn parse_type(s: &str) -> T {
    let s = s.trim();
    if let Some(inner) = s.strip_suffix(')') {
        let (head, params) = inner.split_once('(').expect("a parameterized type");
        let params: Vec<T> = split_args(params).into_iter().map(parse_type).collect();
        let mut params = params.into_iter();
        let mut next = || Box::new(params.next().expect("a type parameter"));
        return match head {
            "list" => T::List(next()),
            "map" => T::Map(next(), next()),
            "optional" => T::Opt(next()),
            "type" => T::Type(next()),
            other => unreachable!("unknown type {other}"),
        };
    }
    match s {
        "int" => T::Int,
        "uint" => T::Uint,
        "double" => T::Double,
        "bool" => T::Bool,
        "string" => T::String,
        "bytes" => T::Bytes,
        "null" => T::Null,
        "dyn" => T::Dyn,
        "duration" => T::Duration,
        "timestamp" => T::Timestamp,
        "Quantity" => T::Opaque("kubernetes.Quantity"),
        "URL" => T::Opaque("kubernetes.URL"),
        "IP" => T::Opaque("net.IP"),
        "CIDR" => T::Opaque("net.CIDR"),
        "Semver" => T::Opaque("kubernetes.Semver"),
        "NamedFormat" => T::Opaque("kubernetes.NamedFormat"),
        "Authorizer" => T::Opaque("kubernetes.authorization.Authorizer"),
        "PathCheck" => T::Opaque("kubernetes.authorization.PathCheck"),
        "GroupCheck" => T::Opaque("kubernetes.authorization.GroupCheck"),
        "ResourceCheck" => T::Opaque("kubernetes.authorization.ResourceCheck"),
        "Decision" => T::Opaque("kubernetes.authorization.Decision"),
        param if param.len() == 1 => T::Param(u32::from(param.as_bytes()[0])),
        other => unreachable!("unknown type {other}"),
    }
}
