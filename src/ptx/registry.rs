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
        file: "matmul_f16_k64.ptx",
        text: include_str!("../../ptx/matmul_f16_k64.ptx"),
        entries: &["matmul_f16_tc_k64"],
    },
    KernelFile {
        file: "matmul_f16_wide.ptx",
        text: include_str!("../../ptx/matmul_f16_wide.ptx"),
        entries: &["matmul_f16_tc_wide"],
    },
    KernelFile {
        file: "matmul_f16_wide_k64.ptx",
        text: include_str!("../../ptx/matmul_f16_wide_k64.ptx"),
        entries: &["matmul_f16_tc_wide_k64"],
    },
    KernelFile {
        file: "matmul16.ptx",
        text: include_str!("../../ptx/matmul16.ptx"),
        entries: &["matmul16_f32"],
    },
];

/// Threads per block of read_sum_f32 is 32 * this.
pub const READ_WARPS: u32 = 8;

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
        match tc_config(self.entry) {
            Some(c) => self.var_u32("STAGES").unwrap_or(c.stages) * c.stage_b(),
            None => 0,
        }
    }

    fn var_u32(&self, name: &str) -> Option<u32> {
        self.vars
            .iter()
            .find(|(k, _)| *k == name)
            .and_then(|(_, v)| v.parse().ok())
    }
}

/// The shape of one tensor-core matmul kernel (ptx/matmul_f16*.ptx): all have 256 threads as
/// 2 x 4 warps and a block tile of 128 x `tile_n`, k-tile `tile_k`, a and b rows padded by 16 B.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcConfig {
    pub entry: &'static str,
    pub tile_n: u32,
    pub tile_k: u32,
    /// Default pipeline depth.
    pub stages: u32,
    /// Register cap (`.maxnreg`) so two blocks fit on an SM; None when the file has no cap.
    pub maxnreg: Option<u32>,
}

pub const TC_TILE_M: u32 = 128;

pub const TC_CONFIGS: [TcConfig; 4] = [
    TcConfig {
        entry: "matmul_f16_tc",
        tile_n: 128,
        tile_k: 32,
        stages: 4,
        maxnreg: Some(128),
    },
    TcConfig {
        entry: "matmul_f16_tc_k64",
        tile_n: 128,
        tile_k: 64,
        stages: 3,
        maxnreg: None,
    },
    TcConfig {
        entry: "matmul_f16_tc_wide",
        tile_n: 256,
        tile_k: 32,
        stages: 4,
        maxnreg: None,
    },
    TcConfig {
        entry: "matmul_f16_tc_wide_k64",
        tile_n: 256,
        tile_k: 64,
        stages: 3,
        maxnreg: None,
    },
];

impl TcConfig {
    /// Shared bytes of one stage: a (128 rows of tile_k halves + 16 B) and b (tile_k rows of
    /// tile_n halves + 16 B).
    pub fn stage_b(&self) -> u32 {
        TC_TILE_M * (self.tile_k * 2 + 16) + self.tile_k * (self.tile_n * 2 + 16)
    }

    /// The substitution values for `stages` stages.
    pub fn vars(&self, stages: u32) -> Vec<(&'static str, String)> {
        let mut v = vec![
            ("STAGES", stages.to_string()),
            ("STAGES_M1", (stages - 1).to_string()),
            ("WAIT_GROUPS", (stages - 2).to_string()),
            ("RING_B", (stages * self.stage_b()).to_string()),
        ];
        if let Some(n) = self.maxnreg {
            v.push(("MAXNREG", n.to_string()));
        }
        v
    }
}

/// The tensor-core config of `entry`, if it is one.
pub fn tc_config(entry: &str) -> Option<&'static TcConfig> {
    TC_CONFIGS.iter().find(|c| c.entry == entry)
}

/// A tensor-core kernel with `stages` pipeline stages (2..=8).
pub fn tc_variant(entry: &str, stages: u32) -> Result<KernelSpec> {
    let c = tc_config(entry)
        .ok_or_else(|| Error::Ptx(format!("{entry} is not a tensor-core matmul")))?;
    if !(2..=8).contains(&stages) {
        return Err(Error::Usage(format!(
            "{entry}: {stages} stages (expected 2..8)"
        )));
    }
    let mut k = kernel(entry)?;
    k.vars = c.vars(stages);
    Ok(k)
}

/// The copy_v4 variants by name: (name, load qualifier, store qualifier).
pub const COPY_VARIANTS: [(&str, &str, &str); 4] = [
    ("plain", ".nc", ""),
    ("cs", ".nc", ".cs"),
    ("l2pf", ".nc.L2::256B", ""),
    ("l2pf-cs", ".nc.L2::256B", ".cs"),
];

/// copy_v4 by variant name (see COPY_VARIANTS; "plain" is the default).
pub fn copy_variant(name: &str) -> Result<KernelSpec> {
    let (_, ld, st) = COPY_VARIANTS
        .iter()
        .find(|(n, _, _)| *n == name)
        .ok_or_else(|| {
            Error::Usage(format!(
                "copy variant '{name}': expected plain, cs, l2pf or l2pf-cs"
            ))
        })?;
    let mut k = kernel("copy_v4")?;
    k.vars = vec![("LD", ld.to_string()), ("ST", st.to_string())];
    Ok(k)
}

/// The default variant of the kernel with entry point `entry`.
pub fn kernel(entry: &str) -> Result<KernelSpec> {
    let file = FILES
        .iter()
        .find(|f| f.entries.contains(&entry))
        .ok_or_else(|| Error::Ptx(format!("no kernel named '{entry}'")))?;
    let entry = file
        .entries
        .iter()
        .find(|e| **e == entry)
        .copied()
        .unwrap_or("");
    let vars = match entry {
        "read_sum_f32" => vec![("WARPS", READ_WARPS.to_string())],
        e if tc_config(e).is_some() => tc_config(e).map(|c| c.vars(c.stages)).unwrap_or_default(),
        "copy_v4" => vec![("LD", ".nc".to_string()), ("ST", String::new())],
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
