//! From a plan's [`KernelRef`] to the [`KernelSpec`] a backend loads: the engine's own advance
//! kernel (ptx/engine/advance.ptx) or a decode kernel of [`super::kernels`] with its
//! threads-per-row value.

use super::plan::{entry, KernelRef};
use crate::ptx::{KernelFile, KernelSpec};
use crate::Result;

/// The engine's own kernel file.
pub static ADVANCE_FILE: KernelFile = KernelFile {
    file: "engine/advance.ptx",
    text: include_str!("../../ptx/engine/advance.ptx"),
    entries: &[entry::ADVANCE],
};

/// The `.param` types of decode_advance, in order (u64 pointers, u32).
pub const ADVANCE_PARAMS: [&str; 4] = [".u64", ".u64", ".u64", ".u32"];

/// The loadable spec of `k`. An entry the kernel table lacks is an error naming it.
pub fn kernel_spec(k: &KernelRef) -> Result<KernelSpec> {
    if k.entry == entry::ADVANCE {
        return Ok(KernelSpec {
            file: &ADVANCE_FILE,
            entry: entry::ADVANCE,
            vars: Vec::new(),
        });
    }
    super::kernels::spec(k.entry, k.tpr)
}

/// The `.param` types of `k`'s entry as PTX spells them (".u64", ".u32", ".f32").
pub fn param_types(k: &KernelRef) -> Result<Vec<&'static str>> {
    if k.entry == entry::ADVANCE {
        return Ok(ADVANCE_PARAMS.to_vec());
    }
    let d = super::kernels::decode_kernel(k.entry)?;
    Ok(d.params.iter().map(|(_, t)| t.ptx()).collect())
}
