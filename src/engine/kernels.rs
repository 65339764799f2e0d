//! The decode kernels: files (embedded), entry points, parameter lists in `.param` order, and the
//! variants. `tests/dkern_table.rs` checks every parameter list against the PTX text.

use crate::ptx::{KernelFile, KernelSpec};
use crate::{Error, GgmlType, Result};

/// A kernel parameter's type as the PTX declares it (`.u64` pointer, `.u32`, `.f32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamTy {
    /// A device address (`.param .u64`).
    Ptr,
    U32,
    F32,
}

impl ParamTy {
    /// The PTX type word of the `.param` line.
    pub fn ptx(self) -> &'static str {
        match self {
            ParamTy::Ptr => ".u64",
            ParamTy::U32 => ".u32",
            ParamTy::F32 => ".f32",
        }
    }
}

use ParamTy::{Ptr, U32};
const F32: ParamTy = ParamTy::F32;

/// One decode kernel entry.
#[derive(Debug)]
pub struct DecodeKernel {
    pub entry: &'static str,
    pub file: &'static KernelFile,
    pub params: &'static [(&'static str, ParamTy)],
    /// Whether the file has a `{{TPR}}` placeholder (threads per row of the matvecs).
    pub has_tpr: bool,
}

macro_rules! file {
    ($name:literal, [$($e:literal),*]) => {
        KernelFile {
            file: concat!("decode/", $name),
            text: include_str!(concat!("../../ptx/decode/", $name)),
            entries: &[$($e),*],
        }
    };
}

pub static MATVEC_Q6_K: KernelFile = file!("matvec_q6_k.ptx", ["matvec_q6_k"]);
pub static MATVEC_Q6_K_W: KernelFile = file!("matvec_q6_k_w.ptx", ["matvec_q6_k_w"]);
pub static MATVEC_Q6_K_F: KernelFile = file!("matvec_q6_k_f.ptx", ["matvec_q6_k_f"]);
pub static MATVEC_Q6_K_P: KernelFile = file!("matvec_q6_k_p.ptx", ["matvec_q6_k_p"]);
pub static MATVEC_Q6_K_S: KernelFile = file!("matvec_q6_k_s.ptx", ["matvec_q6_k_s"]);
pub static MATVEC_Q8_0: KernelFile = file!("matvec_q8_0.ptx", ["matvec_q8_0"]);
pub static MATVEC_Q8_0_W: KernelFile = file!("matvec_q8_0_w.ptx", ["matvec_q8_0_w"]);
pub static MATVEC_Q4_K: KernelFile = file!("matvec_q4_k.ptx", ["matvec_q4_k"]);
pub static MATVEC_Q8_0_F: KernelFile = file!("matvec_q8_0_f.ptx", ["matvec_q8_0_f"]);
pub static MATVEC_Q4_K_F: KernelFile = file!("matvec_q4_k_f.ptx", ["matvec_q4_k_f"]);
pub static MATVEC_Q5_K: KernelFile = file!("matvec_q5_k.ptx", ["matvec_q5_k"]);
pub static MATVEC_Q4_0: KernelFile = file!("matvec_q4_0.ptx", ["matvec_q4_0"]);
pub static MATVEC_F16: KernelFile = file!("matvec_f16.ptx", ["matvec_f16"]);
pub static RMSNORM: KernelFile = file!("rmsnorm.ptx", ["rmsnorm"]);
pub static ROPE: KernelFile = file!("rope.ptx", ["rope_llama", "rope_neox"]);
pub static QK_NORM_ROPE: KernelFile = file!("qk_norm_rope.ptx", ["qk_norm_rope_neox"]);
pub static KV_APPEND: KernelFile = file!("kv_append.ptx", ["kv_append"]);
pub static ATTENTION: KernelFile = file!("attention.ptx", ["attn_partial", "attn_combine"]);
pub static ROPE_KV: KernelFile = file!("rope_kv.ptx", ["rope_kv_llama", "rope_kv_neox"]);
pub static QK_NORM_ROPE_KV: KernelFile = file!("qk_norm_rope_kv.ptx", ["qk_norm_rope_kv_neox"]);
pub static ATTN_DECODE: KernelFile = file!("attn_decode.ptx", ["attn_decode"]);
pub static ELEMENTWISE: KernelFile = file!("elementwise.ptx", ["swiglu", "add_f32"]);
pub static EMBED: KernelFile = file!(
    "embed.ptx",
    [
        "embed_q8_0",
        "embed_q4_0",
        "embed_q6_k",
        "embed_q4_k",
        "embed_q5_k",
        "embed_f16"
    ]
);
pub static ARGMAX: KernelFile = file!("argmax.ptx", ["argmax_partial", "argmax_final"]);

/// Every decode PTX file.
pub static DECODE_FILES: [&KernelFile; 24] = [
    &MATVEC_Q6_K,
    &MATVEC_Q6_K_W,
    &MATVEC_Q6_K_F,
    &MATVEC_Q6_K_P,
    &MATVEC_Q6_K_S,
    &MATVEC_Q8_0,
    &MATVEC_Q8_0_W,
    &MATVEC_Q4_K,
    &MATVEC_Q8_0_F,
    &MATVEC_Q4_K_F,
    &MATVEC_Q5_K,
    &MATVEC_Q4_0,
    &MATVEC_F16,
    &RMSNORM,
    &ROPE,
    &QK_NORM_ROPE,
    &KV_APPEND,
    &ATTENTION,
    &ROPE_KV,
    &QK_NORM_ROPE_KV,
    &ATTN_DECODE,
    &ELEMENTWISE,
    &EMBED,
    &ARGMAX,
];

const MATVEC_PARAMS: &[(&str, ParamTy)] = &[
    ("y", Ptr),
    ("w", Ptr),
    ("x", Ptr),
    ("rows", U32),
    ("cols", U32),
    ("accumulate", U32),
];
/// The fused matvecs (`FUSED_MATVECS`): rmsnorm of x, accumulate or SwiGLU in one launch.
const FUSED_MATVEC_PARAMS: &[(&str, ParamTy)] = &[
    ("y", Ptr),
    ("w", Ptr),
    ("x", Ptr),
    ("norm_w", Ptr),
    ("rows", U32),
    ("cols", U32),
    ("mode", U32),
    ("eps", F32),
];
const EMBED_PARAMS: &[(&str, ParamTy)] = &[
    ("out", Ptr),
    ("w", Ptr),
    ("token_buf", Ptr),
    ("cols", U32),
    ("rows", U32),
];
const ROPE_PARAMS: &[(&str, ParamTy)] = &[
    ("q", Ptr),
    ("k", Ptr),
    ("n_q_heads", U32),
    ("n_k_heads", U32),
    ("head_dim", U32),
    ("pos_buf", Ptr),
    ("base", F32),
    ("freq_factors", Ptr),
];
const ROPE_KV_PARAMS: &[(&str, ParamTy)] = &[
    ("q", Ptr),
    ("k", Ptr),
    ("v", Ptr),
    ("k_cache", Ptr),
    ("v_cache", Ptr),
    ("pos_buf", Ptr),
    ("n_q_heads", U32),
    ("n_k_heads", U32),
    ("head_dim", U32),
    ("max_ctx", U32),
    ("base", F32),
    ("freq_factors", Ptr),
];
const BINARY_PARAMS_SWIGLU: &[(&str, ParamTy)] =
    &[("out", Ptr), ("gate", Ptr), ("up", Ptr), ("n", U32)];
const BINARY_PARAMS_ADD: &[(&str, ParamTy)] = &[("out", Ptr), ("a", Ptr), ("b", Ptr), ("n", U32)];

macro_rules! k {
    ($entry:literal, $file:ident, $params:expr, $tpr:expr) => {
        DecodeKernel {
            entry: $entry,
            file: &$file,
            params: $params,
            has_tpr: $tpr,
        }
    };
}

static TABLE: [DecodeKernel; 34] = [
    k!("matvec_q6_k", MATVEC_Q6_K, MATVEC_PARAMS, true),
    k!("matvec_q6_k_w", MATVEC_Q6_K_W, MATVEC_PARAMS, false),
    k!("matvec_q6_k_s", MATVEC_Q6_K_S, MATVEC_PARAMS, false),
    k!("matvec_q6_k_f", MATVEC_Q6_K_F, FUSED_MATVEC_PARAMS, false),
    k!("matvec_q6_k_p", MATVEC_Q6_K_P, FUSED_MATVEC_PARAMS, false),
    k!("matvec_q8_0", MATVEC_Q8_0, MATVEC_PARAMS, true),
    k!("matvec_q8_0_w", MATVEC_Q8_0_W, MATVEC_PARAMS, false),
    k!("matvec_q4_k", MATVEC_Q4_K, MATVEC_PARAMS, true),
    k!("matvec_q8_0_f", MATVEC_Q8_0_F, FUSED_MATVEC_PARAMS, false),
    k!("matvec_q4_k_f", MATVEC_Q4_K_F, FUSED_MATVEC_PARAMS, false),
    k!("matvec_q5_k", MATVEC_Q5_K, MATVEC_PARAMS, true),
    k!("matvec_q4_0", MATVEC_Q4_0, MATVEC_PARAMS, true),
    k!("matvec_f16", MATVEC_F16, MATVEC_PARAMS, true),
    k!(
        "rmsnorm",
        RMSNORM,
        &[
            ("out", Ptr),
            ("x", Ptr),
            ("w", Ptr),
            ("n", U32),
            ("eps", F32)
        ],
        false
    ),
    k!("rope_llama", ROPE, ROPE_PARAMS, false),
    k!("rope_neox", ROPE, ROPE_PARAMS, false),
    k!(
        "qk_norm_rope_neox",
        QK_NORM_ROPE,
        &[
            ("q", Ptr),
            ("k", Ptr),
            ("q_norm", Ptr),
            ("k_norm", Ptr),
            ("n_q_heads", U32),
            ("n_k_heads", U32),
            ("head_dim", U32),
            ("eps", F32),
            ("pos_buf", Ptr),
            ("base", F32),
            ("freq_factors", Ptr)
        ],
        false
    ),
    k!(
        "kv_append",
        KV_APPEND,
        &[
            ("k_cache", Ptr),
            ("v_cache", Ptr),
            ("k", Ptr),
            ("v", Ptr),
            ("pos_buf", Ptr),
            ("width", U32),
            ("max_ctx", U32)
        ],
        false
    ),
    k!(
        "attn_partial",
        ATTENTION,
        &[
            ("part_o", Ptr),
            ("part_ml", Ptr),
            ("q", Ptr),
            ("k_cache", Ptr),
            ("v_cache", Ptr),
            ("pos_buf", Ptr),
            ("n_head", U32),
            ("n_kv_head", U32),
            ("head_dim", U32),
            ("split_len", U32),
            ("scale", F32)
        ],
        false
    ),
    k!(
        "attn_combine",
        ATTENTION,
        &[
            ("out", Ptr),
            ("part_o", Ptr),
            ("part_ml", Ptr),
            ("head_dim", U32),
            ("n_split", U32)
        ],
        false
    ),
    k!("rope_kv_llama", ROPE_KV, ROPE_KV_PARAMS, false),
    k!("rope_kv_neox", ROPE_KV, ROPE_KV_PARAMS, false),
    k!(
        "qk_norm_rope_kv_neox",
        QK_NORM_ROPE_KV,
        &[
            ("q", Ptr),
            ("k", Ptr),
            ("v", Ptr),
            ("q_norm", Ptr),
            ("k_norm", Ptr),
            ("k_cache", Ptr),
            ("v_cache", Ptr),
            ("n_q_heads", U32),
            ("n_k_heads", U32),
            ("head_dim", U32),
            ("max_ctx", U32),
            ("eps", F32),
            ("pos_buf", Ptr),
            ("base", F32),
            ("freq_factors", Ptr)
        ],
        false
    ),
    k!(
        "attn_decode",
        ATTN_DECODE,
        &[
            ("out", Ptr),
            ("part_o", Ptr),
            ("part_ml", Ptr),
            ("counters", Ptr),
            ("q", Ptr),
            ("k_cache", Ptr),
            ("v_cache", Ptr),
            ("pos_buf", Ptr),
            ("n_head", U32),
            ("n_kv_head", U32),
            ("head_dim", U32),
            ("split_len", U32),
            ("scale", F32)
        ],
        false
    ),
    k!("swiglu", ELEMENTWISE, BINARY_PARAMS_SWIGLU, false),
    k!("add_f32", ELEMENTWISE, BINARY_PARAMS_ADD, false),
    k!("embed_q8_0", EMBED, EMBED_PARAMS, false),
    k!("embed_q4_0", EMBED, EMBED_PARAMS, false),
    k!("embed_q6_k", EMBED, EMBED_PARAMS, false),
    k!("embed_q4_k", EMBED, EMBED_PARAMS, false),
    k!("embed_q5_k", EMBED, EMBED_PARAMS, false),
    k!("embed_f16", EMBED, EMBED_PARAMS, false),
    k!(
        "argmax_partial",
        ARGMAX,
        &[("part_val", Ptr), ("part_idx", Ptr), ("x", Ptr), ("n", U32)],
        false
    ),
    k!(
        "argmax_final",
        ARGMAX,
        &[
            ("token", Ptr),
            ("part_val", Ptr),
            ("part_idx", Ptr),
            ("n_parts", U32)
        ],
        false
    ),
];

/// Threads-per-row values the matvec files are built and tested with (32 was best on Orin in
/// the tinygrad seed, MV_THREADS_PER_ROW=32).
pub const TPR_VARIANTS: [u32; 3] = [8, 16, 32];
pub const DEFAULT_TPR: u32 = 32;

/// Every decode kernel entry, once each.
pub fn decode_kernels() -> &'static [DecodeKernel] {
    &TABLE
}

/// The table row of `entry`.
pub fn decode_kernel(entry: &str) -> Result<&'static DecodeKernel> {
    decode_kernels()
        .iter()
        .find(|k| k.entry == entry)
        .ok_or_else(|| Error::Ptx(format!("no decode kernel named '{entry}'")))
}

/// The matvec entry for weights of type `ty`.
pub fn matvec_entry(ty: GgmlType) -> Result<&'static str> {
    Ok(match ty {
        GgmlType::Q6_K => "matvec_q6_k",
        GgmlType::Q8_0 => "matvec_q8_0",
        GgmlType::Q4_K => "matvec_q4_k",
        GgmlType::Q5_K => "matvec_q5_k",
        GgmlType::Q4_0 => "matvec_q4_0",
        GgmlType::F16 => "matvec_f16",
        _ => {
            return Err(Error::Unsupported(format!(
                "no GPU matvec for {ty} weights (have Q6_K, Q8_0, Q4_K, Q5_K, Q4_0, F16)"
            )))
        }
    })
}

/// A warp-per-row ("_w") matvec: it streams whole chunks of a row with 8-byte loads, so it runs
/// only where cols is a multiple of `cols_multiple` (rows then start on an 8-byte boundary:
/// tensors sit 256-byte aligned); each warp takes `rows_per_warp` rows sharing its x loads.
/// `grid_stride`: the warps walk the rows (warp g of n: row groups g, g + n, ..) so any grid works
/// and the plan launches a fixed one ([`stream_grid`]); otherwise one row group per warp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WarpMatvec {
    pub entry: &'static str,
    pub ty: GgmlType,
    pub cols_multiple: u32,
    pub rows_per_warp: u32,
    pub grid_stride: bool,
}

/// Q6_K: chunks of 4 blocks (840 bytes), 2 rows per warp; Q8_0: 16 blocks (544 bytes), 1 row.
/// `matvec_q6_k_s` (mvstream, generated by scripts/mvstream/gen.py): matvec_q6_k_w's math with a
/// grid-stride loop over row pairs and one cp.async pipeline per warp across them; chosen over
/// matvec_q6_k_w by [`matvec_choice`] when `stream_q6_k` is set.
pub const WARP_MATVECS: [WarpMatvec; 3] = [
    WarpMatvec {
        entry: "matvec_q6_k_w",
        ty: GgmlType::Q6_K,
        cols_multiple: 1024,
        rows_per_warp: 2,
        grid_stride: false,
    },
    WarpMatvec {
        entry: "matvec_q8_0_w",
        ty: GgmlType::Q8_0,
        cols_multiple: 512,
        rows_per_warp: 1,
        grid_stride: false,
    },
    WarpMatvec {
        entry: "matvec_q6_k_s",
        ty: GgmlType::Q6_K,
        cols_multiple: 1024,
        rows_per_warp: 2,
        grid_stride: true,
    },
];

/// The warp-per-row matvec for (type, cols) if the shape allows one: a grid-stride one
/// (`matvec_q6_k_s`) when `stream` is set and one exists for the type, else the "_w" one.
pub fn warp_matvec(ty: GgmlType, cols: u32, stream: bool) -> Option<WarpMatvec> {
    let fits = |m: &&WarpMatvec| m.ty == ty && cols.is_multiple_of(m.cols_multiple);
    let streamed = WARP_MATVECS
        .iter()
        .filter(fits)
        .find(|m| m.grid_stride && stream);
    streamed
        .or_else(|| WARP_MATVECS.iter().filter(fits).find(|m| !m.grid_stride))
        .copied()
}

/// The warp-per-row matvec named `entry`, if it is one.
pub fn warp_matvec_named(entry: &str) -> Option<WarpMatvec> {
    WARP_MATVECS.iter().find(|m| m.entry == entry).copied()
}

/// SMs the plan assumes when the backend's count is not given (the H100 SXM's 132).
pub const DEFAULT_SM_COUNT: u32 = 132;

/// Blocks of a grid-stride warp matvec over `rows` rows: enough to fill the GPU once
/// (`sm_count` x `blocks_per_sm`, each of MATVEC_THREADS threads), never more than the rows need.
pub fn stream_grid(m: &WarpMatvec, rows: u64, sm_count: u32, blocks_per_sm: u32) -> u32 {
    let rows_per_block = (super::launch::MATVEC_THREADS / 32 * m.rows_per_warp) as u64;
    let need = rows.div_ceil(rows_per_block).max(1);
    let fill = (sm_count.max(1) as u64 * blocks_per_sm.max(1) as u64).max(1);
    need.min(fill) as u32
}

/// A fused matvec (y, w, x, norm_w, rows, cols, mode, eps): x optionally rmsnorm-ed with norm_w
/// inside the kernel (no rmsnorm launch), then y = W x, y += W x, or in glu mode
/// y[r] = silu(W_r x) * W_(r+rows/2) x (no swiglu launch). Each warp takes `rows_per_warp` weight
/// rows (glu: gate row r and up row r + rows/2), `threads` threads per block. Runs where cols is
/// a multiple of `cols_multiple` and at most `max_cols`. The staging kernels (`_f`) keep x in
/// dynamic shared memory, `shared_b_per_col` (4) bytes per column: the launch's shared_b.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FusedMatvec {
    pub entry: &'static str,
    pub ty: GgmlType,
    pub cols_multiple: u32,
    pub rows_per_warp: u32,
    pub threads: u32,
    pub max_cols: u32,
    /// Alignment the weights (every row start) need: the kernel's widest weight load or copy.
    pub w_align_b: u64,
    /// Dynamic shared memory per column of x (4: x staged per block; 0: none).
    pub shared_b_per_col: u32,
}

/// The first match of (type, cols) is the plan's ([`fused_matvec`]); every row is selftested.
pub const FUSED_MATVECS: [FusedMatvec; 4] = [
    // Q6_K (mvq6p, generated by scripts/mvq6p/gen.py): every warp on its own, no x staging: its
    // 4 rows streamed in 840-byte chunks (4 blocks) by 8-byte cp.async into a 3-stage ring
    // (40320 B static shared memory), the norm folded into the dot pass. cols a multiple of 1024
    // (rows start 8-byte aligned); max_cols only bounds the row bytes (no shared memory limit).
    FusedMatvec {
        entry: "matvec_q6_k_p",
        ty: GgmlType::Q6_K,
        cols_multiple: 1024,
        rows_per_warp: 4,
        threads: 128,
        max_cols: 65536,
        w_align_b: 8,
        shared_b_per_col: 0,
    },
    // Q6_K (mvq6): x staged per block, 840-byte chunks in registers, 6736 B static shared memory
    // + cols*4 (<= 48 KiB: cols <= 10240). Not the plan's (matvec_q6_k_p comes first); selftested.
    FusedMatvec {
        entry: "matvec_q6_k_f",
        ty: GgmlType::Q6_K,
        cols_multiple: 1024,
        rows_per_warp: 2,
        threads: 128,
        max_cols: 10240,
        w_align_b: 8,
        shared_b_per_col: 4,
    },
    // Q8_0 (mvq8): 544-byte chunks of 16 blocks copied with 16-byte cp.async into a 4-stage ring
    // (3 chunks ahead), 17440 B static shared memory + cols*4 <= 48 KiB: cols <= 7680. cols a
    // multiple of 256 so that rows start 16-byte aligned (8 blocks = 272 = 17 x 16 bytes).
    FusedMatvec {
        entry: "matvec_q8_0_f",
        ty: GgmlType::Q8_0,
        cols_multiple: 256,
        rows_per_warp: 2,
        threads: 128,
        max_cols: 7680,
        w_align_b: 16,
        shared_b_per_col: 4,
    },
    // Q4_K (mvq8): 576-byte chunks of 4 blocks, same ring; 18464 B static + cols*4: cols <= 7424.
    FusedMatvec {
        entry: "matvec_q4_k_f",
        ty: GgmlType::Q4_K,
        cols_multiple: 256,
        rows_per_warp: 2,
        threads: 128,
        max_cols: 7424,
        w_align_b: 16,
        shared_b_per_col: 4,
    },
];

/// The fused matvec for (type, cols) if the shape allows one.
pub fn fused_matvec(ty: GgmlType, cols: u32) -> Option<FusedMatvec> {
    FUSED_MATVECS
        .iter()
        .find(|m| m.ty == ty && cols.is_multiple_of(m.cols_multiple) && cols <= m.max_cols)
        .copied()
}

/// The fused matvec named `entry`, if it is one.
pub fn fused_matvec_named(entry: &str) -> Option<FusedMatvec> {
    FUSED_MATVECS.iter().find(|m| m.entry == entry).copied()
}

/// The fastest matvec for (type, threads per row, cols) and its `{{TPR}}` (None: no
/// placeholder). A warp-per-row kernel takes over at 32 threads per row (the default) when the
/// shape allows it; every other case keeps the per-type kernel.
pub fn matvec_choice(ty: GgmlType, tpr: u32, cols: u32) -> Result<(&'static str, Option<u32>)> {
    matvec_choice_with(ty, tpr, cols, false)
}

/// [`matvec_choice`] with the grid-stride Q6_K matvec (`matvec_q6_k_s`) in place of
/// `matvec_q6_k_w` when `stream_q6_k` is set.
pub fn matvec_choice_with(
    ty: GgmlType,
    tpr: u32,
    cols: u32,
    stream_q6_k: bool,
) -> Result<(&'static str, Option<u32>)> {
    if tpr == 32 {
        if let Some(m) = warp_matvec(ty, cols, stream_q6_k) {
            return Ok((m.entry, None));
        }
    }
    Ok((matvec_entry(ty)?, Some(tpr)))
}

/// The embedding-lookup entry for a token table of type `ty`.
pub fn embed_entry(ty: GgmlType) -> Result<&'static str> {
    Ok(match ty {
        GgmlType::Q6_K => "embed_q6_k",
        GgmlType::Q8_0 => "embed_q8_0",
        GgmlType::Q4_K => "embed_q4_k",
        GgmlType::Q5_K => "embed_q5_k",
        GgmlType::Q4_0 => "embed_q4_0",
        GgmlType::F16 => "embed_f16",
        _ => {
            return Err(Error::Unsupported(format!(
                "no GPU embedding lookup for {ty} (have Q6_K, Q8_0, Q4_K, Q5_K, Q4_0, F16)"
            )))
        }
    })
}

/// The loadable spec of `entry`; `tpr` is required for the matvecs (one of [`TPR_VARIANTS`]
/// or any divisor of 32) and refused for the others.
pub fn spec(entry: &str, tpr: Option<u32>) -> Result<KernelSpec> {
    let k = decode_kernel(entry)?;
    let vars = match (k.has_tpr, tpr) {
        (true, Some(t)) if t > 0 && 32 % t == 0 => vec![("TPR", t.to_string())],
        (true, Some(t)) => {
            return Err(Error::Usage(format!(
                "{entry}: threads per row {t} (expected a divisor of 32: 1, 2, 4, 8, 16, 32)"
            )))
        }
        (true, None) => vec![("TPR", DEFAULT_TPR.to_string())],
        (false, None) => Vec::new(),
        (false, Some(_)) => {
            return Err(Error::Usage(format!(
                "{entry} has no threads-per-row variant"
            )))
        }
    };
    Ok(KernelSpec {
        file: k.file,
        entry: k.entry,
        vars,
    })
}

/// Every spec to assemble: each kernel once, the matvecs once per [`TPR_VARIANTS`] value.
pub fn all_specs() -> Vec<KernelSpec> {
    let mut out = Vec::new();
    for k in decode_kernels() {
        if k.has_tpr {
            for t in TPR_VARIANTS {
                out.extend(spec(k.entry, Some(t)));
            }
        } else {
            out.extend(spec(k.entry, None));
        }
    }
    out
}
