//! The attention launches of a layer: the one-launch attn_rope kernels, the fused rope_kv +
//! attn_decode pair, or the four launches of the unfused plan.

use super::*;

/// What the attention launches of layer `il` need besides the config.
pub(super) struct AttnLayer {
    pub(super) il: usize,
    pub(super) freq_arg: PArg,
    pub(super) freq_b: u64,
    /// Byte offset of this layer's rows in the K and V caches.
    pub(super) layer_off: u64,
    pub(super) n_split: u32,
    pub(super) split_len: u32,
    /// Positions the KV cache holds.
    pub(super) max_ctx: u32,
}

const Q_ARG: PArg = PArg::Buf(BufRole::Qkv, 0);

impl Builder<'_> {
    pub(super) fn k_arg(&self) -> PArg {
        PArg::Buf(BufRole::Qkv, f32_b(self.c.q_dim()))
    }

    pub(super) fn v_arg(&self) -> PArg {
        PArg::Buf(BufRole::Qkv, f32_b(self.c.q_dim() + self.c.kv_dim()))
    }

    /// (q/k norm +) rope, kv_append, attn_partial, attn_combine: the `--unfused` launches.
    pub(super) fn attention_unfused(&mut self, at: &AttnLayer) -> Result<()> {
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
    pub(super) fn attention_fused(&mut self, at: &AttnLayer) -> Result<()> {
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
    pub(super) fn attention_rope(&mut self, at: &AttnLayer) -> Result<()> {
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
