//! The benchmark kernels loaded once per backend, and their launch shapes.

use crate::gpu::{Arg, Backend, Buf, KernelId, Launch};
use crate::ptx::{kernel, registry::READ_WARPS};
use crate::{Error, Result};

/// Threads per block of the streaming kernels (copy, fill, read).
pub const STREAM_THREADS: u32 = 256;
/// 16-byte vectors each streaming thread has in flight per loop trip.
pub const STREAM_UNROLL: u64 = 4;

/// Every kernel of the registry, loaded.
pub struct Kernels {
    pub empty: KernelId,
    pub spin: KernelId,
    pub fill_u32: KernelId,
    pub fill_v4: KernelId,
    pub copy_v4: KernelId,
    pub read_sum: KernelId,
    pub matmul_f32: KernelId,
    pub matmul_tc: KernelId,
    pub matmul_tc_shared_b: u32,
    pub matmul_tc_wide: KernelId,
    pub matmul_tc_wide_shared_b: u32,
    pub matmul16: KernelId,
}

impl Kernels {
    pub fn load(b: &mut dyn Backend) -> Result<Kernels> {
        let tc = kernel("matmul_f16_tc")?;
        let wide = kernel("matmul_f16_tc_wide")?;
        Ok(Kernels {
            empty: b.load(&kernel("empty")?)?,
            spin: b.load(&kernel("spin_ns")?)?,
            fill_u32: b.load(&kernel("fill_u32")?)?,
            fill_v4: b.load(&kernel("fill_v4")?)?,
            copy_v4: b.load(&kernel("copy_v4")?)?,
            read_sum: b.load(&kernel("read_sum_f32")?)?,
            matmul_f32: b.load(&kernel("matmul_f32")?)?,
            matmul_tc: b.load(&tc)?,
            matmul_tc_shared_b: tc.dynamic_shared_b(),
            matmul_tc_wide: b.load(&wide)?,
            matmul_tc_wide_shared_b: wide.dynamic_shared_b(),
            matmul16: b.load(&kernel("matmul16_f32")?)?,
        })
    }
}

/// Blocks for a grid-stride streaming kernel over `n16` vectors: enough for one vector batch
/// per thread, at most 8 blocks per SM (one full wave at 256 threads), at least 1. `max_blocks`
/// overrides the cap (the selftest uses a small grid so every thread loops).
pub fn stream_blocks(n16: u64, sm_count: u32, max_blocks: Option<u32>) -> u32 {
    let needed = n16.div_ceil(STREAM_THREADS as u64 * STREAM_UNROLL).max(1);
    let cap = max_blocks.unwrap_or(sm_count.max(1) * 8) as u64;
    needed.min(cap).max(1) as u32
}

pub fn copy(k: &Kernels, dst: Buf, src: Buf, n16: u64, blocks: u32) -> Launch {
    Launch::linear(
        k.copy_v4,
        blocks,
        STREAM_THREADS,
        vec![Arg::Buf(dst), Arg::Buf(src), Arg::U64(n16)],
    )
}

pub fn fill_v4(k: &Kernels, dst: Buf, n16: u64, value: u32, blocks: u32) -> Launch {
    Launch::linear(
        k.fill_v4,
        blocks,
        STREAM_THREADS,
        vec![Arg::Buf(dst), Arg::U64(n16), Arg::U32(value)],
    )
}

pub fn read_sum(k: &Kernels, out: Buf, src: Buf, n16: u64, blocks: u32) -> Launch {
    Launch::linear(
        k.read_sum,
        blocks,
        32 * READ_WARPS,
        vec![Arg::Buf(out), Arg::Buf(src), Arg::U64(n16)],
    )
}

pub fn fill_u32(k: &Kernels, dst: Buf, n: u64, value: u32) -> Launch {
    let threads = 256u32;
    let blocks = n.div_ceil(threads as u64).max(1) as u32;
    Launch::linear(
        k.fill_u32,
        blocks,
        threads.min(n.max(1) as u32).max(32),
        vec![Arg::Buf(dst), Arg::U64(n), Arg::U32(value)],
    )
}

pub fn matmul16(k: &Kernels, c: Buf, a: Buf, b: Buf) -> Launch {
    Launch {
        kernel: k.matmul16,
        grid: [1, 1, 1],
        block: [16, 16, 1],
        shared_b: 0,
        args: vec![Arg::Buf(c), Arg::Buf(a), Arg::Buf(b)],
    }
}

/// The two large matmul kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatmulKind {
    F32,
    F16Tc,
    F16TcWide,
}

impl MatmulKind {
    pub fn name(self) -> &'static str {
        match self {
            MatmulKind::F32 => "fp32",
            MatmulKind::F16Tc => "fp16-tc",
            MatmulKind::F16TcWide => "fp16-tc-wide",
        }
    }

    pub const ALL: [MatmulKind; 3] = [MatmulKind::F32, MatmulKind::F16Tc, MatmulKind::F16TcWide];

    /// (multiple of m, of n, of k) the kernel's tiles need.
    pub fn tile(self) -> (usize, usize, usize) {
        match self {
            MatmulKind::F32 => (64, 64, 16),
            MatmulKind::F16Tc => (128, 128, 32),
            MatmulKind::F16TcWide => (128, 256, 32),
        }
    }

    /// Bytes of one input element.
    pub fn elem_b(self) -> u64 {
        match self {
            MatmulKind::F32 => 4,
            _ => 2,
        }
    }
}

pub fn matmul(
    k: &Kernels,
    kind: MatmulKind,
    c: Buf,
    a: Buf,
    b: Buf,
    (m, n, kk): (usize, usize, usize),
) -> Result<Launch> {
    let (mt, nt, kt) = kind.tile();
    if m % mt != 0 || n % nt != 0 || kk % kt != 0 || m == 0 || n == 0 || kk == 0 {
        return Err(Error::Usage(format!(
            "{} matmul {m}x{n}x{kk}: m must be a multiple of {mt}, n of {nt} and k of {kt}",
            kind.name()
        )));
    }
    let (kernel, shared_b) = match kind {
        MatmulKind::F32 => (k.matmul_f32, 0),
        MatmulKind::F16Tc => (k.matmul_tc, k.matmul_tc_shared_b),
        MatmulKind::F16TcWide => (k.matmul_tc_wide, k.matmul_tc_wide_shared_b),
    };
    Ok(Launch {
        kernel,
        grid: [(n / nt) as u32, (m / mt) as u32, 1],
        block: [256, 1, 1],
        shared_b,
        args: vec![
            Arg::Buf(c),
            Arg::Buf(a),
            Arg::Buf(b),
            Arg::U32(m as u32),
            Arg::U32(n as u32),
            Arg::U32(kk as u32),
        ],
    })
}
