//! Label selectors (`matchLabels` + `matchExpressions`, and the plain maps Services use).

use plimsoll_yaml::Node;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SelectorOp {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Requirement {
    pub key: String,
    pub op: SelectorOp,
    pub values: Vec<String>,
}

impl Requirement {
    /// Whether the requirement holds for the value of its key (`None`: no such label).
    pub fn matches(&self, value: Option<&str>) -> bool {
        match self.op {
            SelectorOp::In => value.is_some_and(|v| self.values.iter().any(|x| x == v)),
            SelectorOp::NotIn => value.is_none_or(|v| self.values.iter().all(|x| x != v)),
            SelectorOp::Exists => value.is_some(),
            SelectorOp::DoesNotExist => value.is_none(),
        }
    }
}

/// A parsed label selector. Every requirement must hold (AND).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
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
        self.requirements.iter().all(|r| r.matches(labels(&r.key)))
    }

    /// Matches against (key, value) pairs. Linear in the number of requirements and
    /// pairs: past a few of each, the pairs are looked up through a hash map (a
    /// selector of thousands of keys against as many labels stays linear).
    pub fn matches_pairs<'a>(&self, pairs: &[(&'a str, &'a str)]) -> bool {
        if self.requirements.len() <= 8 || pairs.len() <= 8 {
            return self.matches(|k| pairs.iter().find(|(pk, _)| *pk == k).map(|(_, v)| *v));
        }
        // the first value of a key wins, as with the linear search
        let mut map: std::collections::HashMap<&str, &str> =
            std::collections::HashMap::with_capacity(pairs.len());
        for &(k, v) in pairs {
            map.entry(k).or_insert(v);
        }
        self.matches(|k| map.get(k).copied())
    }

    /// The first requirement (in written order: `matchLabels`, then `matchExpressions`)
    /// that the labels do not satisfy, with its position; `None` when they all hold.
    pub fn first_unmatched<'a>(
        &self,
        pairs: &[(&'a str, &'a str)],
    ) -> Option<(usize, &Requirement)> {
        self.requirements.iter().enumerate().find(|(_, r)| {
            !LabelSelector {
                requirements: vec![(*r).clone()],
            }
            .matches_pairs(pairs)
        })
    }

    /// Parses a label selector as `kubectl --selector` takes it:
    /// `app=api,tier!=cache,env in (prod,staging),release notin (canary),owner,!legacy`
    /// (`==` is `=`; an empty string selects everything). The numeric `>` and `<` of
    /// node selection are not supported. The error says what is wrong where.
    pub fn parse(text: &str) -> Result<LabelSelector, String> {
        let tokens = tokenize(text);
        let mut requirements = Vec::new();
        let mut i = 0;
        let at = |i: usize| tokens.get(i).map(String::as_str);
        while i < tokens.len() {
            let negated = at(i) == Some("!");
            if negated {
                i += 1;
            }
            let key = match at(i) {
                Some(k) if !is_operator(k) => k.to_string(),
                Some(t) => return Err(format!("expected a label key, found `{t}`")),
                None => return Err("expected a label key at the end".into()),
            };
            valid_key(&key)?;
            i += 1;
            if negated {
                requirements.push(Requirement {
                    key,
                    op: SelectorOp::DoesNotExist,
                    values: Vec::new(),
                });
            } else {
                match at(i) {
                    None | Some(",") => requirements.push(Requirement {
                        key,
                        op: SelectorOp::Exists,
                        values: Vec::new(),
                    }),
                    Some(op @ ("=" | "==" | "!=")) => {
                        let value = match at(i + 1) {
                            None | Some(",") => String::new(),
                            Some(v) if !is_operator(v) => {
                                i += 1;
                                v.to_string()
                            }
                            Some(t) => {
                                return Err(format!(
                                    "expected a value after `{key}{op}`, found `{t}`"
                                ));
                            }
                        };
                        valid_value(&value)?;
                        requirements.push(Requirement {
                            key,
                            op: if op == "!=" {
                                SelectorOp::NotIn
                            } else {
                                SelectorOp::In
                            },
                            values: vec![value],
                        });
                        i += 1;
                    }
                    Some(op @ ("in" | "notin")) => {
                        if at(i + 1) != Some("(") {
                            return Err(format!("expected `(` after `{key} {op}`"));
                        }
                        i += 2;
                        let mut values = Vec::new();
                        loop {
                            match at(i) {
                                Some(")") if values.is_empty() => {
                                    return Err(format!("`{key} {op} ()` names no value"));
                                }
                                Some(v) if !is_operator(v) => {
                                    valid_value(v)?;
                                    values.push(v.to_string());
                                    i += 1;
                                }
                                _ => return Err(format!("expected a value in `{key} {op} (...)`")),
                            }
                            match at(i) {
                                Some(",") => i += 1,
                                Some(")") => break,
                                _ => {
                                    return Err(format!(
                                        "expected `,` or `)` in `{key} {op} (...)`"
                                    ));
                                }
                            }
                        }
                        i += 1;
                        requirements.push(Requirement {
                            key,
                            op: if op == "in" {
                                SelectorOp::In
                            } else {
                                SelectorOp::NotIn
                            },
                            values,
                        });
                    }
                    Some(op @ (">" | "<")) => {
                        return Err(format!(
                            "`{key} {op} ...`: numeric comparisons are not supported"
                        ));
                    }
                    Some(t) => {
                        return Err(format!("expected an operator after `{key}`, found `{t}`"));
                    }
                }
            }
            match at(i) {
                None => break,
                Some(",") if at(i + 1).is_some() => i += 1,
                Some(",") => return Err("a `,` ends the selector".into()),
                Some(t) => return Err(format!("expected `,` before `{t}`")),
            }
        }
        Ok(LabelSelector { requirements })
    }

    /// The same selector in a canonical form: requirements and their values sorted,
    /// repeats dropped. Two selectors with the same canonical form select the same
    /// labels, so the index evaluates them once.
    pub fn canonical(&self) -> LabelSelector {
        let mut requirements: Vec<Requirement> = self
            .requirements
            .iter()
            .map(|r| {
                let mut r = r.clone();
                r.values.sort_unstable();
                r.values.dedup();
                r
            })
            .collect();
        requirements.sort_unstable();
        requirements.dedup();
        LabelSelector { requirements }
    }

    /// The `key=value` requirements every match must carry, for index look-ups.
    pub fn required_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.requirements
            .iter()
            .filter(|r| r.op == SelectorOp::In && r.values.len() == 1)
            .map(|r| (r.key.as_str(), r.values[0].as_str()))
    }

    /// A `key=value` requirement every match must carry, for index look-ups.
    pub fn required_pair(&self) -> Option<(&str, &str)> {
        self.requirements
            .iter()
            .find(|r| r.op == SelectorOp::In && r.values.len() == 1)
            .map(|r| (r.key.as_str(), r.values[0].as_str()))
    }
}

impl std::fmt::Display for Requirement {
    /// In `kubectl --selector` syntax (`app=api`, `env in (a,b)`, `!legacy`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (k, v) = (&self.key, &self.values);
        match self.op {
            SelectorOp::In if v.len() == 1 => write!(f, "{k}={}", v[0]),
            SelectorOp::In => write!(f, "{k} in ({})", v.join(",")),
            SelectorOp::NotIn => write!(f, "{k} notin ({})", v.join(",")),
            SelectorOp::Exists => write!(f, "{k}"),
            SelectorOp::DoesNotExist => write!(f, "!{k}"),
        }
    }
}

impl std::fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .requirements
            .iter()
            .map(Requirement::to_string)
            .collect();
        write!(f, "{}", parts.join(","))
    }
}

/// Punctuation: never a key or a value (`in` and `notin` are operators only right
/// after a key, where the parser asks for them).
fn is_operator(t: &str) -> bool {
    matches!(t, "=" | "==" | "!=" | "!" | "," | "(" | ")" | ">" | "<")
}

/// Splits a selector into words and punctuation.
fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            ',' | '(' | ')' | '>' | '<' => {
                tokens.push(c.to_string());
                chars.next();
            }
            '=' | '!' => {
                chars.next();
                if chars.peek() == Some(&'=') {
                    chars.next();
                    tokens.push(format!("{c}="));
                } else {
                    tokens.push(c.to_string());
                }
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || ",()<>=!".contains(c) {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                tokens.push(word);
            }
        }
    }
    tokens
}

/// `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`, at most 63 characters.
fn valid_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

fn valid_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    let prefix_ok = prefix.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 253
            && p.split('.').all(|l| {
                let b = l.as_bytes();
                !b.is_empty()
                    && b[0].is_ascii_alphanumeric()
                    && b[b.len() - 1].is_ascii_alphanumeric()
                    && b.iter()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
            })
    });
    if prefix_ok && valid_name(name) {
        Ok(())
    } else {
        Err(format!("`{key}` is not a valid label key"))
    }
}

fn valid_value(v: &str) -> Result<(), String> {
    if v.is_empty() || valid_name(v) {
        Ok(())
    } else {
        Err(format!("`{v}` is not a valid label value"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(sel: &str, labels: &[(&str, &str)]) -> bool {
        LabelSelector::parse(sel).unwrap().matches_pairs(labels)
    }

    #[test]
    fn large_selectors_match_like_small_ones() {
        // thousands of keys on both sides: the hashed lookup must agree with the scan
        let keys: Vec<String> = (0..3000).map(|i| format!("k{i}")).collect();
        let text = keys
            .iter()
            .map(|k| format!("{k}=v"))
            .collect::<Vec<_>>()
            .join(",");
        let sel = LabelSelector::parse(&(text + ",gone!=x,absent notin (y),!nope")).unwrap();
        let mut labels: Vec<(&str, &str)> = keys.iter().map(|k| (k.as_str(), "v")).collect();
        labels.push(("gone", "y"));
        assert!(sel.matches_pairs(&labels));
        // the first value of a repeated key wins, as in the scan
        let mut first_wins = labels.clone();
        first_wins.insert(0, ("k7", "other"));
        assert!(!sel.matches_pairs(&first_wins));
        labels[1500].1 = "w";
        assert!(!sel.matches_pairs(&labels));
        labels[1500].1 = "v";
        labels.push(("nope", "1"));
        assert!(!sel.matches_pairs(&labels));
    }

    #[test]
    fn parses_what_kubectl_takes() {
        let s = LabelSelector::parse(
            " app = api,tier!=cache, env in (prod, staging),release notin (canary),owner,!legacy,x==y,e=",
        )
        .unwrap();
        assert_eq!(
            s.to_string(),
            "app=api,tier notin (cache),env in (prod,staging),release notin (canary),owner,!legacy,x=y,e="
        );
        assert!(LabelSelector::parse("").unwrap().is_empty());
        assert!(matches("app=api", &[("app", "api")]));
        assert!(!matches("app=api", &[("app", "web")]));
        assert!(matches("tier!=cache", &[]));
        assert!(!matches("tier!=cache", &[("tier", "cache")]));
        assert!(matches("env in (a,b)", &[("env", "b")]));
        assert!(matches("!legacy,owner", &[("owner", "me")]));
        assert!(!matches("!legacy", &[("legacy", "")]));
        assert!(matches("example.com/team=x", &[("example.com/team", "x")]));
        // `in` is a key where a key is expected
        assert!(matches("in=x", &[("in", "x")]));
    }

    #[test]
    fn first_unmatched_names_the_failing_term() {
        let s = LabelSelector::parse("app=api,tier in (web,edge),!legacy").unwrap();
        let labels = [("app", "api"), ("tier", "db")];
        let (i, r) = s.first_unmatched(&labels).unwrap();
        assert_eq!((i, r.to_string()), (1, "tier in (web,edge)".to_string()));
        assert!(
            s.first_unmatched(&[("app", "api"), ("tier", "web")])
                .is_none()
        );
        let (i, r) = s.first_unmatched(&[]).unwrap();
        assert_eq!((i, r.to_string()), (0, "app=api".to_string()));
    }

    #[test]
    fn rejects_what_kubectl_rejects() {
        for (bad, why) in [
            ("app in (", "expected a value"),
            ("app in ()", "names no value"),
            ("app in prod", "expected `(`"),
            ("app=api,", "a `,` ends"),
            ("app api", "expected an operator"),
            ("=api", "expected a label key"),
            ("app=a b", "expected `,`"),
            ("-app=x", "not a valid label key"),
            ("app=-x", "not a valid label value"),
            ("Example.com/app=x", "not a valid label key"),
            ("replicas>2", "numeric comparisons"),
        ] {
            let err = LabelSelector::parse(bad).expect_err(bad);
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}
