//! Assembling [`Weights`] from tensors looked up by their GGUF names (models-and-quants.md §1).

use super::weights::{LayerWeights, Weights};
use crate::models::ModelConfig;
use crate::{Error, Result};

impl Weights {
    /// Builds the weights from `get(name)`, which returns a tensor's values in GGUF order (ne[0]
    /// fastest, so a matrix is row-major `[rows, cols]`) or None when the file has no such tensor.
    /// Optional tensors (attn_q_norm/attn_k_norm, output.weight) are read as the config says;
    /// every shape is then checked.
    pub fn from_named(
        config: &ModelConfig,
        mut get: impl FnMut(&str) -> Result<Option<Vec<f32>>>,
    ) -> Result<Weights> {
        let mut need = |name: &str| -> Result<Vec<f32>> {
            get(name)?.ok_or_else(|| Error::Model(format!("tensor {name} is missing")))
        };
        let token_embd = need("token_embd.weight")?;
        let output_norm = need("output_norm.weight")?;
        let output = if config.tied_embeddings {
            None
        } else {
            Some(need("output.weight")?)
        };
        let mut layers = Vec::with_capacity(config.n_layer);
        for i in 0..config.n_layer {
            let mut t = |n: &str| need(&format!("blk.{i}.{n}.weight"));
            let (attn_q_norm, attn_k_norm) = if config.qk_norm {
                (Some(t("attn_q_norm")?), Some(t("attn_k_norm")?))
            } else {
                (None, None)
            };
            layers.push(LayerWeights {
                attn_norm: t("attn_norm")?,
                attn_q: t("attn_q")?,
                attn_k: t("attn_k")?,
                attn_v: t("attn_v")?,
                attn_q_norm,
                attn_k_norm,
                attn_output: t("attn_output")?,
                ffn_norm: t("ffn_norm")?,
                ffn_gate: t("ffn_gate")?,
                ffn_up: t("ffn_up")?,
                ffn_down: t("ffn_down")?,
            });
        }
        let w = Weights {
            token_embd,
            layers,
            output_norm,
            output,
        };
        w.check(config)?;
        Ok(w)
    }
}
