//! A timed greedy decode run: the prompt one position at a time, then generated tokens, with
//! per-position times and (optionally) every position's logits streamed to a writer.

use super::model::{CpuModel, Phase};
use crate::stats::{summarize, Summary};
use crate::{Error, Result};
use std::io::Write;

/// The outcome of [`decode_run`].
#[derive(Debug, Clone)]
pub struct DecodeReport {
    pub prompt: Vec<u32>,
    pub generated: Vec<u32>,
    /// Forward time of each prompt position.
    pub prompt_ns: Vec<u64>,
    /// Forward time of each generated position.
    pub gen_ns: Vec<u64>,
}

impl DecodeReport {
    /// Prompt tokens per second over the whole prompt.
    pub fn prefill_tok_s(&self) -> f64 {
        let total: u64 = self.prompt_ns.iter().sum();
        self.prompt_ns.len() as f64 * 1e9 / total.max(1) as f64
    }

    /// The timed generated positions: all but the first (a warm-up: caches, page faults), unless
    /// only one was generated.
    pub fn timed_gen_ns(&self) -> &[u64] {
        if self.gen_ns.len() > 1 {
            &self.gen_ns[1..]
        } else {
            &self.gen_ns
        }
    }

    /// ms/token over [`DecodeReport::timed_gen_ns`]; None when nothing was generated.
    pub fn gen_ms(&self) -> Option<Summary> {
        let t = self.timed_gen_ns();
        if t.is_empty() {
            return None;
        }
        let ms: Vec<f64> = t.iter().map(|&ns| ns as f64 / 1e6).collect();
        Some(summarize(&ms))
    }
}

/// Runs `prompt` then `n_gen` greedy tokens from position 0 (see [`CpuModel::generate`]).
/// When `dump` is given, each processed position's logits are written to it as n_vocab
/// little-endian f32, in position order: prompt positions first, then generated positions.
/// `progress(done, total)` is called after every position.
pub fn decode_run(
    model: &mut CpuModel,
    prompt: &[u32],
    n_gen: usize,
    mut dump: Option<&mut dyn Write>,
    dump_name: &str,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<DecodeReport> {
    let total = prompt.len() + n_gen;
    let mut cache = model.new_cache(total);
    let mut prompt_ns = Vec::with_capacity(prompt.len());
    let mut gen_ns = Vec::with_capacity(n_gen);
    let mut bytes = Vec::new();
    let generated = model.generate(prompt, n_gen, &mut cache, |s| {
        match s.phase {
            Phase::Prompt => prompt_ns.push(s.elapsed_ns),
            Phase::Generate => gen_ns.push(s.elapsed_ns),
        }
        if let Some(w) = dump.as_mut() {
            bytes.clear();
            bytes.extend(s.logits.iter().flat_map(|v| v.to_le_bytes()));
            w.write_all(&bytes).map_err(|e| Error::io(dump_name, e))?;
        }
        progress(s.pos + 1, total);
        Ok(())
    })?;
    if let Some(w) = dump {
        w.flush().map_err(|e| Error::io(dump_name, e))?;
    }
    Ok(DecodeReport {
        prompt: prompt.to_vec(),
        generated,
        prompt_ns,
        gen_ns,
    })
}
