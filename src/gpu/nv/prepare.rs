//! One launch turned into what the GPU reads: a QMD (grid, block, shared memory, bank 0 bound)
//! and constant bank 0 (driver words, ntid/nctaid, the packed parameters).

use super::arena::CBUF0_MAX_B;
use super::options::Carveout;
use crate::gpu::backend::{capped_cta_shared_b, CapSizing};
use crate::gpu::{Arg, Launch};
use crate::{Error, Result};
use hcq::program::{CBUF0_NCTAID_B, CBUF0_NTID_B};
use hcq::qmd::{carveouts_kib, sm_config_encoding, Field};
use hcq::{Kernel, Qmd};

/// Parameter bytes of `a` (little-endian) and how many of the 8 are used.
fn arg_bytes(a: &Arg) -> ([u8; 8], usize) {
    let mut b = [0u8; 8];
    let n = match *a {
        Arg::Buf(buf) => {
            b = buf.gpu_va.to_le_bytes();
            8
        }
        Arg::U64(v) => {
            b = v.to_le_bytes();
            8
        }
        Arg::U32(v) => {
            b[..4].copy_from_slice(&v.to_le_bytes());
            4
        }
        Arg::F32(v) => {
            b[..4].copy_from_slice(&v.to_bits().to_le_bytes());
            4
        }
    };
    (b, n)
}

/// Place `args` at their KPARAM_INFO offsets in `cbuf0` (sizes must match the kernel's).
/// (hcq's cubin parser lists the parameters in ordinal order.) Allocates nothing: this runs on
/// every launch.
pub fn pack_params(k: &Kernel, args: &[Arg], cbuf0: &mut [u8]) -> Result<()> {
    let params = &k.info.params;
    if params.len() != args.len() {
        return Err(Error::Usage(format!(
            "kernel {} takes {} parameters, got {}",
            k.name,
            params.len(),
            args.len()
        )));
    }
    for (p, a) in params.iter().zip(args) {
        let (raw, n) = arg_bytes(a);
        let bytes = &raw[..n];
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
        dst.copy_from_slice(bytes);
    }
    Ok(())
}

/// The QMD and bank 0 of `l` for kernel `k`, bank 0 to be placed at `cbuf0_gpu_va`;
/// `carveout`: the SM shared-memory / L1 split to ask for; `cap_sizing`: how a cap on the blocks
/// per SM sizes the shared memory; `sm_version` (0x900 = sm_90) sizes the SM for the `Fit` policy.
pub fn prepare(
    k: &Kernel,
    l: &Launch,
    cbuf0_gpu_va: u64,
    carveout: Carveout,
    cap_sizing: CapSizing,
    sm_version: u32,
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
    // The template's size already holds the static shared memory and the 1 KiB reservation.
    let cta_shared_b = (k.shared_b + l.shared_b as u64).next_multiple_of(128);
    if l.shared_b > 0 {
        qmd.set_shared_memory(cta_shared_b as u32)?;
    }
    let kib = match carveout {
        Carveout::Min => None,
        Carveout::Max => carveouts_kib(qmd.version).last().copied(),
        Carveout::Fit => {
            let regs = qmd.get(Field::RegisterCount)? as u32;
            let ctas = ctas_per_sm(sm_version, threads as u32, regs);
            let need_b = ctas as u64 * cta_shared_b;
            let list = carveouts_kib(qmd.version);
            list.iter()
                .copied()
                .find(|&c| c as u64 * 1024 >= need_b)
                .or(list.last().copied())
        }
        Carveout::Fixed(want_kib) => {
            let list = carveouts_kib(qmd.version);
            list.iter()
                .copied()
                .find(|&c| c >= want_kib && c as u64 * 1024 >= cta_shared_b)
                .or(list.last().copied())
        }
    };
    // A cap on the blocks per SM sizes the CTA against the carve-out so that no more fit.
    let kib = match (kib, l.max_blocks_per_sm) {
        (None, 0) => None,
        (kib, _) => kib.or(carveouts_kib(qmd.version).last().copied()),
    };
    if let Some(kib) = kib {
        let capped_b = capped_cta_shared_b(
            cta_shared_b,
            kib as u64 * 1024,
            l.max_blocks_per_sm,
            cap_sizing,
        );
        if capped_b > cta_shared_b {
            qmd.set_shared_memory(capped_b as u32)?;
        }
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

/// CTAs of `threads` threads using `regs` registers each that one SM holds when shared memory
/// does not limit them: the SM's thread, CTA and register-file limits (CUDA occupancy tables:
/// sm_80/sm_90 2048 threads, sm_86/87/89 1536; 32 CTAs on sm_90, 16 or 24 before; 64 K
/// registers, allocated per warp in units of 256).
pub fn ctas_per_sm(sm_version: u32, threads: u32, regs: u32) -> u32 {
    let (max_threads, max_ctas) = match sm_version {
        0x900.. => (2048, 32),
        0x800 => (2048, 32),
        0x806 | 0x807 => (1536, 16),
        0x809 => (1536, 24),
        _ => (2048, 16),
    };
    let warps = threads.div_ceil(32).max(1);
    let regs_per_warp = (regs.max(1) * 32).next_multiple_of(256);
    let by_regs = 65536 / (regs_per_warp * warps);
    (max_threads / (warps * 32))
        .min(max_ctas)
        .min(by_regs)
        .max(1)
}

fn put_u32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::ctas_per_sm;

    #[test]
    fn ctas_per_sm_follows_thread_cta_and_register_limits() {
        // sm_90: 128 threads at 32 registers -> 16 CTAs (2048 threads); at 128 registers the
        // register file (64 K) holds 4; 32 threads at 16 registers hit the 32-CTA limit.
        assert_eq!(ctas_per_sm(0x900, 128, 32), 16);
        assert_eq!(ctas_per_sm(0x900, 128, 128), 4);
        assert_eq!(ctas_per_sm(0x900, 32, 16), 32);
        // 40 registers round to 1280 per warp: 65536 / (1280 * 8) = 6 CTAs of 256 threads.
        assert_eq!(ctas_per_sm(0x900, 256, 40), 6);
        // Orin (sm_87): 1536 threads, 16 CTAs.
        assert_eq!(ctas_per_sm(0x807, 256, 32), 6);
        assert_eq!(ctas_per_sm(0x807, 64, 16), 16);
        // A CTA that alone exceeds the register file still counts as one.
        assert_eq!(ctas_per_sm(0x900, 1024, 255), 1);
    }
}
