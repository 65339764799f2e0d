//! One launch turned into what the GPU reads: a QMD (grid, block, shared memory, bank 0 bound)
//! and constant bank 0 (driver words, ntid/nctaid, the packed parameters).

use super::arena::CBUF0_MAX_B;
use crate::gpu::{Arg, Launch};
use crate::{Error, Result};
use hcq::program::{CBUF0_NCTAID_B, CBUF0_NTID_B};
use hcq::qmd::{sm_config_encoding, Field};
use hcq::{Kernel, Qmd, QmdVersion};

/// Parameter bytes of `args` in the order of the PTX `.param` list.
fn arg_bytes(a: &Arg) -> Vec<u8> {
    match *a {
        Arg::Buf(b) => b.gpu_va.to_le_bytes().to_vec(),
        Arg::U64(v) => v.to_le_bytes().to_vec(),
        Arg::U32(v) => v.to_le_bytes().to_vec(),
        Arg::F32(v) => v.to_bits().to_le_bytes().to_vec(),
    }
}

/// Place `args` at their KPARAM_INFO offsets in `cbuf0` (sizes must match the kernel's).
pub fn pack_params(k: &Kernel, args: &[Arg], cbuf0: &mut [u8]) -> Result<()> {
    let mut params = k.info.params.clone();
    params.sort_by_key(|p| p.ordinal);
    if params.len() != args.len() {
        return Err(Error::Usage(format!(
            "kernel {} takes {} parameters, got {}",
            k.name,
            params.len(),
            args.len()
        )));
    }
    for (p, a) in params.iter().zip(args) {
        let bytes = arg_bytes(a);
        if bytes.len() != p.size_b as usize {
            return Err(Error::Usage(format!(
                "kernel {} parameter {} is {} B, the argument {a:?} is {} B",
                k.name,
                p.ordinal,
                p.size_b,
                bytes.len()
            )));
        }
        let off = k.info.param_base as usize + p.offset_b as usize;
        let bank_b = cbuf0.len();
        let dst = cbuf0.get_mut(off..off + bytes.len()).ok_or_else(|| {
            Error::Usage(format!(
                "kernel {} parameter {} at cbuf0+0x{off:x} is past the bank ({} B)",
                k.name, p.ordinal, bank_b
            ))
        })?;
        dst.copy_from_slice(&bytes);
    }
    Ok(())
}

/// The QMD and bank 0 of `l` for kernel `k`, bank 0 to be placed at `cbuf0_gpu_va`;
/// `carveout_max`: let the SM use its largest shared-memory carve-out (more CTAs per SM).
pub fn prepare(
    k: &Kernel,
    l: &Launch,
    cbuf0_gpu_va: u64,
    carveout_max: bool,
) -> Result<(Qmd, Vec<u8>)> {
    let threads: u64 = l.block.iter().map(|&d| d as u64).product();
    let limit = k
        .info
        .max_threads
        .or(k.info.reqntid)
        .map(|m| m.iter().map(|&d| d as u64).product::<u64>())
        .unwrap_or(1024);
    if threads == 0 || l.grid.contains(&0) || threads > limit {
        return Err(Error::Usage(format!(
            "kernel {}: grid {:?} block {:?} ({threads} threads, at most {limit})",
            k.name, l.grid, l.block
        )));
    }
    let mut qmd = k.qmd.clone();
    qmd.set_grid(l.grid)?;
    qmd.set_block(l.block)?;
    if l.shared_b > 0 {
        // The template's size already holds the static shared memory and the 1 KiB reservation.
        let total = (k.shared_b + l.shared_b as u64).next_multiple_of(128);
        qmd.set_shared_memory(total as u32)?;
    }
    if carveout_max {
        let kib = match qmd.version {
            QmdVersion::V3 => 100,
            QmdVersion::V4 => 228,
        };
        let enc = sm_config_encoding(kib) as u64;
        qmd.set(Field::TargetSmConfigSharedMemSize, enc)?;
        qmd.set(Field::MaxSmConfigSharedMemSize, enc)?;
    }
    let mut cbuf0 = k.cbuf0.clone();
    if cbuf0.len() > CBUF0_MAX_B {
        return Err(Error::Unsupported(format!(
            "kernel {}: constant bank 0 of {} B exceeds the {CBUF0_MAX_B} B a launch slot holds",
            k.name,
            cbuf0.len()
        )));
    }
    for i in 0..3 {
        put_u32(&mut cbuf0, CBUF0_NTID_B + 4 * i, l.block[i]);
        put_u32(&mut cbuf0, CBUF0_NCTAID_B + 4 * i, l.grid[i]);
    }
    pack_params(k, &l.args, &mut cbuf0)?;
    qmd.set_cbuf(0, cbuf0_gpu_va, cbuf0.len().next_multiple_of(16) as u32)?;
    Ok((qmd, cbuf0))
}

fn put_u32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}
