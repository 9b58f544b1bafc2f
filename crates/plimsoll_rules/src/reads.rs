//! Which kinds each rule reads, derived from the rule sources at build time (see
//! `build.rs`). A front-end that could not read a kind (a live audit that got 403, or
//! that does not read Secrets) does not run the rules that read it and reports them as
//! not evaluated: a rule run on partial data would pass, or fire, for the wrong reason.

include!(concat!(env!("OUT_DIR"), "/reads.rs"));

/// The kinds a rule reads (its own objects and those it looks up), by kind name.
pub fn kinds_read(code: &str) -> &'static [&'static str] {
    READS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(&[], |(_, k)| k)
}

/// Whether the rule reads objects of this kind (`*`: rules that judge every kind).
///
/// For most kinds this counts every kind named anywhere in the rule's group helpers
/// (a coarse, safe over-approximation: rules also reach kinds through the model). For
/// Secrets, which the default live audit does not read, it is finer: a rule can only
/// look a Secret up, or judge one, by naming the kind, so only the rules whose own code,
/// or a helper they call by name, names `Secret` read them.
pub fn reads(code: &str, kind: &str) -> bool {
    if kind == "Secret" {
        return READS_SECRETS.contains(&code) || kinds_read(code).contains(&"*");
    }
    let k = kinds_read(code);
    k.contains(&kind) || k.contains(&"*")
}

/// Rules the scan counts as reading Secrets that do not: their own code follows
/// references to ConfigMaps, PersistentVolumeClaims, ServiceAccounts or PriorityClasses,
/// and the reference helpers they share with the Secret rules are what names `Secret`.
/// A front-end without Secrets (the admission webhook's index) may judge them with the
/// objects around. The test `secret_free_rules_ignore_secrets` holds the list to it:
/// their findings on every reference fixture are the same with and without the
/// Secrets and the objects that make Secrets.
pub const SECRET_FREE: &[&str] = &["REF001", "REF002", "REF005", "REF006", "REF007"];

/// Whether the rule's findings can depend on Secrets (see [`reads`] and
/// [`SECRET_FREE`]).
pub fn reads_secrets(code: &str) -> bool {
    !SECRET_FREE.contains(&code) && reads(code, "Secret")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::all_rules;

    #[test]
    fn every_rule_has_an_entry() {
        for r in all_rules() {
            let code = r.meta().code;
            assert!(
                READS.iter().any(|(c, _)| *c == code),
                "{code} is missing from the generated reads table"
            );
        }
    }

    #[test]
    fn lookups_are_found() {
        // REF003 looks Secrets up through the refs helpers
        assert!(reads("REF003", "Secret"));
        // container rules read every workload kind
        assert!(reads("RES001", "Deployment"));
        assert!(reads("RES001", "Pod"));
        // missing-PDB reads PDBs; default-deny reads NetworkPolicies
        assert!(reads("AVL002", "PodDisruptionBudget"));
        assert!(reads("NET001", "NetworkPolicy"));
        assert!(reads("RBAC001", "ClusterRoleBinding"));
        assert!(!reads("RES001", "Secret"));
        // memory-request-missing reaches the pod template through a sibling's helper
        assert!(reads("RES002", "Deployment"));
        assert!(reads("RES008", "LimitRange"));
        assert!(reads("API001", "FlowSchema"));
        // Secrets: the rules that look them up, not every rule of their groups
        for code in ["REF003", "REF004", "REF005", "NET106", "SCR001"] {
            assert!(reads(code, "Secret"), "{code}");
        }
        for code in ["NET101", "NET001", "SCL002", "SCR004", "RES001", "AVL002"] {
            assert!(!reads(code, "Secret"), "{code}");
        }
    }
}
