//! The norms folded into the Q6_K matvecs around them (matvec_q6_k_n): the producer of the
//! residual writes x∘norm and its sum of squares into a NormSums slot, the consumer scales by
//! 1 / rms.

use super::*;

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
    pub(super) fn norm_fold_applies(&self) -> Result<bool> {
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
            let warp = super::super::kernels::warp_matvec(t.ty, t.dims[0] as u32, false);
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
    pub(super) fn slot(site: usize) -> PArg {
        PArg::Buf(BufRole::NormSums, f32_b(site))
    }

    /// y_i = W_i rmsnorm(X) for each part, reading Xn = X o nw (written by the producer of
    /// `site`) and scaling by 1 / rms from the site's slot; `site` None: Xn is already
    /// normalised (layer 0's attn_norm launch).
    pub(super) fn folded_consumers(
        &mut self,
        parts: &[(String, PArg)],
        site: Option<usize>,
    ) -> Result<()> {
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
    pub(super) fn folded_producer(
        &mut self,
        name: &str,
        x: BufRole,
        site: usize,
        norm: &str,
    ) -> Result<()> {
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
    pub(super) fn norm_matvec(
        &mut self,
        ts: &[TensorSlot],
        y: PArg,
        x: BufRole,
        acc: bool,
    ) -> Result<()> {
        self.matvec_rows(ts, y, x, acc)?;
        self.last_as_norm_matvec(false)
    }

    /// The last launch, a matvec_q6_k_w, as the folded-norm Q6_K matvec with its norm parts off
    /// (Null; a folded-norm caller fills them in after): matvec_q6_k_nx where `q6k_xsum` and its
    /// grid allow, else the pipeline's matvec_q6_k_n. `only_nx`: leave it on matvec_q6_k_w where
    /// nx does not apply (a plain matvec gains nothing from the _n form).
    pub(super) fn last_as_norm_matvec(&mut self, only_nx: bool) -> Result<()> {
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
        let entry = super::super::kernels::norm_matvec_q6_k(xsum, pipeline);
        let l = self.last();
        if l.kernel.entry != "matvec_q6_k_w" {
            return Err(Error::Unsupported(format!(
                "{}: the folded norm needs matvec_q6_k_w's shape, the plan chose {}",
                l.label, l.kernel.entry
            )));
        }
        l.kernel = KernelRef { entry, tpr: None };
        l.args.extend(norm_parts_off(eps));
        Ok(())
    }
}

/// The folded-norm parameters after matvec_q6_k_w's six (NORM_MATVEC_PARAMS: sumsq_in, eps,
/// xw_out, norm_next, sumsq_out, sumsq_clear), every part off: a plain matvec on a folded-norm
/// kernel.
pub(super) fn norm_parts_off(eps: f32) -> [PArg; 6] {
    [
        PArg::Null,
        PArg::F32(eps),
        PArg::Null,
        PArg::Null,
        PArg::Null,
        PArg::Null,
    ]
}
