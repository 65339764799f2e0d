//! The knobs of the plan (`PlanOptions`), their measured defaults per backend, and the spread
//! of small grids over every SM.

use super::*;

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
pub(super) fn blocks_per_sm(grid: [u32; 3], sm_count: u32) -> u64 {
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
