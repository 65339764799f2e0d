//! `CpuModel`: one position at a time through every layer, in f32, against a KV cache.

use super::attention::attend;
use super::kv_cache::KvCache;
use super::matvec::matvec;
use super::ops::{
    add_inplace, argmax, rmsnorm, rmsnorm_inplace, rope_head, swiglu_inplace, RopeAngles,
};
use super::rounding::{Exact, Matrix, Rounding};
use super::weights::Weights;
use crate::models::ModelConfig;
use crate::{Error, Result};

/// A model ready to decode on the CPU: config, f32 weights, worker count and scratch buffers.
pub struct CpuModel {
    pub config: ModelConfig,
    pub weights: Weights,
    threads: usize,
    scratch: Scratch,
}

/// The activations of one position, allocated once.
struct Scratch {
    x: Vec<f32>,
    xn: Vec<f32>,
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    att: Vec<f32>,
    proj: Vec<f32>,
    gate: Vec<f32>,
    up: Vec<f32>,
    scores: Vec<f32>,
}

impl Scratch {
    fn new(c: &ModelConfig) -> Scratch {
        Scratch {
            x: vec![0.0; c.n_embd],
            xn: vec![0.0; c.n_embd],
            q: vec![0.0; c.q_dim()],
            k: vec![0.0; c.kv_dim()],
            v: vec![0.0; c.kv_dim()],
            att: vec![0.0; c.q_dim()],
            proj: vec![0.0; c.n_embd],
            gate: vec![0.0; c.n_ff],
            up: vec![0.0; c.n_ff],
            scores: Vec::new(),
        }
    }
}

/// Which part of [`CpuModel::generate`] a step belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// A prompt token was processed.
    Prompt,
    /// A generated token (argmax of the previous position's logits) was processed.
    Generate,
}

/// What [`CpuModel::generate`] reports after each processed position.
pub struct Step<'a> {
    pub phase: Phase,
    pub pos: usize,
    /// The token processed at `pos`.
    pub token: u32,
    /// The logits this position produced (the prediction for position pos + 1).
    pub logits: &'a [f32],
    /// Wall time of this position's forward pass.
    pub elapsed_ns: u64,
}

impl CpuModel {
    /// A model from in-memory weights (tests, synthetic shapes); one worker thread until
    /// [`CpuModel::set_threads`]. Errors name the tensor whose shape does not fit `config`.
    pub fn from_weights(config: ModelConfig, weights: Weights) -> Result<CpuModel> {
        weights.check(&config)?;
        let scratch = Scratch::new(&config);
        Ok(CpuModel {
            config,
            weights,
            threads: 1,
            scratch,
        })
    }

    /// Worker threads per matvec (at least 1).
    pub fn set_threads(&mut self, threads: usize) {
        self.threads = threads.max(1);
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    /// A cache for `capacity` positions of this model.
    pub fn new_cache(&self, capacity: usize) -> KvCache {
        KvCache::new(&self.config, capacity)
    }

    /// Processes `token` at position `pos` (at most `cache.len()`: positions are processed in
    /// order, or an earlier one is overwritten), stores its K/V in `cache` and writes the next-token
    /// logits (n_vocab values). Bad ids, positions past the cache and wrong sizes are errors.
    pub fn forward(
        &mut self,
        token: u32,
        pos: usize,
        cache: &mut KvCache,
        logits: &mut [f32],
    ) -> Result<()> {
        self.forward_rounded(token, pos, cache, logits, &Exact)
    }

    /// [`CpuModel::forward`] with `r` deciding how K/V are stored and how each matrix is
    /// applied (see [`Rounding`]).
    pub fn forward_rounded(
        &mut self,
        token: u32,
        pos: usize,
        cache: &mut KvCache,
        logits: &mut [f32],
        r: &dyn Rounding,
    ) -> Result<()> {
        self.check_step(token, pos, cache, logits)?;
        let c = &self.config;
        let w = &self.weights;
        let s = &mut self.scratch;
        let threads = self.threads;
        let (e, d) = (c.n_embd, c.head_dim);
        let n_pos = pos + 1;
        if s.scores.len() < n_pos {
            s.scores.resize(n_pos, 0.0);
        }
        let angles = RopeAngles::new(pos, c.rope_dim, c.rope_theta, c.rope_freqs.as_deref());

        let t = token as usize;
        let mv = |layer: usize, m: Matrix, y: &mut [f32], w: &[f32], x: &[f32]| {
            if !r.matvec(layer, m, y, w, x, threads) {
                matvec(y, w, x, threads);
            }
        };
        s.x.copy_from_slice(&w.token_embd[t * e..(t + 1) * e]);
        for (il, l) in w.layers.iter().enumerate() {
            rmsnorm(&mut s.xn, &s.x, &l.attn_norm, c.rms_eps);
            mv(il, Matrix::AttnQ, &mut s.q, &l.attn_q, &s.xn);
            mv(il, Matrix::AttnK, &mut s.k, &l.attn_k, &s.xn);
            mv(il, Matrix::AttnV, &mut s.v, &l.attn_v, &s.xn);
            for qh in s.q.chunks_exact_mut(d) {
                if let Some(nw) = &l.attn_q_norm {
                    rmsnorm_inplace(qh, nw, c.rms_eps);
                }
                rope_head(qh, &angles, c.rope_style);
            }
            for kh in s.k.chunks_exact_mut(d) {
                if let Some(nw) = &l.attn_k_norm {
                    rmsnorm_inplace(kh, nw, c.rms_eps);
                }
                rope_head(kh, &angles, c.rope_style);
            }
            r.store_kv(&mut s.k);
            r.store_kv(&mut s.v);
            let kv = cache.kv_dim;
            cache.k[il][pos * kv..(pos + 1) * kv].copy_from_slice(&s.k);
            cache.v[il][pos * kv..(pos + 1) * kv].copy_from_slice(&s.v);
            attend(
                &mut s.att,
                &s.q,
                &cache.k[il],
                &cache.v[il],
                n_pos,
                c.n_head,
                c.n_head_kv,
                d,
                &mut s.scores,
            );
            mv(il, Matrix::AttnOutput, &mut s.proj, &l.attn_output, &s.att);
            add_inplace(&mut s.x, &s.proj);

            rmsnorm(&mut s.xn, &s.x, &l.ffn_norm, c.rms_eps);
            mv(il, Matrix::FfnGate, &mut s.gate, &l.ffn_gate, &s.xn);
            mv(il, Matrix::FfnUp, &mut s.up, &l.ffn_up, &s.xn);
            swiglu_inplace(&mut s.gate, &s.up);
            mv(il, Matrix::FfnDown, &mut s.proj, &l.ffn_down, &s.gate);
            add_inplace(&mut s.x, &s.proj);
        }
        rmsnorm(&mut s.xn, &s.x, &w.output_norm, c.rms_eps);
        let head = w.output.as_deref().unwrap_or(&w.token_embd);
        mv(0, Matrix::Head, logits, head, &s.xn);
        cache.set_len(n_pos);
        Ok(())
    }

    fn check_step(&self, token: u32, pos: usize, cache: &KvCache, logits: &[f32]) -> Result<()> {
        let c = &self.config;
        if token as usize >= c.n_vocab {
            return Err(Error::Usage(format!(
                "token id {token} is outside the vocabulary (n_vocab {})",
                c.n_vocab
            )));
        }
        if pos >= cache.capacity() {
            return Err(Error::Usage(format!(
                "position {pos} is past the context (the KV cache holds {} positions)",
                cache.capacity()
            )));
        }
        if pos > cache.len() {
            return Err(Error::Usage(format!(
                "position {pos} skips positions: only {} are in the KV cache",
                cache.len()
            )));
        }
        if cache.n_layer() != c.n_layer || cache.kv_dim != c.kv_dim() {
            return Err(Error::Usage(format!(
                "the KV cache was made for {} layers of {} K/V values, the model has {} of {}",
                cache.n_layer(),
                cache.kv_dim,
                c.n_layer,
                c.kv_dim()
            )));
        }
        if logits.len() != c.n_vocab {
            return Err(Error::Usage(format!(
                "logits buffer has {} values, want n_vocab {}",
                logits.len(),
                c.n_vocab
            )));
        }
        Ok(())
    }

    /// Greedy decode from position 0: processes `prompt` one position at a time, then `n_gen`
    /// generated tokens, each the argmax (lowest id on ties) of the previous position's logits and
    /// then processed itself, so `prompt.len() + n_gen` positions run. Calls `on_step` after each
    /// position; returns the generated ids. The cache is cleared first and must hold every position.
    pub fn generate(
        &mut self,
        prompt: &[u32],
        n_gen: usize,
        cache: &mut KvCache,
        mut on_step: impl FnMut(&Step) -> Result<()>,
    ) -> Result<Vec<u32>> {
        if prompt.is_empty() {
            return Err(Error::Usage("the prompt needs at least one token".into()));
        }
        let total = prompt.len() + n_gen;
        if total > cache.capacity() {
            return Err(Error::Usage(format!(
                "{} prompt + {n_gen} generated positions do not fit a KV cache of {}",
                prompt.len(),
                cache.capacity()
            )));
        }
        cache.clear();
        let mut logits = vec![0.0f32; self.config.n_vocab];
        let mut generated = Vec::with_capacity(n_gen);
        for pos in 0..total {
            let (phase, token) = if pos < prompt.len() {
                (Phase::Prompt, prompt[pos])
            } else {
                let next = argmax(&logits).ok_or_else(|| {
                    Error::Check(format!("every logit at position {} is NaN", pos - 1))
                })?;
                generated.push(next as u32);
                (Phase::Generate, next as u32)
            };
            let t0 = std::time::Instant::now();
            self.forward(token, pos, cache, &mut logits)?;
            let elapsed_ns = t0.elapsed().as_nanos() as u64;
            on_step(&Step {
                phase,
                pos,
                token,
                logits: &logits,
                elapsed_ns,
            })?;
        }
        Ok(generated)
    }
}
