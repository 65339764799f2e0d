//! Launch geometry and bytes moved (for the profile) of each decode kernel, as functions of the
//! shapes. The host-side limits the PTX assumes are checked here, so a bad shape is an error
//! line, never a wrong kernel result.

use super::reference::row_bytes;
use crate::gpu::{Arg, Buf, KernelId, Launch};
use crate::{Error, GgmlType, Result};

/// Threads per block of the matvecs (rows per block = this / TPR).
pub const MATVEC_THREADS: u32 = 128;
/// Threads per block of the element-wise kernels, rmsnorm, attention and argmax.
pub const THREADS: u32 = 256;
pub const ATTN_THREADS: u32 = 128;
/// Threads of the one rmsnorm block per vector: its two passes walk the vector in steps of this
/// many, each step a dependent load (~0.5 us), so 1024 threads (2 steps for 2048 values) instead
/// of 256 (8 steps) takes its time from ~9.5 to ~4 us (measured on the H100, --profile).
pub const RMSNORM_THREADS: u32 = 1024;
/// attn_partial keeps one split's scores in 4 KiB of shared memory.
pub const ATTN_MAX_SPLIT: u32 = 1024;
/// Threads per attn_decode block (8 warps: at most 8, and at least head_dim threads).
pub const ATTN_DECODE_THREADS: u32 = 256;
/// argmax_partial blocks (the final pass reduces this many pairs).
pub const ARGMAX_BLOCKS: u32 = 256;

/// A launch and the bytes it reads plus writes in device memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub launch: Launch,
    pub bytes: u64,
}

fn grid(kernel: KernelId, grid: [u32; 3], block: u32, args: Vec<Arg>, bytes: u64) -> Planned {
    Planned {
        launch: Launch {
            kernel,
            grid,
            block: [block, 1, 1],
            shared_b: 0,
            max_blocks_per_sm: 0,
            args,
        },
        bytes,
    }
}

fn blocks(n: u64, per: u32) -> Result<u32> {
    u32::try_from(n.div_ceil(per as u64).max(1))
        .map_err(|_| Error::Usage(format!("{n} elements need more than 2^32 blocks")))
}

/// matvec_<ty> with `tpr` threads per row: y (+)= W x, W rows x cols in GGUF layout at `w`.
#[allow(clippy::too_many_arguments)]
pub fn matvec(
    kernel: KernelId,
    ty: GgmlType,
    tpr: u32,
    y: Buf,
    w: Buf,
    x: Buf,
    rows: u32,
    cols: u32,
    accumulate: bool,
) -> Result<Planned> {
    let rb = row_bytes(ty, cols as usize)? as u64;
    let align = match ty {
        GgmlType::Q4_K | GgmlType::Q5_K | GgmlType::F16 => 16,
        _ => 2,
    };
    check_aligned(&format!("matvec {ty}"), w, align, x)?;
    if ty == GgmlType::F16 && !cols.is_multiple_of(8) {
        return Err(Error::Usage(format!(
            "matvec F16: cols {cols} not a multiple of 8"
        )));
    }
    if !cols.is_multiple_of(32) || tpr == 0 || 32 % tpr != 0 {
        return Err(Error::Usage(format!("matvec {ty}: cols {cols}, tpr {tpr}")));
    }
    let rows_per_block = MATVEC_THREADS / tpr;
    matvec_launch(
        kernel,
        [y, w, x],
        rows,
        cols,
        accumulate,
        rb,
        rows_per_block,
    )
}

/// The matvec alignment rule: weights on a `w_align_b` boundary (the kernel's widest weight
/// load), x on 16 (float4 loads).
fn check_aligned(what: &str, w: Buf, w_align_b: u64, x: Buf) -> Result<()> {
    if !w.gpu_va.is_multiple_of(w_align_b) || !x.gpu_va.is_multiple_of(16) {
        return Err(Error::Usage(format!(
            "{what}: weights at {:#x} need {w_align_b}-byte alignment, x at {:#x} 16",
            w.gpu_va, x.gpu_va
        )));
    }
    Ok(())
}

/// The launch every matvec kernel shares: (y, w, x, rows, cols, accumulate), MATVEC_THREADS
/// threads per block; bytes = the weights, x, and y (read too when accumulating).
fn matvec_launch(
    kernel: KernelId,
    [y, w, x]: [Buf; 3],
    rows: u32,
    cols: u32,
    accumulate: bool,
    row_b: u64,
    rows_per_block: u32,
) -> Result<Planned> {
    let bytes = rows as u64 * row_b + cols as u64 * 4 + rows as u64 * 4 * (1 + accumulate as u64);
    Ok(grid(
        kernel,
        [blocks(rows as u64, rows_per_block)?, 1, 1],
        MATVEC_THREADS,
        vec![
            Arg::Buf(y),
            Arg::Buf(w),
            Arg::Buf(x),
            Arg::U32(rows),
            Arg::U32(cols),
            Arg::U32(accumulate as u32),
        ],
        bytes,
    ))
}

/// A warp-per-row matvec (`entry` in kernels::WARP_MATVECS): y (+)= W x with
/// rows_per_warp rows per warp, MATVEC_THREADS threads per block, one block per row group (a
/// grid-stride entry runs with that grid too; [`matvec_stream`] caps it).
#[allow(clippy::too_many_arguments)]
pub fn matvec_warp(
    kernel: KernelId,
    entry: &str,
    ty: GgmlType,
    y: Buf,
    w: Buf,
    x: Buf,
    rows: u32,
    cols: u32,
    accumulate: bool,
) -> Result<Planned> {
    warp_launch(kernel, entry, ty, [y, w, x], rows, cols, accumulate, None)
}

/// A split-K matvec (`entry` in kernels::split_matvec_named: matvec_q8_0_k): y (+)= W x, one
/// block of MATVEC_THREADS threads per rows_per_block rows, its warps splitting the columns.
#[allow(clippy::too_many_arguments)]
pub fn matvec_split(
    kernel: KernelId,
    entry: &str,
    ty: GgmlType,
    y: Buf,
    w: Buf,
    x: Buf,
    rows: u32,
    cols: u32,
    accumulate: bool,
) -> Result<Planned> {
    let m = super::kernels::split_matvec_named(entry)
        .filter(|m| m.ty == ty && cols > 0 && cols.is_multiple_of(m.cols_multiple))
        .ok_or_else(|| {
            Error::Usage(format!(
                "{entry}: not a split-K matvec for {ty} with {cols} cols"
            ))
        })?;
    check_aligned(entry, w, 8, x)?;
    let rb = row_bytes(ty, cols as usize)? as u64;
    matvec_launch(
        kernel,
        [y, w, x],
        rows,
        cols,
        accumulate,
        rb,
        m.rows_per_block,
    )
}

/// A grid-stride warp matvec (`matvec_q6_k_s`): as [`matvec_warp`] with at most `max_blocks`
/// blocks (kernels::stream_grid: sm_count x blocks per SM), each warp walking several row groups.
#[allow(clippy::too_many_arguments)]
pub fn matvec_stream(
    kernel: KernelId,
    entry: &str,
    ty: GgmlType,
    y: Buf,
    w: Buf,
    x: Buf,
    rows: u32,
    cols: u32,
    accumulate: bool,
    max_blocks: u32,
) -> Result<Planned> {
    let grid_stride = super::kernels::warp_matvec_named(entry).is_some_and(|m| m.grid_stride);
    if !grid_stride {
        return Err(Error::Usage(format!(
            "{entry}: not a grid-stride matvec (one block per row group)"
        )));
    }
    let max_blocks = Some(max_blocks.max(1));
    warp_launch(
        kernel,
        entry,
        ty,
        [y, w, x],
        rows,
        cols,
        accumulate,
        max_blocks,
    )
}

#[allow(clippy::too_many_arguments)]
fn warp_launch(
    kernel: KernelId,
    entry: &str,
    ty: GgmlType,
    [y, w, x]: [Buf; 3],
    rows: u32,
    cols: u32,
    accumulate: bool,
    max_blocks: Option<u32>,
) -> Result<Planned> {
    let m = super::kernels::warp_matvec_named(entry)
        .filter(|m| m.ty == ty && cols.is_multiple_of(m.cols_multiple))
        .ok_or_else(|| {
            Error::Usage(format!(
                "{entry}: not a warp-per-row matvec for {ty} with {cols} cols"
            ))
        })?;
    check_aligned(entry, w, 8, x)?;
    let rb = row_bytes(ty, cols as usize)? as u64;
    let rows_per_block = MATVEC_THREADS / 32 * m.rows_per_warp;
    let mut p = matvec_launch(
        kernel,
        [y, w, x],
        rows,
        cols,
        accumulate,
        rb,
        rows_per_block,
    )?;
    if let Some(cap) = max_blocks {
        p.launch.grid[0] = p.launch.grid[0].min(cap);
    }
    Ok(p)
}

/// The folded-norm parts of a `matvec_q6_k_n` launch (normfold); all off is matvec_q6_k_w.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NormFold {
    /// Consumer: the slot holding sum X^2 of the residual X whose X o nw this launch reads as
    /// x; each row result is multiplied by 1 / sqrt(slot / cols + eps).
    pub sumsq_in: Option<Buf>,
    pub eps: f32,
    /// Producer: (xw_out, norm_next, sumsq_out): xw_out[r] = y[r] * norm_next[r] once y is
    /// final, and sum y[r]^2 added into sumsq_out[0].
    pub produce: Option<(Buf, Buf, Buf)>,
    /// A slot this launch sets to 0.0 (block 0, thread 0), for a later producer to add into.
    pub sumsq_clear: Option<Buf>,
}

/// matvec_q6_k_n: matvec_q6_k_w's y (+)= W x (2 rows per warp, cols a multiple of 1024) with
/// the norm folded in per `fold`. The slot cleared must not be one the launch reads or adds to.
#[allow(clippy::too_many_arguments)]
pub fn matvec_norm(
    kernel: KernelId,
    ty: GgmlType,
    y: Buf,
    w: Buf,
    x: Buf,
    rows: u32,
    cols: u32,
    mode: MatvecMode,
    fold: NormFold,
) -> Result<Planned> {
    let entry = super::kernels::NORM_MATVEC_Q6_K;
    matvec_norm_as(entry, kernel, ty, [y, w, x], rows, cols, mode, fold)
}

/// The launch of `entry`, any kernel of NORM_MATVEC_PARAMS: one of NORM_MATVEC_Q6_K_WARP
/// ([`matvec_norm`]'s grid and results) or matvec_q6_k_nk ([`matvec_norm_split`]).
#[allow(clippy::too_many_arguments)]
pub fn matvec_norm_as(
    entry: &str,
    kernel: KernelId,
    ty: GgmlType,
    ywx: [Buf; 3],
    rows: u32,
    cols: u32,
    mode: MatvecMode,
    fold: NormFold,
) -> Result<Planned> {
    if entry == super::kernels::NORM_MATVEC_Q6_K_SPLIT {
        let [y, w, x] = ywx;
        return matvec_norm_split(kernel, ty, y, w, x, rows, cols, mode, fold);
    }
    if !super::kernels::NORM_MATVEC_Q6_K_WARP.contains(&entry) {
        return Err(Error::Usage(format!(
            "{entry}: not a kernel of matvec_q6_k_n's parameters"
        )));
    }
    norm_launch(
        kernel,
        entry,
        MATVEC_THREADS / 16,
        ty,
        ywx,
        rows,
        cols,
        mode,
        fold,
    )
}

/// matvec_q6_k_nk (splitq6): matvec_norm's parameters and results, split over the columns (one
/// row pair per block of MATVEC_THREADS threads, its 4 warps splitting the 1024-column chunks).
#[allow(clippy::too_many_arguments)]
pub fn matvec_norm_split(
    kernel: KernelId,
    ty: GgmlType,
    y: Buf,
    w: Buf,
    x: Buf,
    rows: u32,
    cols: u32,
    mode: MatvecMode,
    fold: NormFold,
) -> Result<Planned> {
    let entry = super::kernels::NORM_MATVEC_Q6_K_SPLIT;
    if mode == MatvecMode::Glu {
        return Err(Error::Usage(format!("{entry}: no glu mode")));
    }
    norm_launch(kernel, entry, 2, ty, [y, w, x], rows, cols, mode, fold)
}

/// A folded-norm Q6_K matvec launch of `entry` with `rows_per_block` rows per block.
#[allow(clippy::too_many_arguments)]
fn norm_launch(
    kernel: KernelId,
    entry: &str,
    rows_per_block: u32,
    ty: GgmlType,
    [y, w, x]: [Buf; 3],
    rows: u32,
    cols: u32,
    mode: MatvecMode,
    fold: NormFold,
) -> Result<Planned> {
    let glu = mode == MatvecMode::Glu;
    if glu && (!rows.is_multiple_of(2) || fold.produce.is_some()) {
        return Err(Error::Usage(format!(
            "{entry} glu: {rows} rows (expected gate rows then as many up rows, no producer outputs)"
        )));
    }
    if ty != GgmlType::Q6_K || cols == 0 || !cols.is_multiple_of(1024) || rows == 0 {
        return Err(Error::Usage(format!(
            "{entry}: {rows} x {cols} {ty} (expected Q6_K, cols a non-zero multiple of 1024)"
        )));
    }
    check_aligned(entry, w, 8, x)?;
    let rb = row_bytes(ty, cols as usize)? as u64;
    let out_b = if glu {
        rows as u64 * 2
    } else {
        rows as u64 * 4
    };
    let slot_small = |b: &Option<Buf>| b.is_some_and(|b| b.size_b < 4);
    let produce_small = fold
        .produce
        .is_some_and(|(xw, nw, s)| xw.size_b < out_b || nw.size_b < out_b || s.size_b < 4);
    if w.size_b < rows as u64 * rb
        || x.size_b < cols as u64 * 4
        || y.size_b < out_b
        || slot_small(&fold.sumsq_in)
        || slot_small(&fold.sumsq_clear)
        || produce_small
    {
        return Err(Error::Usage(format!(
            "{entry}: buffers too small for {rows} x {cols} (or a norm slot under 4 bytes)"
        )));
    }
    if let Some(c) = fold.sumsq_clear {
        let out = fold.produce.map(|(_, _, s)| s);
        if [fold.sumsq_in, out].contains(&Some(c)) {
            return Err(Error::Usage(format!(
                "{entry}: the slot cleared at {:#x} is one the launch reads or adds to",
                c.gpu_va
            )));
        }
    }
    let mut p = matvec_launch(
        kernel,
        [y, w, x],
        rows,
        cols,
        mode == MatvecMode::Accumulate,
        rb,
        rows_per_block,
    )?;
    if glu {
        // One output per gate/up row pair; the grid stays one warp per row pair.
        p.launch.args[5] = Arg::U32(mode.code());
        p.bytes -= out_b;
    }
    let ptr = |b: Option<Buf>| Arg::U64(b.map_or(0, |b| b.gpu_va));
    p.launch.args.extend([
        ptr(fold.sumsq_in),
        Arg::F32(fold.eps),
        ptr(fold.produce.map(|t| t.0)),
        ptr(fold.produce.map(|t| t.1)),
        ptr(fold.produce.map(|t| t.2)),
        ptr(fold.sumsq_clear),
    ]);
    p.bytes += fold.sumsq_in.map_or(0, |_| 4) + fold.produce.map_or(0, |_| 2 * out_b + 4);
    Ok(p)
}

/// What a fused matvec does with its row dots (the kernel's `mode` parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatvecMode {
    /// y[r] = dot_r (mode 0).
    Store,
    /// y[r] += dot_r (mode 1: the residual add).
    Accumulate,
    /// y[r] = silu(dot_r) * dot_(r + rows/2) for r < rows/2: gate rows then up rows (mode 2).
    Glu,
}

impl MatvecMode {
    /// The kernel's `mode` value.
    pub fn code(self) -> u32 {
        match self {
            MatvecMode::Store => 0,
            MatvecMode::Accumulate => 1,
            MatvecMode::Glu => 2,
        }
    }

    /// The mode of a `mode` value, None for an unknown one.
    pub fn from_code(code: u32) -> Option<MatvecMode> {
        [MatvecMode::Store, MatvecMode::Accumulate, MatvecMode::Glu]
            .into_iter()
            .find(|m| m.code() == code)
    }

    /// Outputs written for `rows` weight rows.
    pub fn outputs(self, rows: u32) -> u32 {
        match self {
            MatvecMode::Glu => rows / 2,
            _ => rows,
        }
    }
}

/// Two fused matvecs of one x as one launch of the paired `kernel` (scripts/ptxgen/pair.py,
/// a kernels::MATVEC_PAIRS entry): `a` and `b` as [`matvec_fused`] built them for the pair's
/// two parts, on their own uncapped grids. The pair's blocks are
/// a's then b's; its arguments a's, b's, then a's block count; its dynamic shared memory the
/// larger of the two (they stage the same x).
pub fn matvec_pair(kernel: KernelId, a: Planned, b: Planned) -> Result<Planned> {
    let (la, lb) = (&a.launch, &b.launch);
    if la.block != lb.block || la.grid[1..] != [1, 1] || lb.grid[1..] != [1, 1] {
        return Err(Error::Usage(format!(
            "matvec pair: blocks {:?} and {:?}, grids {:?} and {:?} (one block shape, 1-D grids)",
            la.block, lb.block, la.grid, lb.grid
        )));
    }
    let mut args = la.args.clone();
    args.extend_from_slice(&lb.args);
    args.push(Arg::U32(la.grid[0]));
    let mut p = grid(
        kernel,
        [la.grid[0] + lb.grid[0], 1, 1],
        la.block[0],
        args,
        a.bytes + b.bytes,
    );
    p.launch.shared_b = la.shared_b.max(lb.shared_b);
    Ok(p)
}

/// A fused matvec (`entry` in kernels::FUSED_MATVECS): x (rmsnorm-ed with norm_w when given,
/// x_i * w_i / sqrt(mean x^2 + eps)), then y = W x, y += W x or the SwiGLU of gate rows and up
/// rows (`mode`). shared_b = cols * the kernel's shared_b_per_col (x staged per block, or 0).
/// The grid is one block per 4 row pairs, at most `max_blocks` when that is non-zero (each warp
/// then walks row pairs wid, wid + 4 nctaid, ...).
#[allow(clippy::too_many_arguments)]
pub fn matvec_fused(
    kernel: KernelId,
    entry: &str,
    ty: GgmlType,
    y: Buf,
    w: Buf,
    x: Buf,
    norm_w: Option<Buf>,
    rows: u32,
    cols: u32,
    mode: MatvecMode,
    eps: f32,
    max_blocks: u32,
) -> Result<Planned> {
    let m = super::kernels::fused_matvec_named(entry)
        .filter(|m| m.ty == ty)
        .ok_or_else(|| Error::Usage(format!("{entry}: not a fused matvec for {ty}")))?;
    if cols == 0 || !cols.is_multiple_of(m.cols_multiple) || cols > m.max_cols {
        return Err(Error::Usage(format!(
            "{entry}: cols {cols} (expected a multiple of {} up to {})",
            m.cols_multiple, m.max_cols
        )));
    }
    if rows == 0 || (mode == MatvecMode::Glu && !rows.is_multiple_of(2)) {
        return Err(Error::Usage(format!(
            "{entry}: {rows} rows (glu mode needs an even, non-zero count: gate rows then up rows)"
        )));
    }
    let norm_misaligned = norm_w.is_some_and(|n| !n.gpu_va.is_multiple_of(16));
    if !w.gpu_va.is_multiple_of(m.w_align_b) || !x.gpu_va.is_multiple_of(16) || norm_misaligned {
        return Err(Error::Usage(format!(
            "{entry}: weights at {:#x} need {}-byte alignment, x at {:#x} and norm_w at {:#x} 16",
            w.gpu_va,
            m.w_align_b,
            x.gpu_va,
            norm_w.map_or(0, |n| n.gpu_va)
        )));
    }
    let rb = row_bytes(ty, cols as usize)? as u64;
    let outputs = mode.outputs(rows) as u64;
    if w.size_b < rows as u64 * rb
        || x.size_b < cols as u64 * 4
        || y.size_b < outputs * 4
        || norm_w.is_some_and(|n| n.size_b < cols as u64 * 4)
    {
        return Err(Error::Usage(format!(
            "{entry}: buffers too small for {rows} x {cols} ({ty}, {outputs} outputs)"
        )));
    }
    // Rows per block: warps x rows per warp; in glu mode each warp writes one output.
    let warps = m.threads / 32;
    let outputs_per_block = match mode {
        MatvecMode::Glu => warps * m.rows_per_warp / 2,
        _ => warps * m.rows_per_warp,
    };
    let norm_b = norm_w.map_or(0, |_| cols as u64 * 4);
    let y_b = outputs * 4 * (1 + (mode == MatvecMode::Accumulate) as u64);
    let bytes = rows as u64 * rb + cols as u64 * 4 + norm_b + y_b;
    if max_blocks > 0 && !m.any_grid {
        return Err(Error::Usage(format!(
            "{entry}: runs on its own grid only (one block per {outputs_per_block} outputs), not at most {max_blocks} blocks"
        )));
    }
    let n_blocks = m.capped_blocks(blocks(outputs, outputs_per_block)?, max_blocks);
    let mut p = grid(
        kernel,
        [n_blocks, 1, 1],
        m.threads,
        vec![
            Arg::Buf(y),
            Arg::Buf(w),
            Arg::Buf(x),
            Arg::U64(norm_w.map_or(0, |n| n.gpu_va)),
            Arg::U32(rows),
            Arg::U32(cols),
            Arg::U32(mode.code()),
            Arg::F32(eps),
        ],
        bytes,
    );
    p.launch.shared_b = cols * m.shared_b_per_col;
    Ok(p)
}

/// rmsnorm of `n_vec` vectors of n (one block each).
pub fn rmsnorm(k: KernelId, out: Buf, x: Buf, w: Buf, n: u32, n_vec: u32, eps: f32) -> Planned {
    let bytes = n as u64 * 4 * (2 * n_vec as u64 + 1);
    grid(
        k,
        [n_vec, 1, 1],
        RMSNORM_THREADS,
        vec![
            Arg::Buf(out),
            Arg::Buf(x),
            Arg::Buf(w),
            Arg::U32(n),
            Arg::F32(eps),
        ],
        bytes,
    )
}

/// rope_llama / rope_neox over n_q + n_k heads of d; `ff` None = no frequency factors.
#[allow(clippy::too_many_arguments)]
pub fn rope(
    k: KernelId,
    q: Buf,
    kk: Buf,
    n_q: u32,
    n_k: u32,
    d: u32,
    pos_buf: Buf,
    base: f32,
    ff: Option<Buf>,
) -> Result<Planned> {
    if !d.is_multiple_of(2) {
        return Err(Error::Usage(format!("rope: head_dim {d} is odd")));
    }
    let pairs = (n_q + n_k) as u64 * d as u64 / 2;
    Ok(grid(
        k,
        [blocks(pairs, THREADS)?, 1, 1],
        THREADS,
        vec![
            Arg::Buf(q),
            Arg::Buf(kk),
            Arg::U32(n_q),
            Arg::U32(n_k),
            Arg::U32(d),
            Arg::Buf(pos_buf),
            Arg::F32(base),
            Arg::U64(ff.map_or(0, |b| b.gpu_va)),
        ],
        pairs * 16 + 4,
    ))
}

/// qk_norm_rope_neox: one block of d/2 threads (rounded up to a warp) per head.
#[allow(clippy::too_many_arguments)]
pub fn qk_norm_rope(
    k: KernelId,
    q: Buf,
    kk: Buf,
    q_norm: Buf,
    k_norm: Buf,
    n_q: u32,
    n_k: u32,
    d: u32,
    eps: f32,
    pos_buf: Buf,
    base: f32,
    ff: Option<Buf>,
) -> Result<Planned> {
    if !d.is_multiple_of(2) || d > 2048 {
        return Err(Error::Usage(format!(
            "qk_norm_rope: head_dim {d} (even, <= 2048)"
        )));
    }
    let threads = (d / 2).div_ceil(32) * 32;
    Ok(grid(
        k,
        [n_q + n_k, 1, 1],
        threads,
        vec![
            Arg::Buf(q),
            Arg::Buf(kk),
            Arg::Buf(q_norm),
            Arg::Buf(k_norm),
            Arg::U32(n_q),
            Arg::U32(n_k),
            Arg::U32(d),
            Arg::F32(eps),
            Arg::Buf(pos_buf),
            Arg::F32(base),
            Arg::U64(ff.map_or(0, |b| b.gpu_va)),
        ],
        (n_q + n_k) as u64 * d as u64 * 8 + 2 * d as u64 * 4,
    ))
}

/// kv_append of one position: width = n_kv * head_dim values each of k and v.
#[allow(clippy::too_many_arguments)]
pub fn kv_append(
    k: KernelId,
    k_cache: Buf,
    v_cache: Buf,
    kk: Buf,
    v: Buf,
    pos_buf: Buf,
    width: u32,
    max_ctx: u32,
) -> Result<Planned> {
    check_caches("kv_append", k_cache, v_cache, width, max_ctx)?;
    Ok(grid(
        k,
        [blocks(width as u64, THREADS)?, 1, 1],
        THREADS,
        vec![
            Arg::Buf(k_cache),
            Arg::Buf(v_cache),
            Arg::Buf(kk),
            Arg::Buf(v),
            Arg::Buf(pos_buf),
            Arg::U32(width),
            Arg::U32(max_ctx),
        ],
        width as u64 * 12 + 4,
    ))
}

/// Splits for a cache of max_ctx positions at split_len each.
pub fn attn_splits(max_ctx: u32, split_len: u32) -> u32 {
    max_ctx.div_ceil(split_len.max(1)).max(1)
}

/// The two attention launches (partial over `n_split` splits, then combine). `ctx_hint` is the
/// context the byte count assumes (the kernels read pos from pos_buf).
#[allow(clippy::too_many_arguments)]
pub fn attention(
    partial: KernelId,
    combine: KernelId,
    out: Buf,
    part_o: Buf,
    part_ml: Buf,
    q: Buf,
    k_cache: Buf,
    v_cache: Buf,
    pos_buf: Buf,
    n_head: u32,
    n_kv: u32,
    d: u32,
    split_len: u32,
    n_split: u32,
    ctx_hint: u32,
) -> Result<[Planned; 2]> {
    if !d.is_multiple_of(64) || d > 256 || split_len == 0 || split_len > ATTN_MAX_SPLIT {
        return Err(Error::Usage(format!(
            "attention: head_dim {d} (a multiple of 64, <= 256), split {split_len} (1..={ATTN_MAX_SPLIT})"
        )));
    }
    if n_kv == 0 || !n_head.is_multiple_of(n_kv) {
        return Err(Error::Usage(format!(
            "attention: {n_head} heads, {n_kv} kv heads"
        )));
    }
    let slots = n_head as u64 * n_split as u64;
    if part_o.size_b < slots * d as u64 * 4 || part_ml.size_b < slots * 8 {
        return Err(Error::Usage(format!(
            "attention: partial buffers too small for {slots} slots"
        )));
    }
    let scale = 1.0 / (d as f32).sqrt();
    let kv_bytes = ctx_hint as u64 * n_kv as u64 * d as u64 * 2 * 2;
    let p = grid(
        partial,
        [n_head, n_split, 1],
        ATTN_THREADS,
        vec![
            Arg::Buf(part_o),
            Arg::Buf(part_ml),
            Arg::Buf(q),
            Arg::Buf(k_cache),
            Arg::Buf(v_cache),
            Arg::Buf(pos_buf),
            Arg::U32(n_head),
            Arg::U32(n_kv),
            Arg::U32(d),
            Arg::U32(split_len),
            Arg::F32(scale),
        ],
        kv_bytes + n_head as u64 * d as u64 * 4 + slots * (d as u64 * 4 + 8),
    );
    let c = grid(
        combine,
        [n_head, 1, 1],
        ATTN_THREADS,
        vec![
            Arg::Buf(out),
            Arg::Buf(part_o),
            Arg::Buf(part_ml),
            Arg::U32(d),
            Arg::U32(n_split),
        ],
        slots * (d as u64 * 4 + 8) + n_head as u64 * d as u64 * 4,
    );
    Ok([p, c])
}

/// The cache bytes rope_kv/kv_append need for `max_ctx` positions of `width` values, checked.
fn check_caches(what: &str, k_cache: Buf, v_cache: Buf, width: u32, max_ctx: u32) -> Result<()> {
    let need = width as u64 * max_ctx as u64 * 2;
    if k_cache.size_b < need || v_cache.size_b < need {
        return Err(Error::Usage(format!(
            "{what}: caches of {} / {} bytes, {need} needed for {max_ctx} positions",
            k_cache.size_b, v_cache.size_b
        )));
    }
    Ok(())
}

/// The shapes rope_kv / qk_norm_rope_kv share: q, k, v of the qkv buffer; the layer's caches.
#[derive(Debug, Clone, Copy)]
pub struct RopeKvBufs {
    pub q: Buf,
    pub k: Buf,
    pub v: Buf,
    pub k_cache: Buf,
    pub v_cache: Buf,
    pub pos_buf: Buf,
}

/// rope_kv_llama / rope_kv_neox: rope on n_q + n_k heads of d (one thread per pair) and the
/// append of k (rotated) and v at row pos of the caches (max_ctx rows of n_k * d f16 each).
#[allow(clippy::too_many_arguments)]
pub fn rope_kv(
    k: KernelId,
    b: RopeKvBufs,
    n_q: u32,
    n_k: u32,
    d: u32,
    max_ctx: u32,
    base: f32,
    ff: Option<Buf>,
) -> Result<Planned> {
    if !d.is_multiple_of(2) {
        return Err(Error::Usage(format!("rope_kv: head_dim {d} is odd")));
    }
    check_caches("rope_kv", b.k_cache, b.v_cache, n_k * d, max_ctx)?;
    let pairs = (n_q + n_k) as u64 * d as u64 / 2;
    let width = (n_k * d) as u64;
    Ok(grid(
        k,
        [blocks(pairs, THREADS)?, 1, 1],
        THREADS,
        vec![
            Arg::Buf(b.q),
            Arg::Buf(b.k),
            Arg::Buf(b.v),
            Arg::Buf(b.k_cache),
            Arg::Buf(b.v_cache),
            Arg::Buf(b.pos_buf),
            Arg::U32(n_q),
            Arg::U32(n_k),
            Arg::U32(d),
            Arg::U32(max_ctx),
            Arg::F32(base),
            Arg::U64(ff.map_or(0, |b| b.gpu_va)),
        ],
        pairs * 16 + width * 8 + 4,
    ))
}

/// qk_norm_rope_kv_neox: one block of d/2 threads (rounded up to a warp) per head; the k-head
/// blocks append k (normed, rotated) and v at row pos.
#[allow(clippy::too_many_arguments)]
pub fn qk_norm_rope_kv(
    k: KernelId,
    b: RopeKvBufs,
    q_norm: Buf,
    k_norm: Buf,
    n_q: u32,
    n_k: u32,
    d: u32,
    max_ctx: u32,
    eps: f32,
    base: f32,
    ff: Option<Buf>,
) -> Result<Planned> {
    if !d.is_multiple_of(2) || d > 2048 {
        return Err(Error::Usage(format!(
            "qk_norm_rope_kv: head_dim {d} (even, <= 2048)"
        )));
    }
    check_caches("qk_norm_rope_kv", b.k_cache, b.v_cache, n_k * d, max_ctx)?;
    let threads = (d / 2).div_ceil(32) * 32;
    Ok(grid(
        k,
        [n_q + n_k, 1, 1],
        threads,
        vec![
            Arg::Buf(b.q),
            Arg::Buf(b.k),
            Arg::Buf(b.v),
            Arg::Buf(q_norm),
            Arg::Buf(k_norm),
            Arg::Buf(b.k_cache),
            Arg::Buf(b.v_cache),
            Arg::U32(n_q),
            Arg::U32(n_k),
            Arg::U32(d),
            Arg::U32(max_ctx),
            Arg::F32(eps),
            Arg::Buf(b.pos_buf),
            Arg::F32(base),
            Arg::U64(ff.map_or(0, |b| b.gpu_va)),
        ],
        (n_q + n_k) as u64 * d as u64 * 8 + 2 * d as u64 * 4 + (n_k * d) as u64 * 8,
    ))
}

/// The buffers of attn_decode: output, split partials, per-head counters (u32, zero at
/// allocation; the kernel leaves them zero), q and the layer's caches.
#[derive(Debug, Clone, Copy)]
pub struct AttnDecodeBufs {
    pub out: Buf,
    pub part_o: Buf,
    pub part_ml: Buf,
    pub counters: Buf,
    pub q: Buf,
    pub k_cache: Buf,
    pub v_cache: Buf,
    pub pos_buf: Buf,
}

/// attn_decode: one launch of grid (n_head, n_split), ATTN_DECODE_THREADS threads; the last
/// block of each head combines its splits. `ctx_hint` is the context the byte count assumes.
#[allow(clippy::too_many_arguments)]
pub fn attn_decode(
    k: KernelId,
    b: AttnDecodeBufs,
    n_head: u32,
    n_kv: u32,
    d: u32,
    split_len: u32,
    n_split: u32,
    ctx_hint: u32,
) -> Result<Planned> {
    if !d.is_multiple_of(64) || d > 256 || d > ATTN_DECODE_THREADS || split_len == 0 {
        return Err(Error::Usage(format!(
            "attn_decode: head_dim {d} (a multiple of 64, <= 256), split {split_len} (>= 1)"
        )));
    }
    if n_kv == 0 || !n_head.is_multiple_of(n_kv) || n_split == 0 {
        return Err(Error::Usage(format!(
            "attn_decode: {n_head} heads, {n_kv} kv heads, {n_split} splits"
        )));
    }
    let slots = n_head as u64 * n_split as u64;
    if b.part_o.size_b < slots * d as u64 * 4
        || b.part_ml.size_b < slots * 8
        || b.counters.size_b < n_head as u64 * 4
    {
        return Err(Error::Usage(format!(
            "attn_decode: partial buffers too small for {slots} slots or counters for {n_head} heads"
        )));
    }
    let scale = 1.0 / (d as f32).sqrt();
    let kv_bytes = ctx_hint as u64 * n_kv as u64 * d as u64 * 2 * 2;
    let used = ctx_hint.div_ceil(split_len).clamp(1, n_split) as u64;
    let part_b = if used > 1 {
        n_head as u64 * used * (d as u64 * 4 + 8) * 2 + n_head as u64 * 8
    } else {
        0
    };
    Ok(grid(
        k,
        [n_head, n_split, 1],
        ATTN_DECODE_THREADS,
        vec![
            Arg::Buf(b.out),
            Arg::Buf(b.part_o),
            Arg::Buf(b.part_ml),
            Arg::Buf(b.counters),
            Arg::Buf(b.q),
            Arg::Buf(b.k_cache),
            Arg::Buf(b.v_cache),
            Arg::Buf(b.pos_buf),
            Arg::U32(n_head),
            Arg::U32(n_kv),
            Arg::U32(d),
            Arg::U32(split_len),
            Arg::F32(scale),
        ],
        kv_bytes + 2 * n_head as u64 * d as u64 * 4 + part_b,
    ))
}

/// The buffers of attn_rope_*: attn_decode's (q is the whole q|k|v of the current position,
/// raw: q of n_head heads, k and v of n_kv heads, f32), the q/k norm weights (attn_qknorm_rope_neox
/// reads them; None for the others) and the rope frequency factors.
#[derive(Debug, Clone, Copy)]
pub struct AttnRopeBufs {
    pub attn: AttnDecodeBufs,
    pub norms: Option<(Buf, Buf)>,
    pub ff: Option<Buf>,
}

/// Head dims attn_rope_* takes: d/8 lanes per position must divide the warp.
pub fn attn_rope_takes(d: u32) -> bool {
    matches!(d, 64 | 128 | 256)
}

/// attn_rope_llama / attn_rope_neox / attn_qknorm_rope_neox: rope (and q/k norm), the K/V append
/// at row pos of the caches (max_ctx rows) and attn_decode's split attention, one launch of grid
/// (n_head, n_split), ATTN_DECODE_THREADS threads. `ctx_hint` is the context the bytes assume.
#[allow(clippy::too_many_arguments)]
pub fn attn_rope(
    k: KernelId,
    b: AttnRopeBufs,
    n_head: u32,
    n_kv: u32,
    d: u32,
    split_len: u32,
    n_split: u32,
    max_ctx: u32,
    eps: f32,
    base: f32,
    ctx_hint: u32,
) -> Result<Planned> {
    if !attn_rope_takes(d) {
        return Err(Error::Usage(format!(
            "attn_rope: head_dim {d} (64, 128 or 256)"
        )));
    }
    let a = b.attn;
    check_caches("attn_rope", a.k_cache, a.v_cache, n_kv * d, max_ctx)?;
    let qkv_b = (n_head + 2 * n_kv) as u64 * d as u64 * 4;
    if a.q.size_b < qkv_b {
        return Err(Error::Usage(format!(
            "attn_rope: qkv buffer of {} bytes, {qkv_b} needed",
            a.q.size_b
        )));
    }
    // attn_decode's checks and byte count, then this kernel's arguments.
    let p = attn_decode(k, a, n_head, n_kv, d, split_len, n_split, ctx_hint)?;
    let ptr = |o: Option<Buf>| Arg::U64(o.map_or(0, |b| b.gpu_va));
    let (qn, kn) = match b.norms {
        Some((q, k)) => (Some(q), Some(k)),
        None => (None, None),
    };
    let norm_b = if qn.is_some() { 2 * d as u64 * 4 } else { 0 };
    Ok(grid(
        k,
        [n_head, n_split, 1],
        ATTN_DECODE_THREADS,
        vec![
            Arg::Buf(a.out),
            Arg::Buf(a.part_o),
            Arg::Buf(a.part_ml),
            Arg::Buf(a.counters),
            Arg::Buf(a.q),
            ptr(qn),
            ptr(kn),
            Arg::Buf(a.k_cache),
            Arg::Buf(a.v_cache),
            Arg::Buf(a.pos_buf),
            ptr(b.ff),
            Arg::U32(n_head),
            Arg::U32(n_kv),
            Arg::U32(d),
            Arg::U32(split_len),
            Arg::U32(max_ctx),
            Arg::F32(1.0 / (d as f32).sqrt()),
            Arg::F32(eps),
            Arg::F32(base),
        ],
        p.bytes + 2 * (n_kv * d) as u64 * 4 + (n_kv * d) as u64 * 4 + norm_b,
    ))
}

/// swiglu or add_f32 over n values (three f32 streams).
pub fn binary(k: KernelId, out: Buf, a: Buf, b: Buf, n: u32) -> Result<Planned> {
    Ok(grid(
        k,
        [blocks(n as u64, THREADS)?, 1, 1],
        THREADS,
        vec![Arg::Buf(out), Arg::Buf(a), Arg::Buf(b), Arg::U32(n)],
        n as u64 * 12,
    ))
}

/// embed_<ty>: one row of the token table (rows x cols) into out.
#[allow(clippy::too_many_arguments)]
pub fn embed(
    k: KernelId,
    ty: GgmlType,
    out: Buf,
    w: Buf,
    token_buf: Buf,
    cols: u32,
    rows: u32,
) -> Result<Planned> {
    let rb = row_bytes(ty, cols as usize)? as u64;
    Ok(grid(
        k,
        [blocks(cols as u64, THREADS)?, 1, 1],
        THREADS,
        vec![
            Arg::Buf(out),
            Arg::Buf(w),
            Arg::Buf(token_buf),
            Arg::U32(cols),
            Arg::U32(rows),
        ],
        rb + cols as u64 * 4 + 4,
    ))
}

/// argmax_partial (ARGMAX_BLOCKS blocks, fewer for short inputs) then argmax_final.
#[allow(clippy::too_many_arguments)]
pub fn argmax(
    partial: KernelId,
    fin: KernelId,
    token: Buf,
    part_val: Buf,
    part_idx: Buf,
    x: Buf,
    n: u32,
) -> Result<[Planned; 2]> {
    let g = blocks(n as u64, THREADS)?.min(ARGMAX_BLOCKS);
    if part_val.size_b < g as u64 * 4 || part_idx.size_b < g as u64 * 4 {
        return Err(Error::Usage(format!(
            "argmax: partial buffers too small for {g} blocks"
        )));
    }
    let p = grid(
        partial,
        [g, 1, 1],
        THREADS,
        vec![
            Arg::Buf(part_val),
            Arg::Buf(part_idx),
            Arg::Buf(x),
            Arg::U32(n),
        ],
        n as u64 * 4 + g as u64 * 8,
    );
    let f = grid(
        fin,
        [1, 1, 1],
        THREADS,
        vec![
            Arg::Buf(token),
            Arg::Buf(part_val),
            Arg::Buf(part_idx),
            Arg::U32(g),
        ],
        g as u64 * 8 + 4,
    );
    Ok([p, f])
}
