//! The metadata of a synthetic file: general.*, {arch}.* (the keys ModelConfig::from_gguf reads)
//! and tokenizer.* (copied from a real vocab GGUF, or generated).

use super::stream::MetaValue;
use super::vocab_gen::{self, GeneratedVocab, TOKEN_UNUSED};
use crate::models::registry::ModelSpec;

/// `general.*` and `{arch}.*` keys for `spec` (whose n_layer may be a --layers override).
pub fn model_kvs(spec: &ModelSpec, seed: u64) -> Vec<(String, MetaValue)> {
    let a = spec.arch.gguf_name();
    let k = |s: &str| format!("{a}.{s}");
    let u = |x: usize| MetaValue::U32(x as u32);
    vec![
        ("general.architecture".into(), MetaValue::Str(a.into())),
        (
            "general.name".into(),
            MetaValue::Str(format!(
                "{} (random weights, kernlab synth seed {seed}; not a trained model)",
                spec.display
            )),
        ),
        (
            "general.file_type".into(),
            MetaValue::U32(spec.ftype.llama_ftype()),
        ),
        ("general.quantization_version".into(), MetaValue::U32(2)),
        (k("context_length"), u(spec.n_ctx_train)),
        (k("embedding_length"), u(spec.n_embd)),
        (k("block_count"), u(spec.n_layer)),
        (k("feed_forward_length"), u(spec.n_ff)),
        (k("attention.head_count"), u(spec.n_head)),
        (k("attention.head_count_kv"), u(spec.n_head_kv)),
        (
            k("attention.layer_norm_rms_epsilon"),
            MetaValue::F32(spec.rms_eps),
        ),
        (k("attention.key_length"), u(spec.head_dim)),
        (k("attention.value_length"), u(spec.head_dim)),
        (k("rope.freq_base"), MetaValue::F32(spec.rope_theta)),
        (k("rope.dimension_count"), u(spec.head_dim)),
        (k("vocab_size"), u(spec.n_vocab)),
    ]
}

/// tokenizer.* keys of a generated vocab.
pub fn generated_vocab_kvs(v: GeneratedVocab) -> Vec<(String, MetaValue)> {
    let mut kvs = vec![(
        "tokenizer.ggml.model".to_string(),
        MetaValue::Str(v.model.into()),
    )];
    if let Some(pre) = v.pre {
        kvs.push(("tokenizer.ggml.pre".into(), MetaValue::Str(pre.into())));
    }
    kvs.push(("tokenizer.ggml.tokens".into(), MetaValue::ArrStr(v.tokens)));
    if let Some(s) = v.scores {
        kvs.push(("tokenizer.ggml.scores".into(), MetaValue::ArrF32(s)));
    }
    kvs.push((
        "tokenizer.ggml.token_type".into(),
        MetaValue::ArrI32(v.token_type),
    ));
    if !v.merges.is_empty() {
        kvs.push(("tokenizer.ggml.merges".into(), MetaValue::ArrStr(v.merges)));
    }
    kvs
}

/// The special-token keys kernlab sets from the spec (after any copied tokenizer keys).
pub fn special_token_kvs(spec: &ModelSpec) -> Vec<(String, MetaValue)> {
    vec![
        (
            "tokenizer.ggml.bos_token_id".into(),
            MetaValue::U32(spec.bos_token),
        ),
        (
            "tokenizer.ggml.eos_token_id".into(),
            MetaValue::U32(spec.eos_token),
        ),
        (
            "tokenizer.ggml.add_bos_token".into(),
            MetaValue::Bool(spec.add_bos),
        ),
    ]
}

/// Pads copied token arrays up to n_vocab with "[PADn]" UNUSED entries, as the real Qwen3
/// files do (151669 tokens in a 151936-row embedding).
pub fn pad_tokens(kvs: &mut [(String, MetaValue)], n_vocab: usize) {
    for (k, v) in kvs.iter_mut() {
        match (k.as_str(), v) {
            ("tokenizer.ggml.tokens", MetaValue::ArrStr(a)) => {
                for i in a.len()..n_vocab {
                    a.push(format!("[PAD{i}]"));
                }
            }
            ("tokenizer.ggml.token_type", MetaValue::ArrI32(a)) => a.resize(n_vocab, TOKEN_UNUSED),
            ("tokenizer.ggml.scores", MetaValue::ArrF32(a)) => a.resize(n_vocab, 0.0),
            _ => {}
        }
    }
}

/// A generated vocab for `spec` and the line saying so.
pub fn generated(spec: &ModelSpec, why: &str) -> (Vec<(String, MetaValue)>, String) {
    let v = vocab_gen::generate(spec);
    let note = format!(
        "generated a minimal {} vocab of {} tokens ({why}); it is valid for loaders but not a real tokenizer",
        v.model, spec.n_vocab
    );
    (generated_vocab_kvs(v), note)
}
