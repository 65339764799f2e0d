//! The launch plan of one decode step, built once from the model's shape and weights layout and
//! replayed for every token: which kernel, grid, block and arguments, and the bytes each launch
//! reads. Device independent (arguments name buffers by role), so it is tested without a GPU;
//! [`crate::engine::decode`] binds the roles to device buffers.
//!
//! One step at position p (pos_buf[0] = p, token_buf[0] = the token at p):
//! embed → per layer [rmsnorm, q|k|v, attn_rope (Qwen3: attn_qknorm_rope: q/k norm, rope, the
//! K/V append and split attention whose last block per head combines, one launch; with
//! `attn_rope = false` rope_kv / qk_norm_rope_kv then attn_decode), o-proj (+= x), rmsnorm,
//! gate|up, swiglu, down (+= x)] → output norm → LM head → argmax (partial + final, into
//! token_buf) → advance (history[p+1] = token, pos_buf = p+1). Nothing is patched between tokens.
//! Where the kernels allow, launches of that list fold into their neighbours:
//! - the fused matvecs (Q8_0, Q4_K: `norm_in_matvec`) normalise x themselves and apply SwiGLU;
//! - with every matvec around a norm a Q6_K warp matvec (llama1b-q6k), the norms after layer 0's
//!   move to the producer of the residual (`norm_by_producer`, matvec_q6_k_n) and SwiGLU into the
//!   gate|up matvec (`glu_in_matvec`): per layer q|k|v, attn_rope, o-proj, gate|up, down;
//! - residual matvecs with few rows split their columns over a block's warps (`split_q8_0`,
//!   `split_q6_k`).
//!
//! `fuse_matvecs = false` (`--unfused`) keeps one matvec per tensor and the four attention
//! launches of before: (q/k norm +) rope, kv_append, attn_partial, attn_combine.

pub use super::kernels::{Q4kDot, Q6kPipeline};
use super::weights::{TensorSlot, WeightsLayout};
use crate::models::{ModelConfig, RopeStyle};
use crate::{Error, Result};

/// Threads per block of every matvec: rows per block = MATVEC_THREADS / threads-per-row.
pub const MATVEC_THREADS: u32 = super::launch::MATVEC_THREADS;
/// Threads per block of the element-wise kernels, rmsnorm and argmax (engine::launch).
pub const ELEMWISE_THREADS: u32 = super::launch::THREADS;
/// Threads per block of attn_partial and attn_combine (engine::launch).
pub const ATTN_THREADS: u32 = super::launch::ATTN_THREADS;
/// Threads per block of attn_decode (engine::launch).
pub const ATTN_DECODE_THREADS: u32 = super::launch::ATTN_DECODE_THREADS;
/// Context positions the KV cache holds by default.
pub const DEFAULT_MAX_CTX: usize = 2048;
/// Positions one attention block takes (attn_partial's split_len; at most 1024). The grid has
/// max_ctx / ATTN_SPLIT_LEN splits per head, fixed at plan time; splits past the position
/// write an empty partial and return.
pub const ATTN_SPLIT_LEN: u32 = 32;
/// Positions per split of the default plan's attention (attn_rope_* / attn_decode): contexts up
/// to this many take ONE block per head (no partials, fence, counter or combine on the token's
/// critical path); longer ones still split (and the last block per head combines).
pub const DEFAULT_ATTN_SPLIT_LEN: u32 = 256;
/// Blocks of argmax_partial (argmax_final reduces their pairs in one block): the kernel
/// table's geometry (engine::launch), which dkern's selftest runs on the GPU.
pub const ARGMAX_BLOCKS: u32 = super::launch::ARGMAX_BLOCKS;

/// The device buffers of a decode step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BufRole {
    /// Every weight tensor (WeightsLayout offsets).
    Weights,
    /// The residual stream, f32 n_embd.
    X,
    /// The normalized stream, f32 n_embd.
    Xn,
    /// q | k | v, f32 q_dim + 2 kv_dim, back to back so one matvec can fill all three.
    Qkv,
    /// Attention output, f32 q_dim.
    Att,
    /// gate | up, f32 2 n_ff, back to back for the same reason.
    GateUp,
    /// f32 n_vocab.
    Logits,
    /// u32 position of the step being run.
    Pos,
    /// u32 token of the step being run; argmax overwrites it with the next one.
    Token,
    /// u32 per position: history[p + 1] = the argmax of position p.
    History,
    /// f16, n_layer x max_ctx x kv_dim.
    KCache,
    VCache,
    /// attn_partial's unnormalised outputs, f32 n_head x n_split x head_dim.
    AttnPartO,
    /// attn_partial's (max, sum) pairs, f32 n_head x n_split x 2.
    AttnPartMl,
    /// attn_decode's per-head split counters, u32 n_head: zero at allocation, and each
    /// attn_decode launch leaves them zero (its last block per head resets its counter).
    AttnCounters,
    /// argmax_partial's best value per block, f32 ARGMAX_BLOCKS.
    ArgPartVal,
    /// argmax_partial's best index per block, u32 ARGMAX_BLOCKS.
    ArgPartIdx,
    /// The folded norms' sums of squares (`PlanOptions::norm_by_producer`): one f32 slot per
    /// norm site, zero at load; each producer adds into its site's slot and clears the slot of
    /// the site before it (see [`DecodePlan::norm_site`]).
    NormSums,
}

/// One kernel argument, by buffer role.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PArg {
    /// Address of `role`'s buffer plus `offset_b`.
    Buf(BufRole, u64),
    U32(u32),
    F32(f32),
    /// A null pointer (an absent optional tensor).
    Null,
}

/// The kernel of a launch: an entry point of the decode PTX and its threads-per-row variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KernelRef {
    pub entry: &'static str,
    /// `{{TPR}}` of a matvec.
    pub tpr: Option<u32>,
}

/// One launch of the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedLaunch {
    /// "blk.3.attn_q" or "embed": what it computes.
    pub label: String,
    pub kernel: KernelRef,
    pub grid: [u32; 3],
    pub block: [u32; 3],
    pub args: Vec<PArg>,
    /// Weight bytes read from DRAM per step.
    pub weight_b: u64,
    /// Activation bytes read and written (f32 vectors, small; L2-resident in practice).
    pub act_b: u64,
    /// KV-cache bytes read per position of context (attention).
    pub kv_b_per_pos: u64,
    /// Dynamic shared memory of the launch (the fused matvecs stage x there: cols * 4).
    pub shared_b: u32,
    /// 0, or the most blocks of this launch an SM may hold (`PlanOptions::spread_blocks_per_sm`;
    /// the backend turns it into shared memory, [`crate::gpu::Launch::max_blocks_per_sm`]).
    pub max_blocks_per_sm: u32,
}

impl PlannedLaunch {
    /// Bytes this launch moves at a context of `n_ctx` positions.
    pub fn bytes_at(&self, n_ctx: u64) -> u64 {
        self.weight_b + self.act_b + self.kv_b_per_pos * n_ctx
    }
}

/// Knobs of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanOptions {
    /// Threads sharing one matvec row: 1, 2, 4, 8, 16 or 32.
    pub threads_per_row: u32,
    /// Positions the KV cache holds.
    pub max_ctx: usize,
    /// One matvec for q|k|v and for gate|up where their types match (fewer, larger launches),
    /// and the fused attention kernels (rope_kv / qk_norm_rope_kv, attn_decode).
    pub fuse_matvecs: bool,
    /// Where a type has a fused matvec (kernels::FUSED_MATVECS): rmsnorm and SwiGLU inside the
    /// matvecs (fewer launches; each block stages x itself). Off: separate rmsnorm and swiglu
    /// launches around the warp matvecs (`decode --separate-norm`).
    pub norm_in_matvec: bool,
    /// Q6_K too, with matvec_q6_k_p (off by default: slower on the H100, see
    /// `Builder::fused_for`; `decode --q6k-fused true`).
    pub fused_q6_k: bool,
    /// Q6_K rows through matvec_q6_k_p only where that saves an rmsnorm launch: a Q6_K run that
    /// is the one run of its norm group without a fused matvec (qwen3-1.7b-q4km's Q6_K attn_v
    /// beside the fused Q4_K q|k, and its LM head). `decode --q6k-fused-alone true`.
    pub fused_q6_k_alone: bool,
    /// Where a norm group is one fused Q4_K run and one Q6_K run of the same row length
    /// (qwen3-1.7b-q4km's q|k and its Q6_K attn_v): both in one launch of the paired kernel
    /// matvec_q4k_q6k_f (matvec_q4_k_f's blocks, then matvec_q6_k_f's), so the group needs
    /// neither an rmsnorm launch nor a second matvec launch. On by default: qwen3-1.7b-q4km on
    /// the H100 nv 1.145 -> 1.096 ms/token, cuda 1.205 -> 1.146 (docs/device-logs/s8/probe17.log).
    /// `decode --pair-q6 false`.
    pub pair_q6_k: bool,
    /// The fused Q4_K matvecs (and the pair's part A) through matvec_q4_k_x instead of
    /// matvec_q4_k_f where its shared memory allows (cols <= 7168): the sums of x per 16
    /// columns staged once per block, a nibble to float by one prmt with no sub. On by default
    /// since session 9: qwen3-1.7b-q4km on the H100 nv 1.095 -> 1.055 ms/token, cuda 1.143 ->
    /// 1.138, CPU check 64/64 on both paths (docs/device-logs/s9/probe24.log).
    /// `decode --q4k-xsum false` for matvec_q4_k_f.
    pub q4k_xsum: bool,
    /// How the fused Q4_K matvecs take x where the integer kernels fit (cols <= 7168; over
    /// `q4k_xsum`'s choice; the q|k|v pair through its pair kernel): `Int8` (matvec_q4_k_d: x
    /// rounded to int8 per 32 columns in the kernel, 4 weights a dp4a) or `Int16`
    /// (matvec_q4_k_d16: int16, 2 weights a dp2a), where matvec_q4_k_x (`Float`, the default)
    /// spends ~6 instructions a weight and runs qwen3-1.7b's gate|up at 1.1 TB/s. On the H100
    /// (docs/device-logs/s11/probe33.log) Int8 took qwen3-1.7b-q4km from 1.033 to 0.869 ms/token
    /// on nv (cuda 1.139 -> 0.985), gate|up 11.79 -> 9.02 us, but failed the decode's CPU check
    /// (logits off by 0.13 of their largest, tolerance 0.02; argmax 51/64 + 13 near ties): x's
    /// rounding, 28 layers deep. Int16 rounds 258 times finer for 8 more dp2a a row and unit;
    /// exact to its model in the PTX interpreter, not run on a GPU yet
    /// (scripts/device/probe34.sh asks it). `decode --q4k-dot f32|i8|i16`.
    pub q4k_dot: Q4kDot,
    /// Plain Q6_K residual matvecs (matvec_q6_k_w with nothing folded in: qwen3-1.7b-q4km's
    /// Q6_K ffn_down) through matvec_q6_k_nx with the norm parts off, where its grid is small
    /// (`q6k_xsum_max_blocks_per_sm`, as for the folded ones): the same grid and bytes, fewer
    /// instructions per weight. On the H100 qwen3-1.7b-q4km nv 1.033 -> 1.025 ms/token, cuda
    /// 1.139 -> 1.130 (1.144 -> 1.124 in the second round; probe33); the decode's CPU check with
    /// it alone has not run (selftest of matvec_q6_k_nx: 710/710 on nv), so it is off by
    /// default. `decode --q6k-plain-xsum true`.
    pub q6k_plain_xsum: bool,
    /// Every matvec_q6_k_n launch (llama1b-q6k's folded-norm Q6_K matvecs) through matvec_q6_k_nx:
    /// the same arguments, grid and bytes, with fewer instructions per weight (a 6-bit value to
    /// float by one prmt with no sub, the sums of x per 8 columns starting the fma chains). On
    /// by default since session 10: on the H100 llama1b-q6k cuda 0.720 -> 0.707 ms/token, nv
    /// 0.732 -> 0.715 with the spread grids (`spread_blocks_per_sm` 2; without it nv lost, 0.812:
    /// pdl piled its ffn_down onto the SMs that freed first; docs/device-logs/s10/probe26.log);
    /// CPU check 64/64 on both paths. `decode --q6k-xsum false` for matvec_q6_k_n.
    pub q6k_xsum: bool,
    /// How every folded-norm Q6_K matvec (matvec_q6_k_n or, with `q6k_xsum`, matvec_q6_k_nx)
    /// keeps its weights coming: one chunk ahead through registers (the source kernels), two
    /// ahead by cp.async into 3 shared stages per warp (_na / _nxa), or the registers' way after
    /// an L2 prefetch of the warp's whole rows (_np / _nxp). For the residual matvecs' few warps
    /// per SM, which ncu finds latency-bound. Same arguments, grid and results.
    /// `decode --q6k-pipeline reg|async|l2`.
    pub q6k_pipeline: Q6kPipeline,
    /// With `fuse_matvecs`: the whole attention of a layer in one launch (attn_rope_llama /
    /// attn_rope_neox / attn_qknorm_rope_neox: rope, q/k norm, K/V append and attention) where
    /// the head dim allows (64, 128, 256). Off (`decode --separate-rope`): rope_kv (or
    /// qk_norm_rope_kv) then attn_decode, two launches.
    pub attn_rope: bool,
    /// Positions per attention split of the fused plan (attn_rope_* and attn_decode); the
    /// unfused attn_partial keeps ATTN_SPLIT_LEN.
    pub attn_split_len: u32,
    /// Q6_K warp matvecs through the grid-stride `matvec_q6_k_s` (one cp.async pipeline per warp
    /// across its row pairs, a fixed grid of `sm_count` x `stream_blocks_per_sm` blocks) instead
    /// of `matvec_q6_k_w` (one row pair per warp). `decode --matvec-q6k s|w`. Off by default:
    /// slower on the H100 (llama1b-q6k nv 1.354 vs 0.959 ms/token, cuda 0.971 vs 0.890;
    /// docs/mvstream.md).
    pub stream_q6_k: bool,
    /// SMs of the GPU the plan sizes grid-stride launches for; None: the decoder fills it from
    /// the backend, else kernels::DEFAULT_SM_COUNT.
    pub sm_count: Option<u32>,
    /// Blocks per SM of the grid-stride matvecs (`decode --stream-blocks-per-sm`).
    pub stream_blocks_per_sm: u32,
    /// The fused Q8_0 / Q4_K matvecs (matvec_q8_0_f, matvec_q4_k_f) on a grid of at most
    /// `sm_count` x this many blocks, each warp walking row pairs wid, wid + 4 nctaid, ... with
    /// one cp.async stream across them (`decode --fused-blocks-per-sm`); 0: one block per 4 row
    /// pairs, every warp one pair (the grid before session 6).
    pub fused_blocks_per_sm: u32,
    /// Where every matvec around the norms is a Q6_K warp matvec (llama1b-q6k): the rmsnorms
    /// after layer 0's attn_norm are folded into matvec_q6_k_n (normfold): the producer of the
    /// residual (o-proj, down) writes X o nw into Xn and adds sum X^2 into a NormSums slot, the
    /// consumer (q|k|v, gate|up, LM head) scales its rows by 1 / rms. No rmsnorm launch for
    /// them. Off (`decode --norm-launches`): rmsnorm launches.
    pub norm_by_producer: bool,
    /// With the folded norms: the gate|up matvec_q6_k_n in glu mode (accumulate = 2: a warp takes
    /// gate row p and up row p + n_ff and writes silu(g) * u) instead of a swiglu launch after it.
    /// Off (`decode --swiglu-launch`): the swiglu launch.
    pub glu_in_matvec: bool,
    /// The residual Q8_0 matvecs of the fused plan (o-proj, ffn_down: accumulate, no norm)
    /// through the split-K `matvec_q8_0_k` (a row pair per block, its 4 warps splitting the
    /// columns) instead of matvec_q8_0_f, where cols is a multiple of 512 and the row-pair-per-
    /// warp launch would fill fewer than [`SPLIT_MAX_BLOCKS_PER_SM`] blocks per SM
    /// (rows < 32 x sm_count: qwen3-0.6b's 1024 rows on the H100). `decode --split-q8 false`.
    /// On by default: qwen3-0.6b-q8 on the H100 nv 0.673 vs 0.803 ms/token, cuda 0.720 vs 0.760
    /// (docs/mvsplit.md).
    pub split_q8_0: bool,
    /// The Q6_K residual matvecs (o-proj, ffn_down: accumulate into X; plain matvec_q6_k_w or
    /// the normfold producer matvec_q6_k_n) through the split-K `matvec_q6_k_nk` (a row pair per
    /// block, its 4 warps splitting the 1024-column chunks) where the row-pair-per-warp launch
    /// would fill fewer than [`SPLIT_MAX_BLOCKS_PER_SM`] blocks per SM (rows < 32 x sm_count:
    /// llama1b's and qwen3-1.7b's 2048 rows on the H100). `decode --split-q6 true`. Off by
    /// default: on the H100 only llama1b-q6k on nv gains (0.809 vs 0.835 ms/token); cuda 0.816
    /// vs 0.769, qwen3-1.7b-q4km nv 1.268 vs 1.250, cuda 1.275 vs 1.245 (docs/splitq6.md).
    pub split_q6_k: bool,
    /// Matvec launches whose grid needs at most this many blocks per SM (`ceil(grid / sm_count)
    /// <= n`) may hold no more than that many blocks on any SM (`PlannedLaunch::max_blocks_per_sm`:
    /// the backend asks for shared memory to match). Under nv's pdl replay a grid is launched
    /// when the previous one's last block starts, and its blocks land on the SMs that free
    /// first, as many as fit (5-6 of a 4-warp matvec block): llama1b's 256-block ffn_down on
    /// about 50 of 132 SMs. 0: off (`decode --spread-blocks-per-sm N`); the default is
    /// [`PlanOptions::tuned_for`]'s.
    pub spread_blocks_per_sm: u32,
    /// With `q6k_xsum`: only the folded-norm Q6_K launches whose grid needs at most this many
    /// blocks per SM take matvec_q6_k_nx; larger grids (gate|up, the LM head) keep
    /// matvec_q6_k_n, whose 78 registers against nx's 91 fit 6 blocks an SM instead of 5 (on
    /// nv's pdl replay, H100: gate|up 14.43 vs 14.98 us, LM head 90.1 vs 91.2 in probe26's
    /// timelines; llama1b-q6k 0.686 vs 0.694 ms/token, docs/device-logs/s10/probe28.log).
    /// 0: nx everywhere.
    pub q6k_xsum_max_blocks_per_sm: u32,
    /// With `spread_blocks_per_sm`: every small grid is capped, not only the matvecs (the
    /// attention, argmax and elementwise launches too). Off; not run on the device yet
    /// (`decode --spread-all true`).
    pub spread_all: bool,
}

/// Blocks of 4 warps (2 rows each) per SM below which a residual Q8_0 matvec is split over its
/// columns (`PlanOptions::split_q8_0`): fewer leave each SM a handful of warps walking long rows.
pub const SPLIT_MAX_BLOCKS_PER_SM: u32 = 4;

/// Blocks per SM of the fused Q8_0 / Q4_K matvecs by default: 0, the uncapped grid. Capped at
/// 2-8 blocks per SM they were slower on nv on the H100 (qwen3-1.7b 1.205-1.558 vs 1.190
/// ms/token) and within 1 % on cuda (docs/mvq8.md).
pub const DEFAULT_FUSED_BLOCKS_PER_SM: u32 = 0;

/// Blocks per SM of the grid-stride matvecs by default: 16 warps, each with its ring of
/// cp.async copies in flight (matvec_q6_k_s: 72 registers, 26880 B shared memory per block, so up
/// to 7 blocks fit an H100 SM).
pub const DEFAULT_STREAM_BLOCKS_PER_SM: u32 = 4;

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            threads_per_row: 32,
            max_ctx: DEFAULT_MAX_CTX,
            fuse_matvecs: true,
            norm_in_matvec: true,
            fused_q6_k: false,
            fused_q6_k_alone: false,
            pair_q6_k: true,
            q4k_xsum: true,
            q4k_dot: Q4kDot::Float,
            q6k_plain_xsum: false,
            q6k_xsum: true,
            q6k_pipeline: Q6kPipeline::Registers,
            attn_rope: true,
            attn_split_len: DEFAULT_ATTN_SPLIT_LEN,
            stream_q6_k: false,
            sm_count: None,
            stream_blocks_per_sm: DEFAULT_STREAM_BLOCKS_PER_SM,
            fused_blocks_per_sm: DEFAULT_FUSED_BLOCKS_PER_SM,
            norm_by_producer: true,
            glu_in_matvec: true,
            split_q8_0: true,
            split_q6_k: false,
            spread_blocks_per_sm: 0,
            q6k_xsum_max_blocks_per_sm: 0,
            spread_all: false,
        }
    }
}

/// Blocks per SM up to which [`PlanOptions::tuned_for`] caps the matvec grids where grids launch
/// early: on the H100's nv path llama1b-q6k (matvec_q6_k_nx) 0.812 -> 0.715 ms/token at 2,
/// qwen3-1.7b-q4km 1.061 -> 1.039 and qwen3-0.6b-q8 0.622 -> 0.596 at 4 (6 the same;
/// docs/device-logs/s10/probe26.log).
pub const EARLY_LAUNCH_SPREAD_BLOCKS_PER_SM: u32 = 4;

impl PlanOptions {
    /// The defaults for a backend whose replayed grids launch early (`early`, nv's pdl) or not
    /// (cuda's graph, nv's wfi): early, the small matvec grids are spread over every SM
    /// ([`EARLY_LAUNCH_SPREAD_BLOCKS_PER_SM`]; llama1b-q6k nv 0.812 -> 0.694 ms/token with
    /// matvec_q6_k_nx) and only those take matvec_q6_k_nx (0.694 -> 0.686); otherwise
    /// neither: a CUDA graph's grids start on an idle GPU, where the cap only shrinks L1
    /// (0.707 -> 0.727). The Q6_K matvecs' L2 prefetch (`q6k_pipeline` l2), which gained on
    /// nv with the cap of 2 (0.715 -> 0.708), is level with the registers' pipeline at the cap
    /// of 4 (0.695 / 0.694, docs/device-logs/s10/probe27.log) and slower on cuda (0.707 ->
    /// 0.753): not a default. Since session 11 every small grid is capped early
    /// (`spread_all`), the attention's and the norms' too: with `KERNLAB_CAP_SHARED=least`,
    /// llama1b 0.676 / 0.681 -> 0.676 / 0.674, qwen3-0.6b 0.577 / 0.578 -> 0.575 / 0.577,
    /// qwen3-1.7b 1.034 / 1.030 -> 1.027 / 1.027 ms/token (two rounds each,
    /// docs/device-logs/s11/probe30.log).
    pub fn tuned_for(early: bool) -> PlanOptions {
        let d = PlanOptions::default();
        if !early {
            return d;
        }
        PlanOptions {
            spread_blocks_per_sm: EARLY_LAUNCH_SPREAD_BLOCKS_PER_SM,
            q6k_xsum_max_blocks_per_sm: EARLY_LAUNCH_SPREAD_BLOCKS_PER_SM,
            spread_all: true,
            ..d
        }
    }
}

/// Blocks per SM a grid needs to run in one wave: ceil(blocks / sm_count).
fn blocks_per_sm(grid: [u32; 3], sm_count: u32) -> u64 {
    let blocks: u64 = grid.iter().map(|&g| g as u64).product();
    blocks.div_ceil(sm_count.max(1) as u64)
}

/// Caps the blocks per SM of every matvec launch (every launch with `all`) whose grid fits
/// `limit` blocks per SM at the grid's own `ceil(grid / sm_count)`
/// (`PlanOptions::spread_blocks_per_sm`; 0 leaves all as they are). By default only matvecs:
/// they are the latency-bound grids whose speed depends on how many SMs stream their weights.
pub fn spread_small_grids(launches: &mut [PlannedLaunch], sm_count: u32, limit: u32, all: bool) {
    if limit == 0 {
        return;
    }
    for l in launches.iter_mut() {
        let per_sm = blocks_per_sm(l.grid, sm_count);
        if (all || l.kernel.entry.starts_with("matvec_")) && per_sm <= limit as u64 {
            l.max_blocks_per_sm = per_sm as u32;
        }
    }
}

/// The plan: buffers with their sizes and the launches of one step, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodePlan {
    pub config: ModelConfig,
    pub options: PlanOptions,
    pub weights: WeightsLayout,
    pub buffers: Vec<(BufRole, u64)>,
    pub launches: Vec<PlannedLaunch>,
}

/// Kernel entry points of the decode PTX (ptx/decode/, branch dkern), in one place.
pub mod entry {
    pub const RMSNORM: &str = "rmsnorm";
    pub const ROPE_LLAMA: &str = "rope_llama";
    pub const ROPE_NEOX: &str = "rope_neox";
    pub const QK_NORM_ROPE_NEOX: &str = "qk_norm_rope_neox";
    pub const KV_APPEND: &str = "kv_append";
    pub const ATTN_PARTIAL: &str = "attn_partial";
    pub const ATTN_COMBINE: &str = "attn_combine";
    pub const ROPE_KV_LLAMA: &str = "rope_kv_llama";
    pub const ROPE_KV_NEOX: &str = "rope_kv_neox";
    pub const QK_NORM_ROPE_KV_NEOX: &str = "qk_norm_rope_kv_neox";
    pub const ATTN_DECODE: &str = "attn_decode";
    pub const ATTN_ROPE_LLAMA: &str = "attn_rope_llama";
    pub const ATTN_ROPE_NEOX: &str = "attn_rope_neox";
    pub const ATTN_QKNORM_ROPE_NEOX: &str = "attn_qknorm_rope_neox";
    pub const SWIGLU: &str = "swiglu";
    pub const ARGMAX_PARTIAL: &str = "argmax_partial";
    pub const ARGMAX_FINAL: &str = "argmax_final";
    /// ptx/engine/advance.ptx (this module's own kernel).
    pub const ADVANCE: &str = "decode_advance";
}

pub use super::kernels::{embed_entry, fused_matvec, matvec_choice, matvec_entry};
use super::kernels::{split_matvec, FusedMatvec, MatvecPair, SplitMatvec};
use super::launch::MatvecMode;

/// Whether output `next` starts where the outputs of `run` (starting at `start`) end.
fn follows(start: PArg, run: &[TensorSlot], next: PArg) -> bool {
    match (start, next) {
        (PArg::Buf(r0, o0), PArg::Buf(r1, o1)) => {
            r0 == r1 && o0 + 4 * run.iter().map(|t| t.n_rows()).sum::<u64>() == o1
        }
        _ => false,
    }
}

fn blocks(n: u64, per_block: u64) -> u32 {
    n.div_ceil(per_block).max(1) as u32
}

fn f32_b(n: usize) -> u64 {
    4 * n as u64
}

struct Builder<'a> {
    c: &'a ModelConfig,
    w: &'a WeightsLayout,
    tpr: u32,
    fuse: bool,
    norm_in_matvec: bool,
    fused_q6_k: bool,
    fused_q6_k_alone: bool,
    pair_q6_k: bool,
    q4k_xsum: bool,
    q4k_dot: Q4kDot,
    q6k_plain_xsum: bool,
    /// matvec_q6_k_nx in place of matvec_q6_k_n (PlanOptions::q6k_xsum).
    q6k_xsum: bool,
    /// Where nx applies: grids of at most this many blocks per SM (0: all;
    /// PlanOptions::q6k_xsum_max_blocks_per_sm), on `sm_count` SMs.
    q6k_xsum_max_blocks_per_sm: u32,
    sm_count: u32,
    /// Their weight pipeline (PlanOptions::q6k_pipeline).
    q6k_pipeline: Q6kPipeline,
    stream_q6_k: bool,
    stream_blocks: u32,
    /// Grid cap of the fused Q8_0 / Q4_K matvecs (0: none).
    fused_max_blocks: u32,
    /// The norms are folded into matvec_q6_k_n (PlanOptions::norm_by_producer, where it applies).
    norm_fold: bool,
    /// With `norm_fold`: SwiGLU inside the gate|up matvec (PlanOptions::glu_in_matvec).
    glu_in_matvec: bool,
    /// Residual Q8_0 matvecs with fewer rows than this take matvec_q8_0_k (0: never).
    split_below_rows: u64,
    /// Q6_K residual matvecs with fewer rows than this take matvec_q6_k_nk (0: never).
    split_q6_below_rows: u64,
    out: Vec<PlannedLaunch>,
}

impl Builder<'_> {
    fn push(&mut self, label: String, entry: &'static str, grid: u32, block: u32, args: Vec<PArg>) {
        self.out.push(PlannedLaunch {
            label,
            kernel: KernelRef { entry, tpr: None },
            grid: [grid, 1, 1],
            block: [block, 1, 1],
            args,
            weight_b: 0,
            act_b: 0,
            kv_b_per_pos: 0,
            shared_b: 0,
            max_blocks_per_sm: 0,
        });
    }

    fn last(&mut self) -> &mut PlannedLaunch {
        self.out.last_mut().expect("pushed just before")
    }

    fn weight(t: &TensorSlot) -> PArg {
        PArg::Buf(BufRole::Weights, t.offset_b)
    }

    /// y (+)= W x with W = tensor `name` (cols = dims[0], rows = dims[1]).
    fn matvec(&mut self, name: &str, y: BufRole, x: BufRole, accumulate: bool) -> Result<()> {
        let t = self.w.get(name)?.clone();
        self.matvec_rows(&[t], PArg::Buf(y, 0), x, accumulate)
    }

    /// `parts` (tensor, output) grouped into the runs one matvec can take, each with its output.
    /// With fusing on, a run of tensors of one type and row length lying back to back in the
    /// weights buffer, whose outputs are back to back too, is one matvec over their rows
    /// together (q|k|v, gate|up).
    fn runs(&self, parts: &[(String, PArg)]) -> Result<Vec<(Vec<TensorSlot>, PArg)>> {
        let mut out: Vec<(Vec<TensorSlot>, PArg)> = Vec::new();
        for (name, y) in parts {
            let t = self.w.get(name)?.clone();
            let joins = self.fuse
                && out.last().is_some_and(|(run, run_y)| {
                    run.last().is_some_and(|p| {
                        p.ty == t.ty
                            && p.dims[0] == t.dims[0]
                            && p.offset_b + p.size_b == t.offset_b
                            && follows(*run_y, run, *y)
                    })
                });
            match out.last_mut() {
                Some((run, _)) if joins => run.push(t),
                _ => out.push((vec![t], *y)),
            }
        }
        Ok(out)
    }

    /// The fused matvec for rows like `t` when the plan uses them: matvecs fused (the default;
    /// --unfused turns it off) at 32 threads per row (the per-type kernels take the others).
    fn fused_for(&self, t: &TensorSlot) -> Option<FusedMatvec> {
        // Fused Q6_K (matvec_q6_k_p, before it matvec_q6_k_f) stays out of the default plan: on
        // the H100, llama1b-q6k decoded faster with rmsnorm/swiglu launches around
        // matvec_q6_k_w: matvec_q6_k_p nv 0.988 vs 0.978 ms/token, cuda 0.925 vs 0.888
        // (docs/mvq6p.md; matvec_q6_k_f was nv 1.039 vs 0.959). Each fused launch is slower than
        // matvec_q6_k_w (x and norm_w re-read per warp; 4 rows per warp leave the 2048-row
        // matvecs 128 blocks), more than the 49 launches it saves. Q8_0 and Q4_K gain
        // (qwen3-0.6b-q8 nv 1.268 -> 0.947 ms). `decode --q6k-fused true` turns it on.
        if t.ty == crate::GgmlType::Q6_K && !self.fused_q6_k {
            return None;
        }
        self.fused_any(t)
    }

    /// The paired kernel and its two fused matvecs for a norm group of a fused Q4_K run and a
    /// Q6_K run (in that order) of one row length, when `pair_q6_k` holds, the first run's
    /// fused matvec is a pair's part A (kernels::MATVEC_PAIRS) and the shapes fit part B.
    fn pair_for(
        &self,
        runs: &[(Vec<TensorSlot>, PArg)],
    ) -> Option<(MatvecPair, FusedMatvec, FusedMatvec)> {
        let [(a, _), (b, _)] = runs else {
            return None;
        };
        let fa = self.fused_for(&a[0])?;
        let pair = super::kernels::MATVEC_PAIRS
            .into_iter()
            .find(|p| p.parts[0] == fa.entry)?;
        let fb = super::kernels::fused_matvec_named(pair.parts[1])?;
        let cols = b[0].dims[0];
        let fits = b[0].ty == fb.ty
            && cols == a[0].dims[0]
            && cols.is_multiple_of(fb.cols_multiple as u64)
            && cols <= fb.max_cols as u64;
        (self.pair_q6_k && fits && self.fused_for(&b[0]).is_none()).then_some((pair, fa, fb))
    }

    /// The last two launches (fused matvecs of `pair`'s parts) as one launch of the paired
    /// kernel: a's blocks then b's, a's arguments, b's, a's block count.
    fn pair_last_two(&mut self, pair: MatvecPair) {
        let b = self.out.pop().expect("two fused launches pushed");
        let a = self.out.last_mut().expect("two fused launches pushed");
        a.label = format!("{}+{}", a.label, b.label);
        a.kernel = KernelRef {
            entry: pair.entry,
            tpr: None,
        };
        a.args.extend(b.args);
        a.args.push(PArg::U32(a.grid[0]));
        a.grid[0] += b.grid[0];
        a.weight_b += b.weight_b;
        a.act_b += b.act_b;
        a.shared_b = a.shared_b.max(b.shared_b);
    }

    /// The fused matvec of `t`'s type, Q6_K included, where the plan fuses at all.
    /// With `q4k_dot` Int8 / Int16, matvec_q4_k_d / _d16 where it takes the shape; else with
    /// `q4k_xsum`, matvec_q4_k_x.
    fn fused_any(&self, t: &TensorSlot) -> Option<FusedMatvec> {
        if !self.fuse || !self.norm_in_matvec || self.tpr != 32 {
            return None;
        }
        let cols = u32::try_from(t.dims[0]).ok()?;
        let fm = fused_matvec(t.ty, cols)?;
        let swap = |entry: Option<&str>| {
            super::kernels::fused_matvec_named(entry?)
                .filter(|x| x.ty == fm.ty && cols <= x.max_cols)
        };
        let int_x = swap(self.q4k_dot.entry());
        let xsum = swap(self.q4k_xsum.then_some(super::kernels::MATVEC_Q4_K_XSUM));
        Some(int_x.or(xsum).unwrap_or(fm))
    }

    /// One fused matvec over the rows of `ts` reading x (rmsnorm-ed in the kernel with `norm`
    /// when given); `norm_b` is the norm weight bytes this launch is charged with (counted once
    /// per step where several launches read the same norm).
    #[allow(clippy::too_many_arguments)]
    fn fused(
        &mut self,
        fm: FusedMatvec,
        ts: &[TensorSlot],
        y: PArg,
        x: BufRole,
        norm: Option<&TensorSlot>,
        norm_b: u64,
        mode: MatvecMode,
    ) {
        let t = &ts[0];
        let cols = t.dims[0];
        let rows: u64 = ts.iter().map(|t| t.n_rows()).sum();
        let outputs = mode.outputs(rows as u32) as u64;
        let warps = (fm.threads / 32) as u64;
        let per_block = match mode {
            MatvecMode::Glu => warps * fm.rows_per_warp as u64 / 2,
            _ => warps * fm.rows_per_warp as u64,
        };
        let label = ts
            .iter()
            .map(|t| t.name.trim_end_matches(".weight"))
            .collect::<Vec<_>>()
            .join("+");
        self.push(
            label,
            fm.entry,
            fm.capped_blocks(blocks(outputs, per_block), self.fused_max_blocks),
            fm.threads,
            vec![
                y,
                Self::weight(t),
                PArg::Buf(x, 0),
                norm.map_or(PArg::Null, Self::weight),
                PArg::U32(rows as u32),
                PArg::U32(cols as u32),
                PArg::U32(mode.code()),
                PArg::F32(self.c.rms_eps),
            ],
        );
        let l = self.last();
        l.weight_b = ts.iter().map(|t| t.size_b).sum::<u64>() + norm_b;
        let acc = (mode == MatvecMode::Accumulate) as u64;
        l.act_b = 4 * cols + norm.map_or(0, |_| 4 * cols) + 4 * outputs * (1 + acc);
        l.shared_b = fm.shared_b_per_col * cols as u32;
    }

    /// rmsnorm(X) with `norm`, then y_i = W_i x for each part: a run with a fused matvec reads X
    /// and normalises it itself; the others read Xn from one rmsnorm launch, issued before the
    /// first of them (none when every run is fused).
    fn normed_matvecs(&mut self, norm: &str, parts: &[(String, PArg)]) -> Result<()> {
        let nt = self.w.get(norm)?.clone();
        let mut norm_b = nt.size_b;
        let mut normed = false;
        let runs = self.runs(parts)?;
        if let Some((pair, fa, fb)) = self.pair_for(&runs) {
            let (a, b) = (&runs[0], &runs[1]);
            self.fused(
                fa,
                &a.0,
                a.1,
                BufRole::X,
                Some(&nt),
                norm_b,
                MatvecMode::Store,
            );
            self.fused(fb, &b.0, b.1, BufRole::X, Some(&nt), 0, MatvecMode::Store);
            self.pair_last_two(pair);
            return Ok(());
        }
        // The one run that would need the rmsnorm launch, when it is Q6_K and
        // `fused_q6_k_alone` holds: fused too, so the group needs no rmsnorm launch.
        let unfused: Vec<usize> = (0..runs.len())
            .filter(|&i| self.fused_for(&runs[i].0[0]).is_none())
            .collect();
        let alone = match unfused[..] {
            [i] if self.fused_q6_k_alone && runs[i].0[0].ty == crate::GgmlType::Q6_K => {
                self.fused_any(&runs[i].0[0]).map(|fm| (i, fm))
            }
            _ => None,
        };
        for (i, (run, y)) in runs.into_iter().enumerate() {
            let fused = match alone {
                Some((a, fm)) if a == i => Some(fm),
                _ => self.fused_for(&run[0]),
            };
            if let Some(fm) = fused {
                self.fused(
                    fm,
                    &run,
                    y,
                    BufRole::X,
                    Some(&nt),
                    norm_b,
                    MatvecMode::Store,
                );
                norm_b = 0;
                continue;
            }
            if !normed {
                self.rmsnorm(norm, BufRole::Xn, BufRole::X)?;
                self.last().weight_b = norm_b;
                norm_b = 0;
                normed = true;
            }
            self.matvec_rows(&run, y, BufRole::Xn, false)?;
        }
        Ok(())
    }

    /// X += W x (o-proj, down): fused (mode accumulate) where the type has a fused matvec.
    fn residual_matvec(&mut self, name: &str, x: BufRole) -> Result<()> {
        let t = self.w.get(name)?.clone();
        match self.fused_for(&t) {
            Some(_) if self.split_for(&t).is_some() => {
                let sk = self.split_for(&t).expect("checked in the guard");
                self.split(sk, &t, x);
                Ok(())
            }
            Some(fm) => {
                let y = PArg::Buf(BufRole::X, 0);
                self.fused(fm, &[t], y, x, None, 0, MatvecMode::Accumulate);
                Ok(())
            }
            None => {
                self.matvec(name, BufRole::X, x, true)?;
                // The fused plan only (as split_q8_0): the unfused plan keeps matvec_q6_k_w.
                if self.fuse && self.q6k_plain_xsum && self.last().kernel.entry == "matvec_q6_k_w" {
                    self.last_as_norm_matvec(true)?;
                }
                self.split_q6_last()
            }
        }
    }

    /// The last launch, a residual matvec_q6_k_w or matvec_q6_k_n / _nx (accumulate into X),
    /// through the split-K matvec_q6_k_nk when `PlanOptions::split_q6_k` applies to its rows:
    /// same arguments (matvec_q6_k_w's get the norm parts off), one row pair per block.
    fn split_q6_last(&mut self) -> Result<()> {
        // The fused plan only (as split_q8_0): the unfused plan keeps matvec_q6_k_w.
        let below = if self.fuse {
            self.split_q6_below_rows
        } else {
            0
        };
        let eps = self.c.rms_eps;
        let l = self.last();
        let plain = l.kernel.entry == "matvec_q6_k_w";
        if !plain && !super::kernels::NORM_MATVEC_Q6_K_WARP.contains(&l.kernel.entry) {
            return Ok(());
        }
        let (Some(PArg::U32(rows)), Some(PArg::U32(cols))) = (l.args.get(3), l.args.get(4)) else {
            return Err(Error::Unsupported(format!(
                "{}: {} launch without rows/cols arguments",
                l.label, l.kernel.entry
            )));
        };
        let (rows, cols) = (*rows, *cols);
        if rows as u64 >= below || cols == 0 || !cols.is_multiple_of(1024) {
            return Ok(());
        }
        l.kernel = KernelRef {
            entry: super::kernels::NORM_MATVEC_Q6_K_SPLIT,
            tpr: None,
        };
        l.grid = [blocks(rows as u64, 2), 1, 1];
        if plain {
            l.args.extend([
                PArg::Null,
                PArg::F32(eps),
                PArg::Null,
                PArg::Null,
                PArg::Null,
                PArg::Null,
            ]);
        }
        Ok(())
    }

    /// The split-K matvec for the residual rows `t` when the plan uses it
    /// (`PlanOptions::split_q8_0`: cols a multiple of 512, fewer rows than `split_below_rows`).
    fn split_for(&self, t: &TensorSlot) -> Option<SplitMatvec> {
        let cols = u32::try_from(t.dims[0]).ok()?;
        split_matvec(t.ty, cols).filter(|_| t.n_rows() < self.split_below_rows)
    }

    /// X += W x through the split-K matvec `sk` (one block per rows_per_block rows).
    fn split(&mut self, sk: SplitMatvec, t: &TensorSlot, x: BufRole) {
        let (rows, cols) = (t.n_rows(), t.dims[0]);
        self.push(
            t.name.trim_end_matches(".weight").to_string(),
            sk.entry,
            blocks(rows, sk.rows_per_block as u64),
            MATVEC_THREADS,
            vec![
                PArg::Buf(BufRole::X, 0),
                Self::weight(t),
                PArg::Buf(x, 0),
                PArg::U32(rows as u32),
                PArg::U32(cols as u32),
                PArg::U32(1),
            ],
        );
        let l = self.last();
        l.weight_b = t.size_b;
        l.act_b = 4 * cols + 4 * rows * 2;
    }

    /// ffn_norm, gate, up and SwiGLU into GateUp[0..n_ff] (what ffn_down reads): one fused
    /// matvec in glu mode where gate and up form one run of a type with a fused matvec, else
    /// rmsnorm + matvecs + swiglu.
    fn ffn_gate_up(&mut self, il: usize) -> Result<()> {
        let n = |s: &str| format!("blk.{il}.{s}.weight");
        let ff = self.c.n_ff;
        let gate_arg = PArg::Buf(BufRole::GateUp, 0);
        let up_arg = PArg::Buf(BufRole::GateUp, f32_b(ff));
        let parts = [(n("ffn_gate"), gate_arg), (n("ffn_up"), up_arg)];
        let runs = self.runs(&parts)?;
        if let [(run, y)] = &runs[..] {
            if let Some(fm) = self.fused_for(&run[0]) {
                let nt = self.w.get(&n("ffn_norm"))?.clone();
                let nb = nt.size_b;
                self.fused(fm, run, *y, BufRole::X, Some(&nt), nb, MatvecMode::Glu);
                return Ok(());
            }
        }
        if self.norm_fold {
            let site = DecodePlan::norm_site(self.c, il, NormAt::Ffn);
            self.folded_consumers(&parts, Some(site))?;
            if self.glu_in_matvec && runs.len() == 1 {
                // One launch over gate and up: its warps pair gate row p with up row p + ff and
                // write silu(g) * u into GateUp[p], where swiglu would have.
                let l = self.last();
                l.args[5] = PArg::U32(MatvecMode::Glu.code());
                l.act_b -= 4 * ff as u64;
                return Ok(());
            }
        } else {
            self.normed_matvecs(&n("ffn_norm"), &parts)?;
        }
        self.push(
            format!("blk.{il}.swiglu"),
            entry::SWIGLU,
            blocks(ff as u64, ELEMWISE_THREADS as u64),
            ELEMWISE_THREADS,
            vec![gate_arg, gate_arg, up_arg, PArg::U32(ff as u32)],
        );
        self.last().act_b = 3 * f32_b(ff);
        Ok(())
    }

    /// One matvec over the rows of `ts` (consecutive in memory, one type and row length).
    fn matvec_rows(
        &mut self,
        ts: &[TensorSlot],
        y: PArg,
        x: BufRole,
        accumulate: bool,
    ) -> Result<()> {
        let t = ts[0].clone();
        let cols = t.dims[0];
        let rows: u64 = ts.iter().map(|t| t.n_rows()).sum();
        let size_b: u64 = ts.iter().map(|t| t.size_b).sum();
        let (entry, entry_tpr) =
            super::kernels::matvec_choice_with(t.ty, self.tpr, cols as u32, self.stream_q6_k)?;
        let warp = super::kernels::warp_matvec_named(entry);
        let rows_per_block = match warp {
            Some(m) => (MATVEC_THREADS / 32 * m.rows_per_warp) as u64,
            None => (MATVEC_THREADS / self.tpr) as u64,
        };
        let names: Vec<&str> = ts
            .iter()
            .map(|t| t.name.trim_end_matches(".weight"))
            .collect();
        let label = names.join("+");
        self.push(
            label,
            entry,
            blocks(rows, rows_per_block),
            MATVEC_THREADS,
            vec![
                y,
                Self::weight(&t),
                PArg::Buf(x, 0),
                PArg::U32(rows as u32),
                PArg::U32(cols as u32),
                PArg::U32(accumulate as u32),
            ],
        );
        let stream_blocks = self.stream_blocks;
        let l = self.last();
        if warp.is_some_and(|m| m.grid_stride) {
            // A fixed grid that fills the GPU once; the warps walk the rest of the rows.
            l.grid[0] = l.grid[0].min(stream_blocks);
        }
        l.kernel.tpr = entry_tpr;
        l.weight_b = size_b;
        l.act_b = 4 * cols + 4 * rows * (1 + accumulate as u64);
        Ok(())
    }

    fn rmsnorm(&mut self, name: &str, out: BufRole, x: BufRole) -> Result<()> {
        let t = self.w.get(name)?.clone();
        let n = self.c.n_embd;
        self.push(
            name.trim_end_matches(".weight").to_string(),
            entry::RMSNORM,
            1,
            super::launch::RMSNORM_THREADS,
            vec![
                PArg::Buf(out, 0),
                PArg::Buf(x, 0),
                Self::weight(&t),
                PArg::U32(n as u32),
                PArg::F32(self.c.rms_eps),
            ],
        );
        let l = self.last();
        l.weight_b = t.size_b;
        l.act_b = 2 * f32_b(n);
        Ok(())
    }
}

/// Which norm of a layer a folded-norm site is (DecodePlan::norm_site).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NormAt {
    /// attn_norm of a layer after the first (layer 0's keeps its rmsnorm launch).
    Attn,
    /// ffn_norm.
    Ffn,
    /// output_norm (the layer is ignored).
    Output,
}

impl DecodePlan {
    /// Folded-norm sites per token (NormSums slots): ffn_norm of every layer, attn_norm of
    /// layers 1.., output_norm.
    pub fn norm_sites(c: &ModelConfig) -> usize {
        2 * c.n_layer
    }

    /// The NormSums slot of a norm, in token order: ffn_norm of layer l is 2l, attn_norm of
    /// layer l >= 1 is 2l - 1, output_norm the last (2 n_layer - 1). The producer of site k
    /// clears slot k - 1 (site 0's producer the last slot, whose consumer, the LM head, ran in
    /// the previous token): every kernel waits in griddepcontrol.wait for its predecessor to
    /// complete, so the producer of site k runs after the consumer of site k - 1 has read it,
    /// and the slot is zero again before its own producer adds into it a token later.
    pub fn norm_site(c: &ModelConfig, il: usize, at: NormAt) -> usize {
        match at {
            NormAt::Attn => (2 * il).saturating_sub(1),
            NormAt::Ffn => 2 * il,
            NormAt::Output => 2 * c.n_layer - 1,
        }
    }
}

impl Builder<'_> {
    /// Whether the norms can be folded into matvec_q6_k_n: the plan's matvecs around them (q|k|v,
    /// o-proj, gate|up, down, LM head) would all be matvec_q6_k_w (Q6_K, cols a multiple of
    /// 1024, 32 threads per row, not streamed, not fused) and o-proj / down produce n_embd rows.
    fn norm_fold_applies(&self) -> Result<bool> {
        if !self.fuse || self.tpr != 32 || self.stream_q6_k || self.c.n_layer == 0 {
            return Ok(false);
        }
        let head = if self.c.tied_embeddings || self.w.find("output.weight").is_none() {
            "token_embd.weight".to_string()
        } else {
            "output.weight".to_string()
        };
        let mut names = vec![head];
        for il in 0..self.c.n_layer {
            for t in [
                "attn_q",
                "attn_k",
                "attn_v",
                "attn_output",
                "ffn_gate",
                "ffn_up",
                "ffn_down",
            ] {
                names.push(format!("blk.{il}.{t}.weight"));
            }
        }
        for name in &names {
            let t = self.w.get(name)?;
            let warp = super::kernels::warp_matvec(t.ty, t.dims[0] as u32, false);
            if t.ty != crate::GgmlType::Q6_K
                || warp.is_none_or(|m| m.entry != "matvec_q6_k_w")
                || self.fused_for(t).is_some()
            {
                return Ok(false);
            }
        }
        let e = self.c.n_embd as u64;
        for il in 0..self.c.n_layer {
            for t in ["attn_output", "ffn_down"] {
                if self.w.get(&format!("blk.{il}.{t}.weight"))?.n_rows() != e {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// The NormSums slot `site` as an argument.
    fn slot(site: usize) -> PArg {
        PArg::Buf(BufRole::NormSums, f32_b(site))
    }

    /// y_i = W_i rmsnorm(X) for each part, reading Xn = X o nw (written by the producer of
    /// `site`) and scaling by 1 / rms from the site's slot; `site` None: Xn is already
    /// normalised (layer 0's attn_norm launch).
    fn folded_consumers(&mut self, parts: &[(String, PArg)], site: Option<usize>) -> Result<()> {
        for (run, y) in self.runs(parts)? {
            self.norm_matvec(&run, y, BufRole::Xn, false)?;
            let l = self.last();
            l.args[6] = site.map_or(PArg::Null, Self::slot);
            l.act_b += site.map_or(0, |_| 4);
        }
        Ok(())
    }

    /// X += W x (o-proj, down) that also writes Xn = X o `norm` for the consumer of `site`, adds
    /// sum X^2 into its slot and clears the slot before it.
    fn folded_producer(&mut self, name: &str, x: BufRole, site: usize, norm: &str) -> Result<()> {
        let t = self.w.get(name)?.clone();
        let nt = self.w.get(norm)?.clone();
        let sites = DecodePlan::norm_sites(self.c);
        self.norm_matvec(&[t], PArg::Buf(BufRole::X, 0), x, true)?;
        let l = self.last();
        l.args[8] = PArg::Buf(BufRole::Xn, 0);
        l.args[9] = Self::weight(&nt);
        l.args[10] = Self::slot(site);
        l.args[11] = Self::slot((site + sites - 1) % sites);
        l.weight_b += nt.size_b;
        // xw written, one red per warp (counted once).
        l.act_b += 4 * nt.dims[0] + 4;
        self.split_q6_last()
    }

    /// One matvec_q6_k_n (matvec_q6_k_nx with `q6k_xsum` where its grid is small enough; either
    /// in `q6k_pipeline`'s form) over the rows of `ts` with every folded-norm part off (the
    /// callers set them): matvec_q6_k_w's geometry and bytes.
    fn norm_matvec(&mut self, ts: &[TensorSlot], y: PArg, x: BufRole, acc: bool) -> Result<()> {
        self.matvec_rows(ts, y, x, acc)?;
        self.last_as_norm_matvec(false)
    }

    /// The last launch, a matvec_q6_k_w, as the folded-norm Q6_K matvec with its norm parts off
    /// (Null; a folded-norm caller fills them in after): matvec_q6_k_nx where `q6k_xsum` and its
    /// grid allow, else the pipeline's matvec_q6_k_n. `only_nx`: leave it on matvec_q6_k_w where
    /// nx does not apply (a plain matvec gains nothing from the _n form).
    fn last_as_norm_matvec(&mut self, only_nx: bool) -> Result<()> {
        let eps = self.c.rms_eps;
        let (limit, sm_count, pipeline) = (
            self.q6k_xsum_max_blocks_per_sm,
            self.sm_count,
            self.q6k_pipeline,
        );
        let small = |grid| limit == 0 || blocks_per_sm(grid, sm_count) <= limit as u64;
        let xsum = self.q6k_xsum && small(self.last().grid);
        if only_nx && !xsum {
            return Ok(());
        }
        let entry = super::kernels::norm_matvec_q6_k(xsum, pipeline);
        let l = self.last();
        if l.kernel.entry != "matvec_q6_k_w" {
            return Err(Error::Unsupported(format!(
                "{}: the folded norm needs matvec_q6_k_w's shape, the plan chose {}",
                l.label, l.kernel.entry
            )));
        }
        l.kernel = KernelRef { entry, tpr: None };
        l.args.extend([
            PArg::Null,
            PArg::F32(eps),
            PArg::Null,
            PArg::Null,
            PArg::Null,
            PArg::Null,
        ]);
        Ok(())
    }
}

/// What the attention launches of layer `il` need besides the config.
struct AttnLayer {
    il: usize,
    freq_arg: PArg,
    freq_b: u64,
    /// Byte offset of this layer's rows in the K and V caches.
    layer_off: u64,
    n_split: u32,
    split_len: u32,
    /// Positions the KV cache holds.
    max_ctx: u32,
}

const Q_ARG: PArg = PArg::Buf(BufRole::Qkv, 0);

impl Builder<'_> {
    fn k_arg(&self) -> PArg {
        PArg::Buf(BufRole::Qkv, f32_b(self.c.q_dim()))
    }

    fn v_arg(&self) -> PArg {
        PArg::Buf(BufRole::Qkv, f32_b(self.c.q_dim() + self.c.kv_dim()))
    }

    /// (q/k norm +) rope, kv_append, attn_partial, attn_combine: the `--unfused` launches.
    fn attention_unfused(&mut self, at: &AttnLayer) -> Result<()> {
        let (c, w) = (self.c, self.w);
        let AttnLayer {
            il,
            freq_arg,
            freq_b,
            layer_off,
            n_split,
            split_len,
            max_ctx,
        } = *at;
        let n = |s: &str| format!("blk.{il}.{s}.weight");
        let (q, kv, hd) = (c.q_dim(), c.kv_dim(), c.head_dim);
        let (q_arg, k_arg, v_arg) = (Q_ARG, self.k_arg(), self.v_arg());
        let scale = 1.0 / (hd as f32).sqrt();
        let qk_b = 2 * f32_b(q + kv);
        if c.qk_norm {
            let qn = w.get(&n("attn_q_norm"))?.clone();
            let kn = w.get(&n("attn_k_norm"))?.clone();
            if c.rope_style != RopeStyle::Neox {
                return Err(Error::Unsupported(
                    "GPU decode fuses q/k norm with neox rope only (Qwen3)".into(),
                ));
            }
            self.push(
                format!("blk.{il}.qk_norm_rope"),
                entry::QK_NORM_ROPE_NEOX,
                (c.n_head + c.n_head_kv) as u32,
                (hd / 2) as u32,
                vec![
                    q_arg,
                    k_arg,
                    Builder::weight(&qn),
                    Builder::weight(&kn),
                    PArg::U32(c.n_head as u32),
                    PArg::U32(c.n_head_kv as u32),
                    PArg::U32(hd as u32),
                    PArg::F32(c.rms_eps),
                    PArg::Buf(BufRole::Pos, 0),
                    PArg::F32(c.rope_theta),
                    freq_arg,
                ],
            );
            self.last().weight_b = qn.size_b + kn.size_b + freq_b;
        } else {
            let ent = match c.rope_style {
                RopeStyle::Norm => entry::ROPE_LLAMA,
                RopeStyle::Neox => entry::ROPE_NEOX,
            };
            let pairs = ((c.n_head + c.n_head_kv) * hd / 2) as u64;
            self.push(
                format!("blk.{il}.rope"),
                ent,
                blocks(pairs, ELEMWISE_THREADS as u64),
                ELEMWISE_THREADS,
                vec![
                    q_arg,
                    k_arg,
                    PArg::U32(c.n_head as u32),
                    PArg::U32(c.n_head_kv as u32),
                    PArg::U32(hd as u32),
                    PArg::Buf(BufRole::Pos, 0),
                    PArg::F32(c.rope_theta),
                    freq_arg,
                ],
            );
            self.last().weight_b = freq_b;
        }
        self.last().act_b = qk_b;

        self.push(
            format!("blk.{il}.kv_append"),
            entry::KV_APPEND,
            blocks(kv as u64, ELEMWISE_THREADS as u64),
            ELEMWISE_THREADS,
            vec![
                PArg::Buf(BufRole::KCache, layer_off),
                PArg::Buf(BufRole::VCache, layer_off),
                k_arg,
                v_arg,
                PArg::Buf(BufRole::Pos, 0),
                PArg::U32(kv as u32),
                PArg::U32(max_ctx),
            ],
        );
        self.last().act_b = 2 * f32_b(kv) + 2 * 2 * kv as u64;

        self.push(
            format!("blk.{il}.attn_partial"),
            entry::ATTN_PARTIAL,
            c.n_head as u32,
            ATTN_THREADS,
            vec![
                PArg::Buf(BufRole::AttnPartO, 0),
                PArg::Buf(BufRole::AttnPartMl, 0),
                q_arg,
                PArg::Buf(BufRole::KCache, layer_off),
                PArg::Buf(BufRole::VCache, layer_off),
                PArg::Buf(BufRole::Pos, 0),
                PArg::U32(c.n_head as u32),
                PArg::U32(c.n_head_kv as u32),
                PArg::U32(hd as u32),
                PArg::U32(split_len),
                PArg::F32(scale),
            ],
        );
        self.last().grid = [c.n_head as u32, n_split, 1];
        let part_b = f32_b(c.n_head * n_split as usize * (hd + 2));
        self.last().act_b = f32_b(q) + part_b;
        // K and V rows of one position, f16 (each KV head read once; GQA shares it via L1/L2).
        self.last().kv_b_per_pos = 2 * 2 * kv as u64;
        self.push(
            format!("blk.{il}.attn_combine"),
            entry::ATTN_COMBINE,
            c.n_head as u32,
            ATTN_THREADS,
            vec![
                PArg::Buf(BufRole::Att, 0),
                PArg::Buf(BufRole::AttnPartO, 0),
                PArg::Buf(BufRole::AttnPartMl, 0),
                PArg::U32(hd as u32),
                PArg::U32(n_split),
            ],
        );
        self.last().act_b = part_b + f32_b(q);
        Ok(())
    }

    /// rope_kv (or qk_norm_rope_kv) and attn_decode: two launches for the attention of a layer.
    fn attention_fused(&mut self, at: &AttnLayer) -> Result<()> {
        let (c, w) = (self.c, self.w);
        let AttnLayer {
            il,
            freq_arg,
            freq_b,
            layer_off,
            n_split,
            split_len,
            max_ctx,
        } = *at;
        let n = |s: &str| format!("blk.{il}.{s}.weight");
        let (q, kv, hd) = (c.q_dim(), c.kv_dim(), c.head_dim);
        let (k_arg, v_arg) = (self.k_arg(), self.v_arg());
        let caches = [
            PArg::Buf(BufRole::KCache, layer_off),
            PArg::Buf(BufRole::VCache, layer_off),
        ];
        let heads = [
            PArg::U32(c.n_head as u32),
            PArg::U32(c.n_head_kv as u32),
            PArg::U32(hd as u32),
            PArg::U32(max_ctx),
        ];
        if c.qk_norm {
            let qn = w.get(&n("attn_q_norm"))?.clone();
            let kn = w.get(&n("attn_k_norm"))?.clone();
            if c.rope_style != RopeStyle::Neox {
                return Err(Error::Unsupported(
                    "GPU decode fuses q/k norm with neox rope only (Qwen3)".into(),
                ));
            }
            let mut args = vec![
                Q_ARG,
                k_arg,
                v_arg,
                Builder::weight(&qn),
                Builder::weight(&kn),
            ];
            args.extend(caches);
            args.extend(heads);
            args.extend([
                PArg::F32(c.rms_eps),
                PArg::Buf(BufRole::Pos, 0),
                PArg::F32(c.rope_theta),
                freq_arg,
            ]);
            self.push(
                format!("blk.{il}.qk_norm_rope_kv"),
                entry::QK_NORM_ROPE_KV_NEOX,
                (c.n_head + c.n_head_kv) as u32,
                (hd / 2).div_ceil(32) as u32 * 32,
                args,
            );
            self.last().weight_b = qn.size_b + kn.size_b + freq_b;
        } else {
            let ent = match c.rope_style {
                RopeStyle::Norm => entry::ROPE_KV_LLAMA,
                RopeStyle::Neox => entry::ROPE_KV_NEOX,
            };
            let pairs = ((c.n_head + c.n_head_kv) * hd / 2) as u64;
            let mut args = vec![Q_ARG, k_arg, v_arg];
            args.extend(caches);
            args.push(PArg::Buf(BufRole::Pos, 0));
            args.extend(heads);
            args.extend([PArg::F32(c.rope_theta), freq_arg]);
            self.push(
                format!("blk.{il}.rope_kv"),
                ent,
                blocks(pairs, ELEMWISE_THREADS as u64),
                ELEMWISE_THREADS,
                args,
            );
            self.last().weight_b = freq_b;
        }
        // q and k read and written, v read, one f16 row of K and of V written.
        self.last().act_b = 2 * f32_b(q + kv) + f32_b(kv) + 2 * 2 * kv as u64;

        self.push(
            format!("blk.{il}.attn_decode"),
            entry::ATTN_DECODE,
            c.n_head as u32,
            ATTN_DECODE_THREADS,
            vec![
                PArg::Buf(BufRole::Att, 0),
                PArg::Buf(BufRole::AttnPartO, 0),
                PArg::Buf(BufRole::AttnPartMl, 0),
                PArg::Buf(BufRole::AttnCounters, 0),
                Q_ARG,
                caches[0],
                caches[1],
                PArg::Buf(BufRole::Pos, 0),
                PArg::U32(c.n_head as u32),
                PArg::U32(c.n_head_kv as u32),
                PArg::U32(hd as u32),
                PArg::U32(split_len),
                PArg::F32(1.0 / (hd as f32).sqrt()),
            ],
        );
        self.last().grid = [c.n_head as u32, n_split, 1];
        // q read, the output written; partials only past one split (not counted: L2).
        self.last().act_b = 2 * f32_b(q);
        // K and V rows of one position, f16 (each KV head read once; GQA shares it via L1/L2).
        self.last().kv_b_per_pos = 2 * 2 * kv as u64;
        Ok(())
    }
}

impl Builder<'_> {
    /// attn_rope_llama / attn_rope_neox / attn_qknorm_rope_neox: the attention of a layer in
    /// one launch, from the raw q|k|v of the current position.
    fn attention_rope(&mut self, at: &AttnLayer) -> Result<()> {
        let (c, w) = (self.c, self.w);
        let AttnLayer {
            il,
            freq_arg,
            freq_b,
            layer_off,
            n_split,
            split_len,
            max_ctx,
        } = *at;
        let n = |s: &str| format!("blk.{il}.{s}.weight");
        let (q, kv, hd) = (c.q_dim(), c.kv_dim(), c.head_dim);
        let (ent, norms, norm_b) = if c.qk_norm {
            let qn = w.get(&n("attn_q_norm"))?.clone();
            let kn = w.get(&n("attn_k_norm"))?.clone();
            if c.rope_style != RopeStyle::Neox {
                return Err(Error::Unsupported(
                    "GPU decode fuses q/k norm with neox rope only (Qwen3)".into(),
                ));
            }
            (
                entry::ATTN_QKNORM_ROPE_NEOX,
                [Builder::weight(&qn), Builder::weight(&kn)],
                qn.size_b + kn.size_b,
            )
        } else {
            let ent = match c.rope_style {
                RopeStyle::Norm => entry::ATTN_ROPE_LLAMA,
                RopeStyle::Neox => entry::ATTN_ROPE_NEOX,
            };
            (ent, [PArg::Null, PArg::Null], 0)
        };
        self.push(
            format!("blk.{il}.attn_rope"),
            ent,
            c.n_head as u32,
            ATTN_DECODE_THREADS,
            vec![
                PArg::Buf(BufRole::Att, 0),
                PArg::Buf(BufRole::AttnPartO, 0),
                PArg::Buf(BufRole::AttnPartMl, 0),
                PArg::Buf(BufRole::AttnCounters, 0),
                Q_ARG,
                norms[0],
                norms[1],
                PArg::Buf(BufRole::KCache, layer_off),
                PArg::Buf(BufRole::VCache, layer_off),
                PArg::Buf(BufRole::Pos, 0),
                freq_arg,
                PArg::U32(c.n_head as u32),
                PArg::U32(c.n_head_kv as u32),
                PArg::U32(hd as u32),
                PArg::U32(split_len),
                PArg::U32(max_ctx),
                PArg::F32(1.0 / (hd as f32).sqrt()),
                PArg::F32(c.rms_eps),
                PArg::F32(c.rope_theta),
            ],
        );
        self.last().grid = [c.n_head as u32, n_split, 1];
        self.last().weight_b = norm_b + freq_b;
        // q|k|v read, the output written, one f16 row of K and of V written.
        self.last().act_b = f32_b(q + 2 * kv) + f32_b(q) + 2 * 2 * kv as u64;
        // K and V rows of one position, f16 (each KV head read once; GQA shares it via L1/L2).
        self.last().kv_b_per_pos = 2 * 2 * kv as u64;
        Ok(())
    }
}

impl DecodePlan {
    /// The plan for `c` with weights at `w`. Errors name what the GPU path cannot run.
    pub fn build(c: &ModelConfig, w: &WeightsLayout, options: PlanOptions) -> Result<DecodePlan> {
        let tpr = options.threads_per_row;
        if !matches!(tpr, 1 | 2 | 4 | 8 | 16 | 32) {
            return Err(Error::Usage(format!(
                "--threads-per-row {tpr}: expected 1, 2, 4, 8, 16 or 32 (a divisor of the warp)"
            )));
        }
        if options.max_ctx == 0 || options.max_ctx > c.n_ctx_train.max(1) {
            return Err(Error::Usage(format!(
                "KV cache of {} positions: expected 1..={} (the model's context)",
                options.max_ctx, c.n_ctx_train
            )));
        }
        if c.rope_dim != c.head_dim {
            return Err(Error::Unsupported(format!(
                "GPU decode rotates whole heads; this model rotates {} of {} values",
                c.rope_dim, c.head_dim
            )));
        }
        let (e, q, kv, ff, v, hd) = (
            c.n_embd,
            c.q_dim(),
            c.kv_dim(),
            c.n_ff,
            c.n_vocab,
            c.head_dim,
        );
        let max_ctx = options.max_ctx as u64;
        let cache_layer_b = max_ctx * kv as u64 * 2;
        if options.attn_split_len == 0 {
            return Err(Error::Usage(
                "attention split of 0 positions: expected at least 1".into(),
            ));
        }
        let split_len = if options.fuse_matvecs {
            options.attn_split_len
        } else {
            ATTN_SPLIT_LEN
        };
        let n_split = (options.max_ctx as u32).div_ceil(split_len);
        if hd % 64 != 0 || hd > 256 {
            return Err(Error::Unsupported(format!(
                "GPU attention takes head_dim a multiple of 64 up to 256; this model has {hd}"
            )));
        }
        let buffers: Vec<(BufRole, u64)> = vec![
            (BufRole::Weights, w.total_b),
            (BufRole::X, f32_b(e)),
            (BufRole::Xn, f32_b(e)),
            (BufRole::Qkv, f32_b(q + 2 * kv)),
            (BufRole::Att, f32_b(q)),
            (BufRole::GateUp, f32_b(2 * ff)),
            (BufRole::Logits, f32_b(v)),
            (BufRole::Pos, 16),
            (BufRole::Token, 16),
            (BufRole::History, 4 * (max_ctx + 1)),
            (BufRole::KCache, c.n_layer as u64 * cache_layer_b),
            (BufRole::VCache, c.n_layer as u64 * cache_layer_b),
            (BufRole::AttnPartO, f32_b(c.n_head * n_split as usize * hd)),
            (BufRole::AttnPartMl, f32_b(c.n_head * n_split as usize * 2)),
            (BufRole::AttnCounters, f32_b(c.n_head)),
            (BufRole::ArgPartVal, f32_b(ARGMAX_BLOCKS as usize)),
            (BufRole::ArgPartIdx, f32_b(ARGMAX_BLOCKS as usize)),
        ];
        let sm_count = options
            .sm_count
            .unwrap_or(super::kernels::DEFAULT_SM_COUNT)
            .max(1);
        // Residual matvecs with fewer rows than fill SPLIT_MAX_BLOCKS_PER_SM blocks of 8 rows (4
        // warps x 2: matvec_q8_0_f's and matvec_q6_k_w's blocks) per SM split their columns.
        let split_rows = 8 * SPLIT_MAX_BLOCKS_PER_SM as u64 * sm_count as u64;
        let mut b = Builder {
            c,
            w,
            tpr,
            fuse: options.fuse_matvecs,
            norm_in_matvec: options.norm_in_matvec,
            fused_q6_k: options.fused_q6_k,
            fused_q6_k_alone: options.fused_q6_k_alone,
            pair_q6_k: options.pair_q6_k,
            q4k_xsum: options.q4k_xsum,
            q4k_dot: options.q4k_dot,
            q6k_plain_xsum: options.q6k_plain_xsum,
            q6k_xsum: options.q6k_xsum,
            q6k_xsum_max_blocks_per_sm: options.q6k_xsum_max_blocks_per_sm,
            sm_count,
            q6k_pipeline: options.q6k_pipeline,
            stream_q6_k: options.stream_q6_k,
            stream_blocks: sm_count.saturating_mul(options.stream_blocks_per_sm.max(1)),
            fused_max_blocks: sm_count.saturating_mul(options.fused_blocks_per_sm),
            norm_fold: false,
            glu_in_matvec: options.glu_in_matvec,
            split_below_rows: if options.split_q8_0 { split_rows } else { 0 },
            split_q6_below_rows: if options.split_q6_k { split_rows } else { 0 },
            out: Vec::new(),
        };
        b.norm_fold = options.norm_by_producer && b.norm_fold_applies()?;
        let mut buffers = buffers;
        if b.norm_fold {
            buffers.push((BufRole::NormSums, f32_b(DecodePlan::norm_sites(c))));
        }

        let embd = w.get("token_embd.weight")?.clone();
        b.push(
            "token_embd (row)".into(),
            embed_entry(embd.ty)?,
            blocks(e as u64, ELEMWISE_THREADS as u64),
            ELEMWISE_THREADS,
            vec![
                PArg::Buf(BufRole::X, 0),
                Builder::weight(&embd),
                PArg::Buf(BufRole::Token, 0),
                PArg::U32(e as u32),
                PArg::U32(v as u32),
            ],
        );
        b.last().weight_b = embd.row_b();
        b.last().act_b = f32_b(e) + 4;

        let q_arg = PArg::Buf(BufRole::Qkv, 0);
        let k_arg = PArg::Buf(BufRole::Qkv, f32_b(q));
        let v_arg = PArg::Buf(BufRole::Qkv, f32_b(q + kv));
        let freqs = w.find("rope_freqs.weight").cloned();
        for il in 0..c.n_layer {
            let n = |s: &str| format!("blk.{il}.{s}.weight");
            let qkv_parts = [
                (n("attn_q"), q_arg),
                (n("attn_k"), k_arg),
                (n("attn_v"), v_arg),
            ];
            if b.norm_fold {
                // Layer 0's attn_norm keeps its launch (the embedding produces X); the others
                // were folded into the down matvec before.
                let site = (il > 0).then(|| DecodePlan::norm_site(c, il, NormAt::Attn));
                if site.is_none() {
                    b.rmsnorm(&n("attn_norm"), BufRole::Xn, BufRole::X)?;
                }
                b.folded_consumers(&qkv_parts, site)?;
            } else {
                b.normed_matvecs(&n("attn_norm"), &qkv_parts)?;
            }

            let freq_arg = freqs.as_ref().map_or(PArg::Null, Builder::weight);
            // The frequency table is read from DRAM once per step (then it sits in L2): counted
            // in layer 0 only, as the model's planned bytes count it.
            let freq_b = if il == 0 {
                freqs.as_ref().map_or(0, |t| t.size_b)
            } else {
                0
            };
            let at = AttnLayer {
                il,
                freq_arg,
                freq_b,
                layer_off: il as u64 * cache_layer_b,
                n_split,
                split_len,
                max_ctx: options.max_ctx as u32,
            };
            if options.fuse_matvecs
                && options.attn_rope
                && super::launch::attn_rope_takes(hd as u32)
            {
                b.attention_rope(&at)?;
            } else if options.fuse_matvecs {
                b.attention_fused(&at)?;
            } else {
                b.attention_unfused(&at)?;
            }

            if b.norm_fold {
                let ffn_site = DecodePlan::norm_site(c, il, NormAt::Ffn);
                b.folded_producer(&n("attn_output"), BufRole::Att, ffn_site, &n("ffn_norm"))?;
                b.ffn_gate_up(il)?;
                let (site, norm) = if il + 1 < c.n_layer {
                    let next = format!("blk.{}.attn_norm.weight", il + 1);
                    (DecodePlan::norm_site(c, il + 1, NormAt::Attn), next)
                } else {
                    let out = "output_norm.weight".to_string();
                    (DecodePlan::norm_site(c, il, NormAt::Output), out)
                };
                b.folded_producer(&n("ffn_down"), BufRole::GateUp, site, &norm)?;
            } else {
                b.residual_matvec(&n("attn_output"), BufRole::Att)?;
                b.ffn_gate_up(il)?;
                b.residual_matvec(&n("ffn_down"), BufRole::GateUp)?;
            }
        }

        let head = if c.tied_embeddings || w.find("output.weight").is_none() {
            "token_embd.weight"
        } else {
            "output.weight"
        };
        let head_parts = [(head.to_string(), PArg::Buf(BufRole::Logits, 0))];
        if b.norm_fold {
            let site = DecodePlan::norm_site(c, c.n_layer - 1, NormAt::Output);
            b.folded_consumers(&head_parts, Some(site))?;
        } else {
            b.normed_matvecs("output_norm.weight", &head_parts)?;
        }
        b.last().label = "lm_head".into();
        b.push(
            "argmax_partial".into(),
            entry::ARGMAX_PARTIAL,
            blocks(v as u64, ELEMWISE_THREADS as u64).min(ARGMAX_BLOCKS),
            ELEMWISE_THREADS,
            vec![
                PArg::Buf(BufRole::ArgPartVal, 0),
                PArg::Buf(BufRole::ArgPartIdx, 0),
                PArg::Buf(BufRole::Logits, 0),
                PArg::U32(v as u32),
            ],
        );
        b.last().act_b = f32_b(v) + 8 * ARGMAX_BLOCKS as u64;
        let n_parts = blocks(v as u64, ELEMWISE_THREADS as u64).min(ARGMAX_BLOCKS);
        b.push(
            "argmax_final".into(),
            entry::ARGMAX_FINAL,
            1,
            ELEMWISE_THREADS,
            vec![
                PArg::Buf(BufRole::Token, 0),
                PArg::Buf(BufRole::ArgPartVal, 0),
                PArg::Buf(BufRole::ArgPartIdx, 0),
                PArg::U32(n_parts),
            ],
        );
        b.last().act_b = 8 * ARGMAX_BLOCKS as u64 + 4;
        b.push(
            "advance".into(),
            entry::ADVANCE,
            1,
            1,
            vec![
                PArg::Buf(BufRole::Pos, 0),
                PArg::Buf(BufRole::Token, 0),
                PArg::Buf(BufRole::History, 0),
                PArg::U32(options.max_ctx as u32 + 1),
            ],
        );
        b.last().act_b = 16;
        spread_small_grids(
            &mut b.out,
            sm_count,
            options.spread_blocks_per_sm,
            options.spread_all,
        );

        Ok(DecodePlan {
            config: c.clone(),
            options,
            weights: w.clone(),
            buffers,
            launches: b.out,
        })
    }

    /// Weight bytes one step reads (every tensor once; one embedding row).
    pub fn weight_bytes(&self) -> u64 {
        self.launches.iter().map(|l| l.weight_b).sum()
    }

    /// Bytes one step reads from DRAM at a context of `n_ctx` positions: weights + K/V.
    pub fn dram_bytes_at(&self, n_ctx: u64) -> u64 {
        self.weight_bytes() + self.launches.iter().map(|l| l.kv_b_per_pos).sum::<u64>() * n_ctx
    }

    /// Size of `role`'s buffer.
    pub fn buffer_b(&self, role: BufRole) -> u64 {
        self.buffers
            .iter()
            .find(|(r, _)| *r == role)
            .map_or(0, |(_, s)| *s)
    }

    /// Launches per step.
    pub fn n_launches(&self) -> usize {
        self.launches.len()
    }

    /// Launches per layer without fusing (--unfused): rmsnorm, q, k, v, rope, kv_append,
    /// attn_partial, attn_combine, o-proj, rmsnorm, gate, up, swiglu, down.
    pub const LAUNCHES_PER_LAYER: usize = 14;
    /// Launches per layer of the default plan when every matvec has a fused kernel
    /// (kernels::FUSED_MATVECS; llama1b-q6k): q|k|v with attn_norm, attn_rope (rope, KV append,
    /// split attention and its combine), o-proj (+= x), gate|up with ffn_norm and SwiGLU,
    /// down (+= x). `attn_rope: false` adds one (rope_kv, then attn_decode).
    pub const LAUNCHES_PER_LAYER_FUSED: usize = 5;
    /// embed, output norm, LM head, argmax_partial, argmax_final, advance (the output norm is
    /// in the LM head's fused matvec where it has one: 5).
    pub const LAUNCHES_OUTSIDE_LAYERS: usize = 6;
}
