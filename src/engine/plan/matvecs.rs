//! The matvec launches of the plan: which kernel takes a tensor (warp, fused, paired, split-K),
//! the runs of tensors one launch covers, and the rmsnorm launch in front of those that need it.

use super::*;

impl Builder<'_> {
    /// y (+)= W x with W = tensor `name` (cols = dims[0], rows = dims[1]).
    pub(super) fn matvec(
        &mut self,
        name: &str,
        y: BufRole,
        x: BufRole,
        accumulate: bool,
    ) -> Result<()> {
        let t = self.w.get(name)?.clone();
        self.matvec_rows(&[t], PArg::Buf(y, 0), x, accumulate)
    }

    /// `parts` (tensor, output) grouped into the runs one matvec can take, each with its output.
    /// With fusing on, a run of tensors of one type and row length lying back to back in the
    /// weights buffer, whose outputs are back to back too, is one matvec over their rows
    /// together (q|k|v, gate|up).
    pub(super) fn runs(&self, parts: &[(String, PArg)]) -> Result<Vec<(Vec<TensorSlot>, PArg)>> {
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
    pub(super) fn fused_for(&self, t: &TensorSlot) -> Option<FusedMatvec> {
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
    pub(super) fn pair_for(
        &self,
        runs: &[(Vec<TensorSlot>, PArg)],
    ) -> Option<(MatvecPair, FusedMatvec, FusedMatvec)> {
        let [(a, _), (b, _)] = runs else {
            return None;
        };
        let fa = self.fused_for(&a[0])?;
        let pair = super::super::kernels::MATVEC_PAIRS
            .into_iter()
            .find(|p| p.parts[0] == fa.entry)?;
        let fb = super::super::kernels::fused_matvec_named(pair.parts[1])?;
        let cols = b[0].dims[0];
        let fits = b[0].ty == fb.ty
            && cols == a[0].dims[0]
            && cols.is_multiple_of(fb.cols_multiple as u64)
            && cols <= fb.max_cols as u64;
        (self.pair_q6_k && fits && self.fused_for(&b[0]).is_none()).then_some((pair, fa, fb))
    }

    /// The last two launches (fused matvecs of `pair`'s parts) as one launch of the paired
    /// kernel: a's blocks then b's, a's arguments, b's, a's block count.
    pub(super) fn pair_last_two(&mut self, pair: MatvecPair) {
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
    pub(super) fn fused_any(&self, t: &TensorSlot) -> Option<FusedMatvec> {
        if !self.fuse || !self.norm_in_matvec || self.tpr != 32 {
            return None;
        }
        let cols = u32::try_from(t.dims[0]).ok()?;
        let fm = fused_matvec(t.ty, cols)?;
        let swap = |entry: Option<&str>| {
            super::super::kernels::fused_matvec_named(entry?)
                .filter(|x| x.ty == fm.ty && cols <= x.max_cols)
        };
        let int_x = swap(self.q4k_dot.entry());
        let xsum = swap(
            self.q4k_xsum
                .then_some(super::super::kernels::MATVEC_Q4_K_XSUM),
        );
        Some(int_x.or(xsum).unwrap_or(fm))
    }

    /// One fused matvec over the rows of `ts` reading x (rmsnorm-ed in the kernel with `norm`
    /// when given); `norm_b` is the norm weight bytes this launch is charged with (counted once
    /// per step where several launches read the same norm).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn fused(
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
    pub(super) fn normed_matvecs(&mut self, norm: &str, parts: &[(String, PArg)]) -> Result<()> {
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
    pub(super) fn residual_matvec(&mut self, name: &str, x: BufRole) -> Result<()> {
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
    pub(super) fn split_q6_last(&mut self) -> Result<()> {
        // The fused plan only (as split_q8_0): the unfused plan keeps matvec_q6_k_w.
        let below = if self.fuse {
            self.split_q6_below_rows
        } else {
            0
        };
        let eps = self.c.rms_eps;
        let l = self.last();
        let plain = l.kernel.entry == "matvec_q6_k_w";
        if !plain && !super::super::kernels::NORM_MATVEC_Q6_K_WARP.contains(&l.kernel.entry) {
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
            entry: super::super::kernels::NORM_MATVEC_Q6_K_SPLIT,
            tpr: None,
        };
        l.grid = [blocks(rows as u64, 2), 1, 1];
        if plain {
            l.args.extend(super::norm_fold::norm_parts_off(eps));
        }
        Ok(())
    }

    /// The split-K matvec for the residual rows `t` when the plan uses it
    /// (`PlanOptions::split_q8_0`: cols a multiple of 512, fewer rows than `split_below_rows`).
    pub(super) fn split_for(&self, t: &TensorSlot) -> Option<SplitMatvec> {
        let cols = u32::try_from(t.dims[0]).ok()?;
        split_matvec(t.ty, cols).filter(|_| t.n_rows() < self.split_below_rows)
    }

    /// X += W x through the split-K matvec `sk` (one block per rows_per_block rows).
    pub(super) fn split(&mut self, sk: SplitMatvec, t: &TensorSlot, x: BufRole) {
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
    pub(super) fn ffn_gate_up(&mut self, il: usize) -> Result<()> {
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
    pub(super) fn matvec_rows(
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
        let (entry, entry_tpr) = super::super::kernels::matvec_choice_with(
            t.ty,
            self.tpr,
            cols as u32,
            self.stream_q6_k,
        )?;
        let warp = super::super::kernels::warp_matvec_named(entry);
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

    pub(super) fn rmsnorm(&mut self, name: &str, out: BufRole, x: BufRole) -> Result<()> {
        let t = self.w.get(name)?.clone();
        let n = self.c.n_embd;
        self.push(
            name.trim_end_matches(".weight").to_string(),
            entry::RMSNORM,
            1,
            super::super::launch::RMSNORM_THREADS,
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
