//! The tensors of a registry model's GGUF file: names (models-and-quants.md §1), shapes in ne
//! order (fast axis first) and the type llama-quantize gives each (§4); and the byte counts that
//! follow (file tensor bytes = llama-bench model_size, bytes read per decoded token).

use super::config::Arch;
use super::ftype::{tensor_type, TensorRole};
use super::registry::ModelSpec;
use crate::GgmlType;

/// One tensor of the file as it will be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedTensor {
    pub name: String,
    /// ne order: dims[0] is the contiguous row length.
    pub dims: Vec<u64>,
    pub ty: GgmlType,
    pub role: TensorRole,
    /// Layer index, None for global tensors.
    pub layer: Option<usize>,
}

impl PlannedTensor {
    pub fn n_elems(&self) -> u64 {
        self.dims.iter().product()
    }

    /// Data bytes (every planned shape is a whole number of blocks).
    pub fn size_b(&self) -> u64 {
        self.ty.bytes_for(self.n_elems()).unwrap_or(0)
    }
}

impl ModelSpec {
    /// Every tensor, in the order synth writes them (global ones first, then layer by layer).
    pub fn tensor_plan(&self) -> Vec<PlannedTensor> {
        let n_gqa = self.n_head / self.n_head_kv.max(1);
        let q_dim = (self.n_head * self.head_dim) as u64;
        let kv_dim = (self.n_head_kv * self.head_dim) as u64;
        let (e, ff, v, hd) = (
            self.n_embd as u64,
            self.n_ff as u64,
            self.n_vocab as u64,
            self.head_dim as u64,
        );
        let mk = |name: String, dims: Vec<u64>, role: TensorRole, layer: Option<usize>| {
            let ty = tensor_type(
                self.ftype,
                role,
                layer.unwrap_or(0),
                self.n_layer,
                n_gqa,
                self.tied,
                dims[0] as usize,
            );
            PlannedTensor {
                name,
                dims,
                ty,
                role,
                layer,
            }
        };
        let mut out = Vec::new();
        if self.llama3_rope.is_some() {
            out.push(mk(
                "rope_freqs.weight".into(),
                vec![hd / 2],
                TensorRole::Vector,
                None,
            ));
        }
        out.push(mk(
            "token_embd.weight".into(),
            vec![e, v],
            TensorRole::TokenEmbd,
            None,
        ));
        for i in 0..self.n_layer {
            let b = |s: &str| format!("blk.{i}.{s}.weight");
            let l = Some(i);
            out.push(mk(b("attn_norm"), vec![e], TensorRole::Vector, l));
            out.push(mk(b("attn_q"), vec![e, q_dim], TensorRole::AttnQ, l));
            out.push(mk(b("attn_k"), vec![e, kv_dim], TensorRole::AttnK, l));
            out.push(mk(b("attn_v"), vec![e, kv_dim], TensorRole::AttnV, l));
            if self.arch == Arch::Qwen3 {
                out.push(mk(b("attn_q_norm"), vec![hd], TensorRole::Vector, l));
                out.push(mk(b("attn_k_norm"), vec![hd], TensorRole::Vector, l));
            }
            out.push(mk(
                b("attn_output"),
                vec![q_dim, e],
                TensorRole::AttnOutput,
                l,
            ));
            out.push(mk(b("ffn_norm"), vec![e], TensorRole::Vector, l));
            out.push(mk(b("ffn_gate"), vec![e, ff], TensorRole::FfnGate, l));
            out.push(mk(b("ffn_up"), vec![e, ff], TensorRole::FfnUp, l));
            out.push(mk(b("ffn_down"), vec![ff, e], TensorRole::FfnDown, l));
        }
        out.push(mk(
            "output_norm.weight".into(),
            vec![e],
            TensorRole::Vector,
            None,
        ));
        if !self.tied {
            out.push(mk(
                "output.weight".into(),
                vec![e, v],
                TensorRole::Output,
                None,
            ));
        }
        out
    }

    /// Sum of tensor data bytes (llama-bench `model_size`; the file adds metadata and padding).
    pub fn tensor_bytes(&self) -> u64 {
        self.tensor_plan().iter().map(|t| t.size_b()).sum()
    }

    /// Weight bytes one decode step reads at context 0: every tensor once, except token_embd of
    /// which only one row is gathered, plus the full table again when it is the tied LM head.
    pub fn bytes_per_token(&self) -> u64 {
        self.tensor_plan()
            .iter()
            .map(|t| {
                if t.role == TensorRole::TokenEmbd {
                    let row = t.size_b() / self.n_vocab as u64;
                    row + if self.tied { t.size_b() } else { 0 }
                } else {
                    t.size_b()
                }
            })
            .sum()
    }

    /// Parameter count as llama-bench reports it: every tensor's elements (rope_freqs included;
    /// a tied embedding counted once).
    pub fn n_params(&self) -> u64 {
        self.tensor_plan().iter().map(|t| t.n_elems()).sum()
    }
}
