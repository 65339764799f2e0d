//! Launch ablation for measurement only: drop launches from a built plan to see what they cost
//! inside a token (the token time with and without them, on the same replay machinery). The
//! logits of an ablated plan are wrong, so the decoder says so on stderr and the CPU check fails.
//!
//! `KERNLAB_DECODE_DROP=rmsnorm,swiglu` drops the launches whose kernel entry starts with any of
//! the comma-separated prefixes; `KERNLAB_DECODE_KEEP=matvec` keeps only those that match (and
//! always `decode_advance`, which moves the position and keeps the KV cache in bounds).

use super::plan::{entry, DecodePlan};

/// Which launches an ablation removes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ablation {
    pub drop: Vec<String>,
    pub keep_only: Vec<String>,
}

fn prefixes(v: &str) -> Vec<String> {
    v.split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

impl Ablation {
    /// From $KERNLAB_DECODE_DROP and $KERNLAB_DECODE_KEEP; `None` when both are unset or empty.
    pub fn from_env() -> Option<Ablation> {
        let a = Ablation {
            drop: prefixes(&std::env::var("KERNLAB_DECODE_DROP").unwrap_or_default()),
            keep_only: prefixes(&std::env::var("KERNLAB_DECODE_KEEP").unwrap_or_default()),
        };
        (a != Ablation::default()).then_some(a)
    }

    /// Whether the launch of kernel `entry_name` stays.
    pub fn keeps(&self, entry_name: &str) -> bool {
        if entry_name == entry::ADVANCE {
            return true;
        }
        let matches = |list: &[String]| list.iter().any(|p| entry_name.starts_with(p.as_str()));
        !matches(&self.drop) && (self.keep_only.is_empty() || matches(&self.keep_only))
    }

    /// Remove the launches this ablation drops; returns how many went.
    pub fn apply(&self, plan: &mut DecodePlan) -> usize {
        let before = plan.launches.len();
        plan.launches.retain(|l| self.keeps(l.kernel.entry));
        before - plan.launches.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drop_and_keep_match_entry_prefixes_and_never_drop_advance() {
        let a = Ablation {
            drop: prefixes("rmsnorm, swiglu,"),
            keep_only: vec![],
        };
        assert_eq!(a.drop, ["rmsnorm", "swiglu"]);
        assert!(!a.keeps(entry::RMSNORM));
        assert!(!a.keeps(entry::SWIGLU));
        assert!(a.keeps("matvec_q6_k_w"));
        let k = Ablation {
            drop: vec![],
            keep_only: prefixes("matvec"),
        };
        assert!(k.keeps("matvec_q6_k_w"));
        assert!(!k.keeps("attn_decode"));
        assert!(k.keeps(entry::ADVANCE));
        let all = Ablation {
            drop: prefixes("d,m,r,a,e,s,q,k"),
            keep_only: vec![],
        };
        assert!(all.keeps(entry::ADVANCE));
    }
}
