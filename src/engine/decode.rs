//! [`GpuDecoder`]: a [`DecodePlan`] bound to a backend. Weights are uploaded once into one
//! buffer, activations and the f16 KV cache allocated once, the step's launches built into one
//! replay (a CUDA graph on cuda, a prebuilt queue on nv). Per token the host queues one replay:
//! the position and token live in device buffers that the step itself advances.

use super::decode_kernels::kernel_spec;
use super::plan::{BufRole, DecodePlan, KernelRef, PArg, PlanOptions};
use super::weights::{decoder_tensor_names, WeightsLayout};
use crate::gguf::GgufFile;
use crate::gpu::{Arg, Backend, BackendKind, Buf, KernelId, Launch, ReplayId};
use crate::models::ModelConfig;
use crate::{Error, Result};
use std::collections::HashMap;
use std::path::Path;

/// A model on the GPU, ready to decode.
pub struct GpuDecoder {
    pub backend: Box<dyn Backend>,
    pub plan: DecodePlan,
    bufs: HashMap<BufRole, Buf>,
    launches: Vec<Launch>,
    replay: ReplayId,
    /// A replay of the step's launches repeated k times (k, id), built on first use by
    /// `run_timed_chained`.
    replay_k: Option<(usize, ReplayId)>,
    /// Whether `warm_steps` has run.
    warmed: bool,
}

/// Per-token times of a timed greedy run.
#[derive(Debug, Clone, PartialEq)]
pub struct TimedRun {
    pub prompt: Vec<u32>,
    pub generated: Vec<u32>,
    /// GPU time of each generated position's step (marks around each replay).
    pub gen_ns: Vec<f64>,
    /// Wall time of the prompt positions (one replay each, token uploaded by the host).
    pub prompt_ns: f64,
    /// Tokens chained in one replay (1: a replay and a mark per token). With k > 1 each token of
    /// a group is given the group's time / k.
    pub tokens_per_replay: usize,
}

/// One kernel of a profiled step.
#[derive(Debug, Clone, PartialEq)]
pub struct KernelTime {
    pub label: String,
    pub entry: &'static str,
    pub elapsed_ns: f64,
    pub bytes: u64,
}

/// The plan's launches with buffer roles replaced by `bufs` (address + offset) and kernels by
/// `kernel_of`. A role without a buffer is an error.
pub fn bind(
    plan: &DecodePlan,
    bufs: &HashMap<BufRole, Buf>,
    kernel_of: impl Fn(&KernelRef) -> KernelId,
) -> Result<Vec<Launch>> {
    let mut launches = Vec::with_capacity(plan.launches.len());
    for pl in &plan.launches {
        let mut args = Vec::with_capacity(pl.args.len());
        for a in &pl.args {
            args.push(match *a {
                PArg::Buf(role, off) => {
                    let b = bufs.get(&role).ok_or_else(|| {
                        Error::Usage(format!("{}: no buffer bound for {role:?}", pl.label))
                    })?;
                    Arg::Buf(Buf {
                        gpu_va: b.gpu_va + off,
                        size_b: b.size_b.saturating_sub(off),
                    })
                }
                PArg::U32(v) => Arg::U32(v),
                PArg::F32(v) => Arg::F32(v),
                PArg::Null => Arg::U64(0),
            });
        }
        launches.push(Launch {
            kernel: kernel_of(&pl.kernel),
            grid: pl.grid,
            block: pl.block,
            shared_b: pl.shared_b,
            max_blocks_per_sm: pl.max_blocks_per_sm,
            args,
        });
    }
    Ok(launches)
}

/// The config of a GGUF and the layout of the tensors the decoder reads from it.
pub fn layout_of(src: &GgufFile) -> Result<(ModelConfig, WeightsLayout)> {
    let config = ModelConfig::from_gguf(src)?;
    let mut present = Vec::new();
    for name in decoder_tensor_names(&config) {
        if let Some(t) = src.tensor(&name) {
            present.push((name, t.ty, t.dims.clone()));
        }
    }
    Ok((config, WeightsLayout::new(present)?))
}

/// The bytes of the device weights buffer: each tensor's file bytes at its layout offset.
pub fn weights_image(src: &GgufFile, layout: &WeightsLayout) -> Result<Vec<u8>> {
    let mut image = vec![0u8; layout.total_b as usize];
    for t in &layout.tensors {
        let info = src
            .tensor(&t.name)
            .ok_or_else(|| Error::Model(format!("{}: no tensor {}", src.path.display(), t.name)))?;
        let data = src.tensor_data(info);
        if data.len() as u64 != t.size_b {
            return Err(Error::Model(format!(
                "{}: tensor {} has {} bytes, the layout expects {}",
                src.path.display(),
                t.name,
                data.len(),
                t.size_b
            )));
        }
        image[t.offset_b as usize..(t.offset_b + t.size_b) as usize].copy_from_slice(data);
    }
    Ok(image)
}

fn u32s(b: &[u8]) -> Vec<u32> {
    b.chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

impl GpuDecoder {
    /// Open the GGUF at `path`, lay out and upload its weights, allocate every buffer, load the
    /// kernels and build the step's replay.
    pub fn load(mut backend: Box<dyn Backend>, path: &Path, options: PlanOptions) -> Result<Self> {
        let mut options = options;
        if options.sm_count.is_none() {
            // Grid-stride matvecs fill this GPU once (0 from a backend: the plan's default).
            options.sm_count = Some(backend.info().sm_count).filter(|&n| n > 0);
        }
        let src = GgufFile::open(path)?;
        let (config, layout) = layout_of(&src)?;
        let mut plan = DecodePlan::build(&config, &layout, options)?;
        if let Some(a) = super::ablate::Ablation::from_env() {
            let n = a.apply(&mut plan);
            eprintln!(
                "kernlab decode: ABLATION ({a:?}): {n} launches dropped, {} left; timing only, the logits are wrong",
                plan.launches.len()
            );
        }

        let mut bufs = HashMap::new();
        for &(role, size_b) in &plan.buffers {
            let buf = backend.alloc(size_b.max(16))?;
            bufs.insert(role, buf);
        }
        // One host image of the weights buffer, uploaded in one copy (the backend's upload writes
        // whole buffers from their start).
        let image = weights_image(&src, &layout)?;
        backend.upload(bufs[&BufRole::Weights], &image)?;
        drop(image);
        for role in [
            BufRole::KCache,
            BufRole::VCache,
            BufRole::History,
            BufRole::AttnCounters,
            BufRole::NormSums,
        ] {
            // NormSums: only plans with folded norms have it.
            if let Some(&buf) = bufs.get(&role) {
                backend.memset_u32(buf, 0)?;
            }
        }

        let mut kernels: HashMap<(&'static str, Option<u32>), KernelId> = HashMap::new();
        for pl in &plan.launches {
            let key = (pl.kernel.entry, pl.kernel.tpr);
            if let std::collections::hash_map::Entry::Vacant(slot) = kernels.entry(key) {
                slot.insert(backend.load(&kernel_spec(&pl.kernel)?)?);
            }
        }
        let launches = bind(&plan, &bufs, |k| kernels[&(k.entry, k.tpr)])?;
        let replay = backend.build_replay(&launches)?;
        Ok(GpuDecoder {
            backend,
            plan,
            bufs,
            launches,
            replay,
            replay_k: None,
            warmed: false,
        })
    }

    /// Open backend `kind` and load the model at `path` on it.
    pub fn open(kind: BackendKind, path: &Path, options: PlanOptions) -> Result<(Self, String)> {
        let opened = crate::gpu::open(kind)?;
        let d = GpuDecoder::load(opened.backend, path, options)?;
        Ok((d, opened.note))
    }

    /// [`GpuDecoder::open`] with the plan's defaults for the backend opened
    /// ([`PlanOptions::tuned_for`]) and the context `max_ctx`.
    pub fn open_tuned(kind: BackendKind, path: &Path, max_ctx: usize) -> Result<(Self, String)> {
        let opened = crate::gpu::open(kind)?;
        let options = PlanOptions {
            max_ctx,
            ..PlanOptions::tuned_for(opened.backend.replay_launches_early())
        };
        let d = GpuDecoder::load(opened.backend, path, options)?;
        Ok((d, opened.note))
    }

    fn buf(&self, role: BufRole) -> Buf {
        self.bufs[&role]
    }

    /// The device buffer bound to `role`.
    pub fn buffer(&self, role: BufRole) -> Buf {
        self.buf(role)
    }

    /// The step's launches as bound (the list the replay was built from).
    pub fn launches(&self) -> &[Launch] {
        &self.launches
    }

    /// Set the position and the token of the next step (host upload; waits for queued work).
    pub fn set_input(&mut self, pos: usize, token: u32) -> Result<()> {
        let c = &self.plan.config;
        if token as usize >= c.n_vocab {
            return Err(Error::Usage(format!(
                "token id {token} is outside the vocabulary (n_vocab {})",
                c.n_vocab
            )));
        }
        if pos >= self.plan.options.max_ctx {
            return Err(Error::Usage(format!(
                "position {pos} is past the KV cache ({} positions)",
                self.plan.options.max_ctx
            )));
        }
        let mut p = [0u8; 16];
        p[..4].copy_from_slice(&(pos as u32).to_le_bytes());
        self.backend.upload(self.buf(BufRole::Pos), &p)?;
        let mut t = [0u8; 16];
        t[..4].copy_from_slice(&token.to_le_bytes());
        self.backend.upload(self.buf(BufRole::Token), &t)
    }

    /// Queue one step (no wait).
    pub fn step(&mut self) -> Result<()> {
        self.backend.replay(self.replay)
    }

    /// The logits of the last step (waits for it).
    pub fn logits(&mut self) -> Result<Vec<f32>> {
        let n = self.plan.config.n_vocab;
        let mut b = vec![0u8; 4 * n];
        self.backend.download(self.buf(BufRole::Logits), &mut b)?;
        Ok(b.chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    /// The token the last step's argmax chose (waits for it).
    pub fn next_token(&mut self) -> Result<u32> {
        let mut b = [0u8; 16];
        self.backend.download(self.buf(BufRole::Token), &mut b)?;
        Ok(u32s(&b)[0])
    }

    /// history[from..from + n]: the tokens the chained steps chose (waits).
    pub fn history(&mut self, from: usize, n: usize) -> Result<Vec<u32>> {
        let buf = self.buf(BufRole::History);
        let mut b = vec![0u8; buf.size_b as usize];
        self.backend.download(buf, &mut b)?;
        let all = u32s(&b);
        all.get(from..from + n).map(|s| s.to_vec()).ok_or_else(|| {
            Error::Usage(format!(
                "history {from}..{} is past the {} recorded positions",
                from + n,
                all.len()
            ))
        })
    }

    /// Checks that `prompt.len() + n_gen` positions fit the cache and every prompt id the vocab.
    pub fn check_run(&self, prompt: &[u32], n_gen: usize) -> Result<()> {
        if prompt.is_empty() {
            return Err(Error::Usage("the prompt needs at least one token".into()));
        }
        let total = prompt.len() + n_gen;
        if total > self.plan.options.max_ctx {
            return Err(Error::Usage(format!(
                "{} prompt + {n_gen} generated positions do not fit the KV cache of {}",
                prompt.len(),
                self.plan.options.max_ctx
            )));
        }
        Ok(())
    }

    /// Greedy decode: the prompt one step per position (token uploaded each time), then `n_gen`
    /// chained replays with a timing mark between each and no host wait until the end.
    pub fn run_timed(&mut self, prompt: &[u32], n_gen: usize) -> Result<TimedRun> {
        self.run_timed_chained(prompt, n_gen, 1)
    }

    /// As `run_timed`, with the generated tokens queued `k` at a time as one replay of the step
    /// repeated k times (the tokens chain on the GPU: each step reads the token and position the
    /// previous one wrote), and a mark only between groups; a last partial group runs one
    /// replay per token. Saves the per-replay submission gap between the tokens of a group.
    pub fn run_timed_chained(
        &mut self,
        prompt: &[u32],
        n_gen: usize,
        k: usize,
    ) -> Result<TimedRun> {
        self.check_run(prompt, n_gen)?;
        let k = k.clamp(1, n_gen.max(1));
        let group = if k > 1 {
            match self.replay_k {
                Some((built, id)) if built == k => Some(id),
                _ => {
                    let repeated: Vec<Launch> =
                        (0..k).flat_map(|_| self.launches.clone()).collect();
                    let id = self.backend.build_replay(&repeated)?;
                    self.replay_k = Some((k, id));
                    Some(id)
                }
            }
        } else {
            None
        };
        crate::bench::timing::warm_clocks(self.backend.as_mut())?;
        self.warm_steps(prompt[0])?;
        let t0 = std::time::Instant::now();
        for (pos, &tok) in prompt.iter().enumerate() {
            self.set_input(pos, tok)?;
            self.step()?;
        }
        self.backend.sync()?;
        let prompt_ns = t0.elapsed().as_nanos() as f64;
        self.backend.clear_marks();
        // sizes[i]: the tokens between marks i and i + 1
        let mut marks = Vec::with_capacity(n_gen + 1);
        let mut sizes = Vec::with_capacity(n_gen);
        marks.push(self.backend.mark()?);
        let mut left = n_gen;
        while left > 0 {
            match group {
                Some(id) if left >= k => {
                    self.backend.replay(id)?;
                    sizes.push(k);
                    left -= k;
                }
                _ => {
                    self.step()?;
                    sizes.push(1);
                    left -= 1;
                }
            }
            marks.push(self.backend.mark()?);
        }
        self.backend.sync()?;
        let mut gen_ns = Vec::with_capacity(n_gen);
        for (w, &n) in marks.windows(2).zip(&sizes) {
            let ns = self.backend.elapsed_ns(w[0], w[1])?;
            gen_ns.extend(std::iter::repeat_n(ns / n as f64, n));
        }
        self.backend.clear_marks();
        let generated = self.history(prompt.len(), n_gen)?;
        Ok(TimedRun {
            prompt: prompt.to_vec(),
            generated,
            gen_ns,
            prompt_ns,
            tokens_per_replay: k,
        })
    }

    /// Once per decoder, untimed steps for `KERNLAB_DECODE_WARMUP_MS` (default 200 ms; 0: none)
    /// from position 0 with `token`, in chains of at most 64 positions. Why: warm_clocks' spin
    /// kernel holds the SM clocks up but reads no memory, and the first nv decode on a machine
    /// fresh from idle ran most of its 64 tokens at 2.4 ms instead of 0.73
    /// (docs/device-logs/s8/probe14.log); the step itself loads both. The timed run starts
    /// again from position 0, so what these steps write (KV rows, history) is overwritten.
    fn warm_steps(&mut self, token: u32) -> Result<()> {
        if self.warmed {
            return Ok(());
        }
        self.warmed = true;
        let ms = crate::bench::timing::env_ms("KERNLAB_DECODE_WARMUP_MS", 200);
        let chain = 64.min(self.plan.options.max_ctx.saturating_sub(1));
        let t0 = std::time::Instant::now();
        while chain > 0 && t0.elapsed().as_millis() < ms as u128 {
            self.set_input(0, token)?;
            for _ in 0..chain {
                self.step()?;
            }
            self.backend.sync()?;
        }
        Ok(())
    }

    /// Rebuild the step's replay so that it records when each of its grids completes
    /// (`decode --timeline`); an error on a backend that cannot (only nv can).
    pub fn time_grids(&mut self) -> Result<()> {
        if !self.backend.time_replay_grids() {
            return Err(Error::Unsupported(format!(
                "--timeline needs per-grid completion times inside a replay, which only the nv backend records (this is {})",
                self.backend.info().backend
            )));
        }
        // The first replay stays allocated (a few hundred KB); the step uses the new one.
        self.replay = self.backend.build_replay(&self.launches)?;
        Ok(())
    }

    /// Each launch's share of one pipelined step (after [`GpuDecoder::time_grids`]): `runs`
    /// replays at position `pos` with `token`, each followed by a wait; per launch, the median
    /// over the runs of the time from the previous grid's completion to its own (the first:
    /// from the mark before the replay, so it also holds the replay's start). In launch order.
    pub fn timeline(&mut self, pos: usize, token: u32, runs: usize) -> Result<Vec<KernelTime>> {
        let n = self.launches.len();
        let mut deltas: Vec<Vec<f64>> = vec![Vec::with_capacity(runs); n];
        for _ in 0..runs.max(1) {
            self.set_input(pos, token)?;
            self.backend.clear_marks();
            let from = self.backend.mark()?;
            self.backend.replay(self.replay)?;
            let to = self.backend.mark()?;
            self.backend.sync()?;
            let total = self.backend.elapsed_ns(from, to)?;
            let ends = self.backend.grid_end_times(self.replay)?.ok_or_else(|| {
                Error::Unsupported("--timeline: the replay recorded no grid times".into())
            })?;
            if ends.len() != n {
                return Err(Error::Unsupported(format!(
                    "--timeline: {} grid times for {n} launches",
                    ends.len()
                )));
            }
            // The grids' span, and before it what the replay took to its first completion.
            let span = ends[n - 1].saturating_sub(ends[0]) as f64;
            deltas[0].push((total - span).max(0.0));
            for i in 1..n {
                deltas[i].push(ends[i].saturating_sub(ends[i - 1]) as f64);
            }
        }
        self.backend.clear_marks();
        let n_ctx = pos as u64 + 1;
        Ok(self
            .plan
            .launches
            .iter()
            .zip(deltas)
            .map(|(pl, d)| KernelTime {
                label: pl.label.clone(),
                entry: pl.kernel.entry,
                elapsed_ns: crate::stats::summarize(&d).median,
                bytes: pl.bytes_at(n_ctx),
            })
            .collect())
    }

    /// Time each launch of one step on its own (mark, launch, mark) at position `pos` with
    /// `token`; sorted slowest first. The step's state is what the launches leave.
    pub fn profile(&mut self, pos: usize, token: u32) -> Result<Vec<KernelTime>> {
        self.set_input(pos, token)?;
        self.backend.clear_marks();
        let mut marks = Vec::with_capacity(self.launches.len() + 1);
        marks.push(self.backend.mark()?);
        for l in &self.launches {
            self.backend.launch(l)?;
            marks.push(self.backend.mark()?);
        }
        self.backend.sync()?;
        let n_ctx = pos as u64 + 1;
        let mut out = Vec::with_capacity(self.launches.len());
        for (i, pl) in self.plan.launches.iter().enumerate() {
            out.push(KernelTime {
                label: pl.label.clone(),
                entry: pl.kernel.entry,
                elapsed_ns: self.backend.elapsed_ns(marks[i], marks[i + 1])?,
                bytes: pl.bytes_at(n_ctx),
            });
        }
        self.backend.clear_marks();
        out.sort_by(|a, b| b.elapsed_ns.total_cmp(&a.elapsed_ns));
        Ok(out)
    }
}
