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

/// The loadable spec of `k`. A decode kernel missing from the registry is an error naming it.
pub fn kernel_spec(k: &KernelRef) -> Result<KernelSpec> {
    if k.entry == entry::ADVANCE {
        return Ok(KernelSpec {
            file: &ADVANCE_FILE,
            entry: entry::ADVANCE,
            vars: Vec::new(),
        });
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
