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

mod attention;
mod matvecs;
mod norm_fold;
mod options;

use attention::AttnLayer;
pub use norm_fold::NormAt;
pub use options::*;

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

        let head = DecodePlan::lm_head_tensor(c, w);
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
    /// The tensor the LM head reads: `output.weight`, or `token_embd.weight` when the
    /// embeddings are tied or the file has no output matrix.
    pub fn lm_head_tensor(c: &ModelConfig, w: &WeightsLayout) -> &'static str {
        if c.tied_embeddings || w.find("output.weight").is_none() {
            "token_embd.weight"
        } else {
            "output.weight"
        }
    }

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
