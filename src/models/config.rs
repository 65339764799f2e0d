//! The hyper-parameters a decoder needs, read from GGUF metadata (`{arch}.*` keys,
//! shared/reference/models-and-quants.md §1) or built from a registry spec.

/// Model architectures kernlab decodes (the GGUF `general.architecture` string).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arch {
    Llama,
    Qwen3,
}

impl Arch {
    /// The `general.architecture` value and the `{arch}.` key prefix.
    pub const fn gguf_name(self) -> &'static str {
        match self {
            Arch::Llama => "llama",
            Arch::Qwen3 => "qwen3",
        }
    }

    pub fn from_gguf_name(s: &str) -> Option<Arch> {
        match s {
            "llama" => Some(Arch::Llama),
            "qwen3" => Some(Arch::Qwen3),
            _ => None,
        }
    }

    /// llama.cpp `llama_model_rope_type`: LLaMA rotates adjacent pairs, Qwen2/3 half-split pairs.
    pub const fn rope_style(self) -> RopeStyle {
        match self {
            Arch::Llama => RopeStyle::Norm,
            Arch::Qwen3 => RopeStyle::Neox,
        }
    }
}

impl std::fmt::Display for Arch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.gguf_name())
    }
}

/// Which head values RoPE rotates together (models-and-quants.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RopeStyle {
    /// LLaMA (LLAMA_ROPE_TYPE_NORM): pair j is (x[2j], x[2j+1]).
    Norm,
    /// Qwen3 (LLAMA_ROPE_TYPE_NEOX): pair j is (x[j], x[j + rope_dim/2]).
    Neox,
}

/// Everything the decoder needs to know about a model's shape and numerics.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelConfig {
    pub arch: Arch,
    pub n_embd: usize,
    pub n_layer: usize,
    pub n_head: usize,
    pub n_head_kv: usize,
    /// Per-head size of q and k (`key_length`); v uses the same in every model here.
    pub head_dim: usize,
    pub n_ff: usize,
    pub n_vocab: usize,
    pub n_ctx_train: usize,
    pub rope_theta: f32,
    /// Number of rotated values per head (`rope.dimension_count`).
    pub rope_dim: usize,
    pub rope_style: RopeStyle,
    pub rms_eps: f32,
    /// Qwen3: per-head RMSNorm of q and k before RoPE (attn_q_norm / attn_k_norm present).
    pub qk_norm: bool,
    /// No output.weight: the LM head is token_embd.weight.
    pub tied_embeddings: bool,
    /// LLaMA 3.x per-frequency divisors (rope_freqs.weight, rope_dim/2 values): θ_j /= ff[j].
    pub rope_freqs: Option<Vec<f32>>,
    pub bos_token: Option<u32>,
    pub eos_token: Option<u32>,
    pub add_bos: bool,
}

/// The per-layer tensors of a llama / qwen3 GGUF (`blk.N.<name>.weight`), in file order; the
/// q/k norms are Qwen3's only (models-and-quants.md §1).
pub const LAYER_TENSORS: [&str; 11] = [
    "attn_norm",
    "attn_q",
    "attn_k",
    "attn_v",
    "attn_q_norm",
    "attn_k_norm",
    "attn_output",
    "ffn_norm",
    "ffn_gate",
    "ffn_up",
    "ffn_down",
];

impl ModelConfig {
    /// `blk.{layer}.{name}.weight` for every layer and every name of `LAYER_TENSORS`.
    pub fn layer_tensor_names(&self) -> Vec<String> {
        (0..self.n_layer)
            .flat_map(|i| {
                LAYER_TENSORS
                    .iter()
                    .map(move |t| format!("blk.{i}.{t}.weight"))
            })
            .collect()
    }

    /// Rows of attn_q: n_head · head_dim (2048 for Qwen3 0.6B, whose n_embd is 1024).
    pub fn q_dim(&self) -> usize {
        self.n_head * self.head_dim
    }

    /// Rows of attn_k and attn_v: n_head_kv · head_dim.
    pub fn kv_dim(&self) -> usize {
        self.n_head_kv * self.head_dim
    }

    /// Query heads per KV head (GQA group size).
    pub fn n_gqa(&self) -> usize {
        self.n_head / self.n_head_kv.max(1)
    }

    /// Bytes of K plus V cache per token of context at f16: 2 · layers · kv_dim · 2.
    pub fn kv_bytes_per_token_f16(&self) -> u64 {
        2 * self.n_layer as u64 * self.kv_dim() as u64 * 2
    }
}
