//! Label selectors (`matchLabels` + `matchExpressions`, and the plain maps Services use).

use plimsoll_yaml::Node;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectorOp {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub op: SelectorOp,
    pub values: Vec<String>,
}

/// A parsed label selector. Every requirement must hold (AND).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    pub requirements: Vec<Requirement>,
}

impl LabelSelector {
    /// Parses a `metav1.LabelSelector`. `None` when it cannot be parsed (an unknown
    /// operator, values with Exists): Kubernetes would reject it, and a rule must not
    /// guess what it selects.
    pub fn from_label_selector(node: &Node) -> Option<LabelSelector> {
        let mut requirements = Vec::new();
        if let Some(ml) = node.get("matchLabels") {
            for e in ml.entries() {
                requirements.push(Requirement {
                    key: e.key.to_string(),
                    op: SelectorOp::In,
                    values: vec![e.value.as_text().unwrap_or("").to_string()],
                });
            }
        }
        if let Some(me) = node.get("matchExpressions") {
            for expr in me.items() {
                let key = expr.get("key")?.as_text()?.to_string();
                let op = match expr.get("operator")?.as_text()? {
                    "In" => SelectorOp::In,
                    "NotIn" => SelectorOp::NotIn,
                    "Exists" => SelectorOp::Exists,
                    "DoesNotExist" => SelectorOp::DoesNotExist,
                    _ => return None,
                };
                let values: Vec<String> = expr
                    .get("values")
                    .map(Node::items)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|v| v.as_text().map(str::to_string))
                    .collect();
                match op {
                    SelectorOp::In | SelectorOp::NotIn if values.is_empty() => return None,
                    SelectorOp::Exists | SelectorOp::DoesNotExist if !values.is_empty() => {
                        return None;
                    }
                    _ => {}
                }
                requirements.push(Requirement { key, op, values });
            }
        }
        Some(LabelSelector { requirements })
    }

    /// A Service-style selector: a plain map of labels.
    pub fn from_map(node: &Node) -> LabelSelector {
        LabelSelector {
            requirements: node
                .entries()
                .iter()
                .map(|e| Requirement {
                    key: e.key.to_string(),
                    op: SelectorOp::In,
                    values: vec![e.value.as_text().unwrap_or("").to_string()],
                })
                .collect(),
        }
    }

    /// An empty selector. What it selects depends on the API: everything for a
    /// policy/v1 PDB or a NetworkPolicy podSelector, nothing for a Service.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    pub fn matches<'a>(&self, labels: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.requirements.iter().all(|r| {
            let v = labels(&r.key);
            match r.op {
                SelectorOp::In => v.is_some_and(|v| r.values.iter().any(|x| x == v)),
                SelectorOp::NotIn => v.is_none_or(|v| r.values.iter().all(|x| x != v)),
                SelectorOp::Exists => v.is_some(),
                SelectorOp::DoesNotExist => v.is_none(),
            }
        })
    }

    /// Matches against (key, value) pairs.
    pub fn matches_pairs<'a>(&self, pairs: &[(&'a str, &'a str)]) -> bool {
        self.matches(|k| pairs.iter().find(|(pk, _)| *pk == k).map(|(_, v)| *v))
    }

    /// A `key=value` requirement every match must carry, for index look-ups.
    pub fn required_pair(&self) -> Option<(&str, &str)> {
        self.requirements
            .iter()
            .find(|r| r.op == SelectorOp::In && r.values.len() == 1)
            .map(|r| (r.key.as_str(), r.values[0].as_str()))
    }
}

impl std::fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .requirements
            .iter()
            .map(|r| match r.op {
                SelectorOp::In if r.values.len() == 1 => format!("{}={}", r.key, r.values[0]),
                SelectorOp::In => format!("{} in ({})", r.key, r.values.join(",")),
                SelectorOp::NotIn => format!("{} notin ({})", r.key, r.values.join(",")),
                SelectorOp::Exists => r.key.clone(),
                SelectorOp::DoesNotExist => format!("!{}", r.key),
            })
            .collect();
        write!(f, "{}", parts.join(","))
    }
}
