//! From a plan's [`KernelRef`] to the [`KernelSpec`] a backend loads: the engine's own advance
//! kernel (ptx/engine/advance.ptx) or an entry of the PTX registry (the decode kernels of
//! ptx/decode/) with its threads-per-row value.

use super::plan::{entry, KernelRef};
use crate::ptx::{KernelFile, KernelSpec};
use crate::{Error, Result};

/// The engine's own kernel file.
pub static ADVANCE_FILE: KernelFile = KernelFile {
    file: "engine/advance.ptx",
    text: include_str!("../../ptx/engine/advance.ptx"),
    entries: &[entry::ADVANCE],
};

/// The decode kernels of ptx/decode/ (branch dkern) until its kernel table is merged here.
pub static DECODE_FILES: &[KernelFile] = &[
    KernelFile {
        file: "decode/argmax.ptx",
        text: include_str!("../../ptx/decode/argmax.ptx"),
        entries: &["argmax_partial", "argmax_final"],
    },
    KernelFile {
        file: "decode/attention.ptx",
        text: include_str!("../../ptx/decode/attention.ptx"),
        entries: &["attn_partial", "attn_combine"],
    },
    KernelFile {
        file: "decode/elementwise.ptx",
        text: include_str!("../../ptx/decode/elementwise.ptx"),
        entries: &["swiglu", "add_f32"],
    },
    KernelFile {
        file: "decode/embed.ptx",
        text: include_str!("../../ptx/decode/embed.ptx"),
        entries: &[
            "embed_q8_0",
            "embed_q4_0",
            "embed_q6_k",
            "embed_q4_k",
            "embed_q5_k",
            "embed_f16",
        ],
    },
    KernelFile {
        file: "decode/kv_append.ptx",
        text: include_str!("../../ptx/decode/kv_append.ptx"),
        entries: &["kv_append"],
    },
    KernelFile {
        file: "decode/matvec_f16.ptx",
        text: include_str!("../../ptx/decode/matvec_f16.ptx"),
        entries: &["matvec_f16"],
    },
    KernelFile {
        file: "decode/matvec_q4_0.ptx",
        text: include_str!("../../ptx/decode/matvec_q4_0.ptx"),
        entries: &["matvec_q4_0"],
    },
    KernelFile {
        file: "decode/matvec_q4_k.ptx",
        text: include_str!("../../ptx/decode/matvec_q4_k.ptx"),
        entries: &["matvec_q4_k"],
    },
    KernelFile {
        file: "decode/matvec_q5_k.ptx",
        text: include_str!("../../ptx/decode/matvec_q5_k.ptx"),
        entries: &["matvec_q5_k"],
    },
    KernelFile {
        file: "decode/matvec_q6_k.ptx",
        text: include_str!("../../ptx/decode/matvec_q6_k.ptx"),
        entries: &["matvec_q6_k"],
    },
    KernelFile {
        file: "decode/matvec_q8_0.ptx",
        text: include_str!("../../ptx/decode/matvec_q8_0.ptx"),
        entries: &["matvec_q8_0"],
    },
    KernelFile {
        file: "decode/qk_norm_rope.ptx",
        text: include_str!("../../ptx/decode/qk_norm_rope.ptx"),
        entries: &["qk_norm_rope_neox"],
    },
    KernelFile {
        file: "decode/rmsnorm.ptx",
        text: include_str!("../../ptx/decode/rmsnorm.ptx"),
        entries: &["rmsnorm"],
    },
    KernelFile {
        file: "decode/rope.ptx",
        text: include_str!("../../ptx/decode/rope.ptx"),
        entries: &["rope_llama", "rope_neox"],
    },
];

/// The loadable spec of `k`. A decode kernel missing from the registry is an error naming it.
pub fn kernel_spec(k: &KernelRef) -> Result<KernelSpec> {
    if k.entry == entry::ADVANCE {
        return Ok(KernelSpec {
            file: &ADVANCE_FILE,
            entry: entry::ADVANCE,
            vars: Vec::new(),
        });
    }
    if let Some(file) = DECODE_FILES.iter().find(|f| f.entries.contains(&k.entry)) {
        let entry = file
            .entries
            .iter()
            .find(|e| **e == k.entry)
            .copied()
            .unwrap_or("");
        let vars = match k.tpr {
            Some(tpr) => vec![("TPR", tpr.to_string())],
            None => Vec::new(),
        };
        return Ok(KernelSpec { file, entry, vars });
    }
    let mut spec = crate::ptx::kernel(k.entry).map_err(|e| {
        Error::Unsupported(format!(
            "GPU decode needs kernel {} which this build's PTX registry lacks ({e})",
            k.entry
        ))
    })?;
    if let Some(tpr) = k.tpr {
        spec.vars.retain(|(name, _)| *name != "TPR");
        spec.vars.push(("TPR", tpr.to_string()));
    }
    Ok(spec)
}
