//! Loading a model: config from metadata, every tensor dequantized once into f32, dims checked
//! against the config (a transposed square matrix has the right length but the wrong dims).

use super::model::CpuModel;
use super::weights::Weights;
use crate::models::{MetaSource, ModelConfig};
use crate::{Error, Result};

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
    /// every tensor the forward pass uses into f32, checks dims and lengths.
    pub fn load_from(src: &dyn MetaSource, threads: usize) -> Result<CpuModel> {
        let config = ModelConfig::from_meta(src)?;
        let weights = Weights::from_named(&config, |name| {
            let Some(dims) = src.tensor_dims(name) else {
                return Ok(None);
            };
            let want = expected_dims(&config, name).unwrap_or_default();
            // Trailing 1s are the same shape (some writers pad dims).
            let trimmed: Vec<u64> = {
                let mut d = dims.clone();
                while d.len() > want.len() && d.last() == Some(&1) {
                    d.pop();
                }
                d
            };
            if trimmed != want {
                return Err(Error::Model(format!(
                    "{}: tensor {name} has dims {dims:?}, want {want:?}",
                    src.source_name()
                )));
            }
            src.tensor_f32(name).map(Some)
        })?;
        let mut m = CpuModel::from_weights(config, weights)?;
        m.set_threads(threads);
        Ok(m)
    }
}

impl CpuModel {
    /// Loads a GGUF file: config from its metadata, every tensor dequantized once into f32, using
    /// `threads` workers per matvec.
    pub fn load(path: &std::path::Path, threads: usize) -> Result<CpuModel> {
        // The header reader of `models` (until the full `crate::gguf` reader exists): mmapped,
        // every offset checked against the file size.
        let file = crate::models::synth::HeaderSource::open(path)?;
        CpuModel::load_from(&file, threads)
    }
}
