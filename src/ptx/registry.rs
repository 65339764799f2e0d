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
        file: "bank0.ptx",
        text: include_str!("../../ptx/bank0.ptx"),
        entries: &["bank0_dump"],
    },
    KernelFile {
        file: "fill.ptx",
        text: include_str!("../../ptx/fill.ptx"),
        entries: &["fill_u32", "fill_v4"],
    },
    KernelFile {
        file: "order.ptx",
        text: include_str!("../../ptx/order.ptx"),
        entries: &["bump_u32"],
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

/// 90 for "sm_90" and "sm_90a", 0 for a name that is not sm_NN.
pub fn sm_number(arch: &str) -> u32 {
    arch.strip_prefix("sm_")
        .and_then(|d| d.trim_end_matches('a').parse().ok())
        .unwrap_or(0)
}

/// The one arch-dependent rewrite of kernel text. `griddepcontrol.wait` (PTX ISA 7.8, sm_90 and
/// later) makes a grid wait for the grids it depends on under programmatic dependent launch (the
/// nv backend's `pdl` replay); with no such launch it returns at once. Before sm_90 a grid only
/// starts after its predecessor has completed, so there the line is dropped; from sm_90 on it is
/// kept, the file's `.target` is raised to `arch` and its `.version` to at least 7.8 (the
/// instruction needs both).
pub fn lower_for_arch(ptx: &str, arch: &str) -> String {
    const WAIT: &str = "griddepcontrol.wait;";
    if !ptx.contains(WAIT) {
        return ptx.to_string();
    }
    let sm = sm_number(arch);
    let mut out = String::with_capacity(ptx.len());
    for line in ptx.lines() {
        let t = line.trim();
        if t == WAIT && sm < 90 {
            continue;
        }
        if sm >= 90 && t.starts_with(".target sm_") {
            out.push_str(&format!(".target {arch}"));
        } else if sm >= 90
            && t.starts_with(".version ")
            && super::release::version_below(&t[9..], (7, 8))
        {
            out.push_str(".version 7.8");
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

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

    /// The PTX text for `arch`: [`KernelSpec::ptx`] lowered by [`lower_for_arch`]. What every
    /// assembler is given.
    pub fn ptx_for(&self, arch: &str) -> Result<String> {
        Ok(lower_for_arch(&self.ptx()?, arch))
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

#[cfg(test)]
mod tests {
    use super::lower_for_arch;

    #[test]
    fn griddepcontrol_wait_is_dropped_before_sm_90_and_kept_with_a_raised_target_after() {
        let ptx = ".version 7.0\n.target sm_80\n.address_size 64\n.visible .entry k()\n{\n    griddepcontrol.wait;\n    ret;\n}\n";
        let old = lower_for_arch(ptx, "sm_87");
        assert!(!old.contains("griddepcontrol"), "{old}");
        assert!(old.contains(".target sm_80") && old.contains(".version 7.0"));
        let new = lower_for_arch(ptx, "sm_90");
        assert!(new.contains("    griddepcontrol.wait;"), "{new}");
        assert!(
            new.contains(".target sm_90\n") && new.contains(".version 7.8\n"),
            "{new}"
        );
        // A newer ISA stays; text without the wait is untouched on every arch.
        let v8 = ptx.replace(".version 7.0", ".version 8.0");
        assert!(lower_for_arch(&v8, "sm_90").contains(".version 8.0"));
        let plain = ".version 7.0\n.target sm_80\nret;\n";
        assert_eq!(lower_for_arch(plain, "sm_90"), plain);
    }
}
