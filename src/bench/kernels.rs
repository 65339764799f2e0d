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
    pub bump: KernelId,
    pub read_sum: KernelId,
    /// Every large matmul kernel: fp32 first, then the tensor-core configs.
    pub matmuls: Vec<(MatmulKind, KernelId, u32)>,
    pub matmul16: KernelId,
}

impl Kernels {
    pub fn load(b: &mut dyn Backend) -> Result<Kernels> {
        let mut matmuls = Vec::new();
        for kind in MatmulKind::all() {
            let spec = kernel(kind.entry)?;
            matmuls.push((kind, b.load(&spec)?, spec.dynamic_shared_b()));
        }
        Ok(Kernels {
            empty: b.load(&kernel("empty")?)?,
            spin: b.load(&kernel("spin_ns")?)?,
            fill_u32: b.load(&kernel("fill_u32")?)?,
            fill_v4: b.load(&kernel("fill_v4")?)?,
            copy_v4: b.load(&kernel("copy_v4")?)?,
            bump: b.load(&kernel("bump_u32")?)?,
            read_sum: b.load(&kernel("read_sum_f32")?)?,
            matmuls,
            matmul16: b.load(&kernel("matmul16_f32")?)?,
        })
    }
}

/// Blocks for a grid-stride streaming kernel over `n16` vectors: enough for one batch of 4
/// vectors per thread, at most 64 blocks per SM (8 waves at 256 threads: measured on the H100,
/// 1 GB copy 2908 GB/s at 64 per SM vs 2838 at 8), at least 1. `max_blocks` overrides the cap
/// (the selftest uses a small grid so every thread loops).
pub fn stream_blocks(n16: u64, sm_count: u32, max_blocks: Option<u32>) -> u32 {
    let needed = n16.div_ceil(STREAM_THREADS as u64 * STREAM_UNROLL).max(1);
    let cap = max_blocks.unwrap_or(sm_count.max(1) * 64) as u64;
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

/// One grid of the order check: dst[i] = src[i] + 1 over n elements, 256 threads a block,
/// element n-1-g for thread g when `flip`.
pub fn bump(k: &Kernels, dst: Buf, src: Buf, n: u32, flip: bool) -> Launch {
    Launch::linear(
        k.bump,
        n.div_ceil(256),
        256,
        vec![
            Arg::Buf(dst),
            Arg::Buf(src),
            Arg::U32(n),
            Arg::U32(flip as u32),
        ],
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
        max_blocks_per_sm: 0,
        args: vec![Arg::Buf(c), Arg::Buf(a), Arg::Buf(b)],
    }
}

/// A large matmul kernel: the name its column has, its entry, the multiples of m, n and k its
/// tiles need, its input element size, and the largest relative error accepted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatmulKind {
    pub name: &'static str,
    pub entry: &'static str,
    pub tile: (usize, usize, usize),
    pub elem_b: u64,
    pub tolerance: f64,
}

impl MatmulKind {
    /// fp32 (FFMA): f32 accumulation over k <= 4096 stays far under 1e-4.
    pub const F32: MatmulKind = MatmulKind {
        name: "fp32",
        entry: "matmul_f32",
        tile: (64, 64, 16),
        elem_b: 4,
        tolerance: 1e-4,
    };

    /// fp32 then every tensor-core config of the registry.
    pub fn all() -> Vec<MatmulKind> {
        let mut v = vec![MatmulKind::F32];
        for c in crate::ptx::registry::TC_CONFIGS.iter() {
            v.push(MatmulKind {
                name: tc_name(c.entry),
                entry: c.entry,
                tile: (
                    crate::ptx::registry::TC_TILE_M as usize,
                    c.tile_n as usize,
                    c.tile_k as usize,
                ),
                elem_b: 2,
                tolerance: 1e-3,
            });
        }
        v
    }

    pub fn is_f16(&self) -> bool {
        self.elem_b == 2
    }
}

/// "fp16-tc-wide-k64" for "matmul_f16_tc_wide_k64".
fn tc_name(entry: &str) -> &'static str {
    match entry {
        "matmul_f16_tc" => "fp16-tc",
        "matmul_f16_tc_k64" => "fp16-tc-k64",
        "matmul_f16_tc_wide" => "fp16-tc-wide",
        "matmul_f16_tc_wide_k64" => "fp16-tc-wide-k64",
        _ => "fp16-tc-other",
    }
}

pub fn matmul(
    k: &Kernels,
    kind: &MatmulKind,
    c: Buf,
    a: Buf,
    b: Buf,
    (m, n, kk): (usize, usize, usize),
) -> Result<Launch> {
    let (mt, nt, kt) = kind.tile;
    if m % mt != 0 || n % nt != 0 || kk % kt != 0 || m == 0 || n == 0 || kk == 0 {
        return Err(Error::Usage(format!(
            "{} matmul {m}x{n}x{kk}: m must be a multiple of {mt}, n of {nt} and k of {kt}",
            kind.name
        )));
    }
    let (_, kernel, shared_b) = *k
        .matmuls
        .iter()
        .find(|(m, _, _)| m.entry == kind.entry)
        .ok_or_else(|| Error::Ptx(format!("{} not loaded", kind.entry)))?;
    Ok(Launch {
        kernel,
        grid: [(n / nt) as u32, (m / mt) as u32, 1],
        block: [256, 1, 1],
        shared_b,
        max_blocks_per_sm: 0,
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
