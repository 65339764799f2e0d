//! Random tiny models held in memory (no GGUF needed): tensors by GGUF name, the matching
//! `ModelConfig` for the decoder and `RefParams` for the reference.
#![allow(dead_code)]

use super::{RefModel, RefParams};
use kernlab::models::{Arch, ModelConfig, RopeStyle};
use std::collections::HashMap;

/// splitmix64: a small deterministic generator for test data.
pub struct TestRng(u64);

impl TestRng {
    pub fn new(seed: u64) -> TestRng {
        TestRng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    pub fn sym(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f64 / (1u64 << 24) as f64 * 2.0 - 1.0) as f32
    }
}

/// A tiny LLaMA-3-shaped config: GQA 2, rope_freqs divisors, tied embeddings.
pub fn llama_config() -> ModelConfig {
    ModelConfig {
        arch: Arch::Llama,
        n_embd: 64,
        n_layer: 3,
        n_head: 4,
        n_head_kv: 2,
        head_dim: 16,
        n_ff: 96,
        n_vocab: 200,
        n_ctx_train: 64,
        rope_theta: 500000.0,
        rope_dim: 16,
        rope_style: RopeStyle::Norm,
        rms_eps: 1e-5,
        qk_norm: false,
        tied_embeddings: true,
        rope_freqs: Some(vec![1.0, 1.0, 1.0, 1.5, 2.5, 5.0, 8.0, 8.0]),
        bos_token: Some(1),
        eos_token: Some(2),
        add_bos: true,
    }
}

/// A tiny Qwen3-shaped config: q/k norm, Neox rope, n_head·head_dim (128) ≠ n_embd (64), GQA 2,
/// untied output.
pub fn qwen3_config() -> ModelConfig {
    ModelConfig {
        arch: Arch::Qwen3,
        n_embd: 64,
        n_layer: 3,
        n_head: 4,
        n_head_kv: 2,
        head_dim: 32,
        n_ff: 80,
        n_vocab: 150,
        n_ctx_train: 64,
        rope_theta: 1e6,
        rope_dim: 32,
        rope_style: RopeStyle::Neox,
        rms_eps: 1e-6,
        qk_norm: true,
        tied_embeddings: false,
        rope_freqs: None,
        bos_token: None,
        eos_token: Some(2),
        add_bos: false,
    }
}

/// Random tensors for `c` by GGUF name: matrices scaled so activations stay O(1) and attention is
/// far from uniform; norm weights around 1.
pub fn random_tensors(c: &ModelConfig, seed: u64) -> HashMap<String, Vec<f32>> {
    let mut rng = TestRng::new(seed);
    let mut t = HashMap::new();
    let mat = |rng: &mut TestRng, rows: usize, cols: usize, gain: f32| -> Vec<f32> {
        let a = gain * (3.0 / cols as f32).sqrt();
        (0..rows * cols).map(|_| a * rng.sym()).collect()
    };
    let norm = |rng: &mut TestRng, n: usize| -> Vec<f32> {
        (0..n).map(|_| 1.0 + 0.3 * rng.sym()).collect()
    };
    let (e, q, kv, ff, v) = (c.n_embd, c.q_dim(), c.kv_dim(), c.n_ff, c.n_vocab);
    t.insert(
        "token_embd.weight".into(),
        (0..v * e).map(|_| rng.sym()).collect(),
    );
    t.insert("output_norm.weight".into(), norm(&mut rng, e));
    if !c.tied_embeddings {
        t.insert("output.weight".into(), mat(&mut rng, v, e, 2.0));
    }
    for i in 0..c.n_layer {
        let n = |s: &str| format!("blk.{i}.{s}.weight");
        t.insert(n("attn_norm"), norm(&mut rng, e));
        t.insert(n("attn_q"), mat(&mut rng, q, e, 1.5));
        t.insert(n("attn_k"), mat(&mut rng, kv, e, 1.5));
        t.insert(n("attn_v"), mat(&mut rng, kv, e, 1.0));
        if c.qk_norm {
            t.insert(n("attn_q_norm"), norm(&mut rng, c.head_dim));
            t.insert(n("attn_k_norm"), norm(&mut rng, c.head_dim));
        }
        t.insert(n("attn_output"), mat(&mut rng, e, q, 0.5));
        t.insert(n("ffn_norm"), norm(&mut rng, e));
        t.insert(n("ffn_gate"), mat(&mut rng, ff, e, 1.0));
        t.insert(n("ffn_up"), mat(&mut rng, ff, e, 1.0));
        t.insert(n("ffn_down"), mat(&mut rng, e, ff, 0.5));
    }
    t
}

/// The reference's parameters for a decoder config.
pub fn ref_params(c: &ModelConfig) -> RefParams {
    RefParams {
        n_embd: c.n_embd,
        n_layer: c.n_layer,
        n_head: c.n_head,
        n_head_kv: c.n_head_kv,
        head_dim: c.head_dim,
        n_ff: c.n_ff,
        n_vocab: c.n_vocab,
        rope_base: c.rope_theta as f64,
        rope_dims: c.rope_dim,
        half_split_rope: c.rope_style == RopeStyle::Neox,
        eps: c.rms_eps as f64,
        freq_divisors: c
            .rope_freqs
            .as_ref()
            .map(|f| f.iter().map(|&x| x as f64).collect()),
        qk_norm: c.qk_norm,
        tied: c.tied_embeddings,
    }
}

/// The reference model over the same tensors (widened to f64).
pub fn ref_model(p: RefParams, tensors: &HashMap<String, Vec<f32>>) -> RefModel {
    RefModel {
        p,
        t: tensors
            .iter()
            .map(|(k, v)| (k.clone(), v.iter().map(|&x| x as f64).collect()))
            .collect(),
    }
}
