//! The model's tensors as plain f32 arrays (every quant type is dequantized once at load), and the
//! shape check that makes every later slice index in the forward pass in bounds.

use crate::models::ModelConfig;
use crate::{Error, Result};

/// One transformer block. Matrices are row-major `[rows, cols]` (GGUF ne = [cols, rows]):
/// y = W·x is one dot product per row.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerWeights {
    /// [n_embd]
    pub attn_norm: Vec<f32>,
    /// [q_dim, n_embd]
    pub attn_q: Vec<f32>,
    /// [kv_dim, n_embd]
    pub attn_k: Vec<f32>,
    /// [kv_dim, n_embd]
    pub attn_v: Vec<f32>,
    /// [head_dim], Qwen3 only
    pub attn_q_norm: Option<Vec<f32>>,
    /// [head_dim], Qwen3 only
    pub attn_k_norm: Option<Vec<f32>>,
    /// [n_embd, q_dim]
    pub attn_output: Vec<f32>,
    /// [n_embd]
    pub ffn_norm: Vec<f32>,
    /// [n_ff, n_embd]
    pub ffn_gate: Vec<f32>,
    /// [n_ff, n_embd]
    pub ffn_up: Vec<f32>,
    /// [n_embd, n_ff]
    pub ffn_down: Vec<f32>,
}

/// All tensors of a model in f32.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    /// [n_vocab, n_embd]: one row per token.
    pub token_embd: Vec<f32>,
    pub layers: Vec<LayerWeights>,
    /// [n_embd]
    pub output_norm: Vec<f32>,
    /// [n_vocab, n_embd]; None when the embeddings are tied (LM head = token_embd).
    pub output: Option<Vec<f32>>,
}

impl Weights {
    /// Bytes of f32 weights read per token: every matrix once plus one embedding row.
    pub fn bytes_per_token(&self, config: &ModelConfig) -> u64 {
        let mut n = config.n_embd as u64; // the embedding row
        for l in &self.layers {
            n += (l.attn_norm.len()
                + l.attn_q.len()
                + l.attn_k.len()
                + l.attn_v.len()
                + l.attn_q_norm.as_ref().map_or(0, Vec::len)
                + l.attn_k_norm.as_ref().map_or(0, Vec::len)
                + l.attn_output.len()
                + l.ffn_norm.len()
                + l.ffn_gate.len()
                + l.ffn_up.len()
                + l.ffn_down.len()) as u64;
        }
        n += self.output_norm.len() as u64;
        n += self.output.as_ref().unwrap_or(&self.token_embd).len() as u64;
        n * 4
    }

    /// Checks every tensor's length against the config; the error names the tensor.
    pub fn check(&self, c: &ModelConfig) -> Result<()> {
        check_config(c)?;
        let (e, q, kv, ff, v) = (c.n_embd, c.q_dim(), c.kv_dim(), c.n_ff, c.n_vocab);
        want("token_embd.weight", self.token_embd.len(), v * e)?;
        want("output_norm.weight", self.output_norm.len(), e)?;
        match (&self.output, c.tied_embeddings) {
            (Some(o), false) => want("output.weight", o.len(), v * e)?,
            (None, true) => {}
            (Some(_), true) => {
                return Err(Error::Model(
                    "output.weight is present but the config says the embeddings are tied".into(),
                ))
            }
            (None, false) => return Err(Error::Model("output.weight is missing".into())),
        }
        if self.layers.len() != c.n_layer {
            return Err(Error::Model(format!(
                "{} layers of weights for a config of {} layers",
                self.layers.len(),
                c.n_layer
            )));
        }
        for (i, l) in self.layers.iter().enumerate() {
            let n = |t: &str| format!("blk.{i}.{t}.weight");
            want(&n("attn_norm"), l.attn_norm.len(), e)?;
            want(&n("attn_q"), l.attn_q.len(), q * e)?;
            want(&n("attn_k"), l.attn_k.len(), kv * e)?;
            want(&n("attn_v"), l.attn_v.len(), kv * e)?;
            want(&n("attn_output"), l.attn_output.len(), e * q)?;
            want(&n("ffn_norm"), l.ffn_norm.len(), e)?;
            want(&n("ffn_gate"), l.ffn_gate.len(), ff * e)?;
            want(&n("ffn_up"), l.ffn_up.len(), ff * e)?;
            want(&n("ffn_down"), l.ffn_down.len(), e * ff)?;
            for (name, t) in [
                ("attn_q_norm", &l.attn_q_norm),
                ("attn_k_norm", &l.attn_k_norm),
            ] {
                match (t, c.qk_norm) {
                    (Some(t), true) => want(&n(name), t.len(), c.head_dim)?,
                    (None, false) => {}
                    (None, true) => return Err(Error::Model(format!("{} is missing", n(name)))),
                    (Some(_), false) => {
                        return Err(Error::Model(format!(
                            "{} is present but the config has no q/k norm",
                            n(name)
                        )))
                    }
                }
            }
        }
        Ok(())
    }
}

/// The config values the forward pass divides by or indexes with.
pub fn check_config(c: &ModelConfig) -> Result<()> {
    let bad = |m: String| Err(Error::Model(m));
    if c.n_embd == 0 || c.n_head == 0 || c.n_head_kv == 0 || c.head_dim == 0 || c.n_vocab == 0 {
        return bad(format!(
            "zero dimension (n_embd {}, n_head {}, n_head_kv {}, head_dim {}, n_vocab {})",
            c.n_embd, c.n_head, c.n_head_kv, c.head_dim, c.n_vocab
        ));
    }
    if !c.n_head.is_multiple_of(c.n_head_kv) {
        return bad(format!(
            "n_head {} is not a multiple of n_head_kv {}",
            c.n_head, c.n_head_kv
        ));
    }
    if c.rope_dim > c.head_dim || !c.rope_dim.is_multiple_of(2) {
        return bad(format!(
            "rope dimension {} must be even and at most head_dim {}",
            c.rope_dim, c.head_dim
        ));
    }
    if let Some(ff) = &c.rope_freqs {
        if ff.len() != c.rope_dim / 2 {
            return bad(format!(
                "rope_freqs has {} values, want rope_dim/2 = {}",
                ff.len(),
                c.rope_dim / 2
            ));
        }
    }
    Ok(())
}

fn want(name: &str, got: usize, expected: usize) -> Result<()> {
    if got == expected {
        Ok(())
    } else {
        Err(Error::Model(format!(
            "{name} has {got} values, want {expected}"
        )))
    }
}
