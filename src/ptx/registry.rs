//! Every kernel kernlab ships: the PTX file (embedded), its entry points, and the variant
//! values each entry uses by default.

use super::substitute::render;
use crate::{Error, Result};

/// One `ptx/*.ptx` file, embedded at build time.
pub struct KernelFile {
    pub file: &'static str,
    pub text: &'static str,
    pub entries: &'static [&'static str],
}

pub const FILES: &[KernelFile] = &[
    KernelFile {
        file: "empty.ptx",
        text: include_str!("../../ptx/empty.ptx"),
        entries: &["empty", "spin_ns"],
    },
    KernelFile {
        file: "fill.ptx",
        text: include_str!("../../ptx/fill.ptx"),
        entries: &["fill_u32", "fill_v4"],
    },
    KernelFile {
        file: "copy.ptx",
        text: include_str!("../../ptx/copy.ptx"),
        entries: &["copy_v4"],
    },
    KernelFile {
        file: "read.ptx",
        text: include_str!("../../ptx/read.ptx"),
        entries: &["read_sum_f32"],
    },
    KernelFile {
        file: "matmul_f32.ptx",
        text: include_str!("../../ptx/matmul_f32.ptx"),
        entries: &["matmul_f32"],
    },
    KernelFile {
        file: "matmul_f16.ptx",
        text: include_str!("../../ptx/matmul_f16.ptx"),
        entries: &["matmul_f16_tc"],
    },
    KernelFile {
        file: "matmul_f16_wide.ptx",
        text: include_str!("../../ptx/matmul_f16_wide.ptx"),
        entries: &["matmul_f16_tc_wide"],
    },
    KernelFile {
        file: "matmul16.ptx",
        text: include_str!("../../ptx/matmul16.ptx"),
        entries: &["matmul16_f32"],
    },
];

/// Threads per block of read_sum_f32 is 32 * this.
pub const READ_WARPS: u32 = 8;
/// Shared-memory pipeline depth of matmul_f16_tc.
pub const TC_STAGES: u32 = 4;
/// Bytes of shared memory per stage of matmul_f16_tc (a: 128 x 80 B, b: 32 x 272 B).
pub const TC_STAGE_B: u32 = 128 * 80 + 32 * 272;

/// Bytes of shared memory per stage of matmul_f16_tc_wide (a: 128 x 80 B, b: 32 x 528 B).
pub const TC_WIDE_STAGE_B: u32 = 128 * 80 + 32 * 528;

/// A kernel entry with its variant values: what is assembled and loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct KernelSpec {
    pub file: &'static KernelFile,
    pub entry: &'static str,
    pub vars: Vec<(&'static str, String)>,
}

impl PartialEq for KernelFile {
    fn eq(&self, o: &Self) -> bool {
        self.file == o.file
    }
}

impl std::fmt::Debug for KernelFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.file)
    }
}

impl KernelSpec {
    /// The PTX text with this variant's values substituted.
    pub fn ptx(&self) -> Result<String> {
        render(self.file.text, &self.vars)
            .map_err(|e| Error::Ptx(format!("{} ({}): {e}", self.file.file, self.entry)))
    }

    /// "matmul_f16_tc[STAGES=4,...]": the entry and its values, for tables and caches.
    pub fn label(&self) -> String {
        if self.vars.is_empty() {
            return self.entry.to_string();
        }
        let v: Vec<String> = self.vars.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{}[{}]", self.entry, v.join(","))
    }

    /// Dynamic shared memory the launch must ask for.
    pub fn dynamic_shared_b(&self) -> u32 {
        match self.entry {
            "matmul_f16_tc" => self.var_u32("STAGES").unwrap_or(TC_STAGES) * TC_STAGE_B,
            "matmul_f16_tc_wide" => {
                self.var_u32("STAGES").unwrap_or(TC_STAGES) * TC_WIDE_STAGE_B
            }
            _ => 0,
        }
    }

    fn var_u32(&self, name: &str) -> Option<u32> {
        self.vars
            .iter()
            .find(|(k, _)| *k == name)
            .and_then(|(_, v)| v.parse().ok())
    }
}

/// The values a variant of `matmul_f16_tc` with `stages` stages needs.
pub fn tc_vars(stages: u32) -> Vec<(&'static str, String)> {
    vec![
        ("STAGES", stages.to_string()),
        ("STAGES_M1", (stages - 1).to_string()),
        ("WAIT_GROUPS", (stages - 2).to_string()),
        ("RING_B", (stages * TC_STAGE_B).to_string()),
        ("MAXNREG", "128".to_string()),
    ]
}

/// The values a variant of `matmul_f16_tc_wide` with `stages` stages needs.
pub fn tc_wide_vars(stages: u32) -> Vec<(&'static str, String)> {
    vec![
        ("STAGES", stages.to_string()),
        ("STAGES_M1", (stages - 1).to_string()),
        ("WAIT_GROUPS", (stages - 2).to_string()),
        ("RING_B", (stages * TC_WIDE_STAGE_B).to_string()),
    ]
}

/// copy_v4 with stores qualified by `st`: "" (plain) or ".cs" (evict-first, streaming).
pub fn copy_variant(st: &str) -> Result<KernelSpec> {
    if st != "" && st != ".cs" {
        return Err(Error::Usage(format!(
            "copy variant '{st}': expected plain or cs"
        )));
    }
    let mut k = kernel("copy_v4")?;
    k.vars = vec![("ST", st.to_string())];
    Ok(k)
}

/// The default variant of the kernel with entry point `entry`.
pub fn kernel(entry: &str) -> Result<KernelSpec> {
    let file = FILES
        .iter()
        .find(|f| f.entries.contains(&entry))
        .ok_or_else(|| Error::Ptx(format!("no kernel named '{entry}'")))?;
    let entry = file.entries.iter().find(|e| **e == entry).copied().unwrap_or("");
    let vars = match entry {
        "read_sum_f32" => vec![("WARPS", READ_WARPS.to_string())],
        "matmul_f16_tc" => tc_vars(TC_STAGES),
        "matmul_f16_tc_wide" => tc_wide_vars(TC_STAGES),
        "copy_v4" => vec![("ST", String::new())],
        _ => Vec::new(),
    };
    Ok(KernelSpec { file, entry, vars })
}

/// The default variant of every kernel, in file order.
pub fn kernels() -> Vec<KernelSpec> {
    FILES
        .iter()
        .flat_map(|f| f.entries.iter())
        .filter_map(|e| kernel(e).ok())
        .collect()
}
