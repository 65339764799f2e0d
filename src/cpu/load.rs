//! Loading a model: config from metadata, every tensor dequantized once into f32, dims checked
//! against the config (a transposed square matrix has the right length but the wrong dims).

use super::model::CpuModel;
use super::weights::Weights;
use crate::models::{MetaSource, ModelConfig};
use crate::{Error, Result};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The ne-order dims (fast axis first) a tensor must have, or None for a name this decoder does
/// not read.
pub fn expected_dims(c: &ModelConfig, name: &str) -> Option<Vec<u64>> {
    let (e, q, kv, ff, v, d) = (
        c.n_embd as u64,
        c.q_dim() as u64,
        c.kv_dim() as u64,
        c.n_ff as u64,
        c.n_vocab as u64,
        c.head_dim as u64,
    );
    let dims = match name {
        "token_embd.weight" | "output.weight" => vec![e, v],
        "output_norm.weight" => vec![e],
        _ => {
            let rest = name.strip_prefix("blk.")?;
            let (_, t) = rest.split_once('.')?;
            match t {
                "attn_norm.weight" | "ffn_norm.weight" => vec![e],
                "attn_q.weight" => vec![e, q],
                "attn_k.weight" | "attn_v.weight" => vec![e, kv],
                "attn_q_norm.weight" | "attn_k_norm.weight" => vec![d],
                "attn_output.weight" => vec![q, e],
                "ffn_gate.weight" | "ffn_up.weight" => vec![e, ff],
                "ffn_down.weight" => vec![ff, e],
                _ => return None,
            }
        }
    };
    Some(dims)
}

impl CpuModel {
    /// A model from any metadata/tensor source (a GGUF file): reads the config, dequantizes
    /// every tensor the forward pass uses into f32 on `threads` workers, checks dims and lengths.
    pub fn load_from(src: &(dyn MetaSource + Sync), threads: usize) -> Result<CpuModel> {
        let config = ModelConfig::from_meta(src)?;
        let mut loaded = dequantize_all(src, &config, threads)?;
        let weights = Weights::from_named(&config, |name| Ok(loaded.remove(name)))?;
        let mut m = CpuModel::from_weights(config, weights)?;
        m.set_threads(threads);
        Ok(m)
    }
}

impl CpuModel {
    /// Loads a GGUF file: config from its metadata, every tensor dequantized once into f32, using
    /// `threads` workers per matvec.
    pub fn load(path: &std::path::Path, threads: usize) -> Result<CpuModel> {
        // Zero-copy over memmap2; every offset was checked when the file was opened.
        let file = crate::gguf::GgufFile::open(path)?;
        CpuModel::load_from(&file, threads)
    }
}

/// The names of every tensor the forward pass can read, for `c`'s layer count.
fn tensor_names(c: &ModelConfig) -> Vec<String> {
    let mut names: Vec<String> = ["token_embd.weight", "output_norm.weight", "output.weight"]
        .map(String::from)
        .to_vec();
    names.extend(c.layer_tensor_names());
    names
}

/// Dequantizes every present tensor of [`tensor_names`] after checking its dims, tensors shared
/// out to `threads` workers (dequantizing and first-touching 5 GB of f32 is most of a 1B load).
fn dequantize_all(
    src: &(dyn MetaSource + Sync),
    c: &ModelConfig,
    threads: usize,
) -> Result<HashMap<String, Vec<f32>>> {
    let mut present = Vec::new();
    for name in tensor_names(c) {
        let Some(dims) = src.tensor_dims(&name) else {
            continue;
        };
        let want = expected_dims(c, &name).unwrap_or_default();
        // Trailing 1s are the same shape (some writers pad dims).
        let mut trimmed = dims.clone();
        while trimmed.len() > want.len() && trimmed.last() == Some(&1) {
            trimmed.pop();
        }
        if trimmed != want {
            return Err(Error::Model(format!(
                "{}: tensor {name} has dims {dims:?}, want {want:?}",
                src.source_name()
            )));
        }
        present.push(name);
    }
    let next = AtomicUsize::new(0);
    let out = Mutex::new(HashMap::new());
    let first_err = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..threads.clamp(1, present.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(name) = present.get(i) else { break };
                match src.tensor_f32(name) {
                    Ok(v) => {
                        out.lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert(name.clone(), v);
                    }
                    Err(e) => {
                        first_err
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .get_or_insert(e);
                        next.store(present.len(), Ordering::Relaxed);
                    }
                }
            });
        }
    });
    if let Some(e) = first_err.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    Ok(out.into_inner().unwrap_or_else(|p| p.into_inner()))
}
