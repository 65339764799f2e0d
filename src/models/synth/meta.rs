//! The metadata of a synthetic file: general.*, {arch}.* (the keys ModelConfig::from_gguf reads)
//! and tokenizer.* (copied from a real vocab GGUF, or generated).

use super::vocab_gen::{self, GeneratedVocab, TOKEN_UNUSED};
use crate::gguf::Value;
use crate::models::registry::ModelSpec;

/// Metadata as written: (key, value) in file order.
pub type Kvs = Vec<(String, Value)>;

pub fn str_arr(a: Vec<String>) -> Value {
    Value::Arr(a.into_iter().map(Value::Str).collect())
}

pub fn i32_arr(a: Vec<i32>) -> Value {
    Value::Arr(a.into_iter().map(Value::I32).collect())
}

pub fn f32_arr(a: Vec<f32>) -> Value {
    Value::Arr(a.into_iter().map(Value::F32).collect())
}

/// `general.*` and `{arch}.*` keys for `spec` (whose n_layer may be a --layers override).
pub fn model_kvs(spec: &ModelSpec, seed: u64) -> Kvs {
    let a = spec.arch.gguf_name();
    let k = |s: &str| format!("{a}.{s}");
    let u = |x: usize| Value::U32(x as u32);
    vec![
        ("general.architecture".into(), Value::Str(a.into())),
        (
            "general.name".into(),
            Value::Str(format!(
                "{} (random weights, kernlab synth seed {seed}; not a trained model)",
                spec.display
            )),
        ),
        (
            "general.file_type".into(),
            Value::U32(spec.ftype.llama_ftype()),
        ),
        ("general.quantization_version".into(), Value::U32(2)),
        (k("context_length"), u(spec.n_ctx_train)),
        (k("embedding_length"), u(spec.n_embd)),
        (k("block_count"), u(spec.n_layer)),
        (k("feed_forward_length"), u(spec.n_ff)),
        (k("attention.head_count"), u(spec.n_head)),
        (k("attention.head_count_kv"), u(spec.n_head_kv)),
        (
            k("attention.layer_norm_rms_epsilon"),
            Value::F32(spec.rms_eps),
        ),
        (k("attention.key_length"), u(spec.head_dim)),
        (k("attention.value_length"), u(spec.head_dim)),
        (k("rope.freq_base"), Value::F32(spec.rope_theta)),
        (k("rope.dimension_count"), u(spec.head_dim)),
        (k("vocab_size"), u(spec.n_vocab)),
    ]
}

/// tokenizer.* keys of a generated vocab.
pub fn generated_vocab_kvs(v: GeneratedVocab) -> Kvs {
    let mut kvs = vec![(
        "tokenizer.ggml.model".to_string(),
        Value::Str(v.model.into()),
    )];
    if let Some(pre) = v.pre {
        kvs.push(("tokenizer.ggml.pre".into(), Value::Str(pre.into())));
    }
    kvs.push(("tokenizer.ggml.tokens".into(), str_arr(v.tokens)));
    if let Some(s) = v.scores {
        kvs.push(("tokenizer.ggml.scores".into(), f32_arr(s)));
    }
    kvs.push(("tokenizer.ggml.token_type".into(), i32_arr(v.token_type)));
    if !v.merges.is_empty() {
        kvs.push(("tokenizer.ggml.merges".into(), str_arr(v.merges)));
    }
    kvs
}

/// The special-token keys kernlab sets from the spec (after any copied tokenizer keys).
pub fn special_token_kvs(spec: &ModelSpec) -> Kvs {
    vec![
        (
            "tokenizer.ggml.bos_token_id".into(),
            Value::U32(spec.bos_token),
        ),
        (
            "tokenizer.ggml.eos_token_id".into(),
            Value::U32(spec.eos_token),
        ),
        (
            "tokenizer.ggml.add_bos_token".into(),
            Value::Bool(spec.add_bos),
        ),
    ]
}

/// Pads copied token arrays up to n_vocab with "[PADn]" UNUSED entries, as the real Qwen3
/// files do (151669 tokens in a 151936-row embedding).
pub fn pad_tokens(kvs: &mut [(String, Value)], n_vocab: usize) {
    for (k, v) in kvs.iter_mut() {
        let Value::Arr(a) = v else { continue };
        let first = a.len();
        match k.as_str() {
            "tokenizer.ggml.tokens" => {
                a.extend((first..n_vocab).map(|i| Value::Str(format!("[PAD{i}]"))))
            }
            "tokenizer.ggml.token_type" => a.resize(n_vocab.max(first), Value::I32(TOKEN_UNUSED)),
            "tokenizer.ggml.scores" => a.resize(n_vocab.max(first), Value::F32(0.0)),
            _ => {}
        }
    }
}

/// A generated vocab for `spec` and the line saying so.
pub fn generated(spec: &ModelSpec, why: &str) -> (Kvs, String) {
    let v = vocab_gen::generate(spec);
    let note = format!(
        "generated a minimal {} vocab of {} tokens ({why}); it is valid for loaders but not a real tokenizer",
        v.model, spec.n_vocab
    );
    (generated_vocab_kvs(v), note)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::config_read::{MetaScalar, MetaSource};
    use crate::models::{registry, tiny_registry, ModelConfig};
    use std::collections::HashMap;

    /// The metadata and tensor table of a synthetic file, without writing it.
    struct Header {
        kvs: HashMap<String, crate::gguf::Value>,
        dims: HashMap<String, Vec<u64>>,
        rope: Option<Vec<f32>>,
    }

    impl Header {
        fn of(spec: &ModelSpec) -> Header {
            let mut kvs: HashMap<String, Value> = model_kvs(spec, 0).into_iter().collect();
            kvs.extend(special_token_kvs(spec));
            let dims = spec
                .tensor_plan()
                .into_iter()
                .map(|t| (t.name, t.dims))
                .collect();
            Header {
                kvs,
                dims,
                rope: spec.config().rope_freqs,
            }
        }
    }

    impl MetaSource for Header {
        fn source_name(&self) -> String {
            "header".into()
        }
        fn meta(&self, key: &str) -> Option<MetaScalar> {
            self.kvs.get(key).map(crate::models::config_read::scalar_of)
        }
        fn tensor_dims(&self, name: &str) -> Option<Vec<u64>> {
            self.dims.get(name).cloned()
        }
        fn tensor_f32(&self, _name: &str) -> crate::Result<Vec<f32>> {
            Ok(self.rope.clone().unwrap_or_default())
        }
    }

    #[test]
    fn config_from_synth_metadata_equals_spec_config_for_every_model() {
        for spec in registry().iter().chain(tiny_registry()) {
            let cfg = ModelConfig::from_meta(&Header::of(spec)).unwrap();
            assert_eq!(cfg, spec.config(), "{}", spec.name);
        }
    }

    #[test]
    fn missing_or_bad_keys_are_named() {
        let spec = crate::models::find("qwen3-0.6b-q8").unwrap();
        for key in [
            "general.architecture",
            "qwen3.embedding_length",
            "qwen3.block_count",
            "qwen3.attention.head_count",
            "qwen3.feed_forward_length",
            "qwen3.context_length",
            "qwen3.attention.layer_norm_rms_epsilon",
        ] {
            let mut h = Header::of(spec);
            h.kvs.remove(key);
            let e = ModelConfig::from_meta(&h).unwrap_err().to_string();
            assert!(e.contains(key) && e.contains("missing"), "{key}: {e}");
        }
        let mut h = Header::of(spec);
        h.kvs
            .insert("qwen3.block_count".into(), Value::Str("x".into()));
        let e = ModelConfig::from_meta(&h).unwrap_err().to_string();
        assert!(e.contains("qwen3.block_count"), "{e}");
        let mut h = Header::of(spec);
        h.kvs
            .insert("general.architecture".into(), Value::Str("gpt2".into()));
        let e = ModelConfig::from_meta(&h).unwrap_err().to_string();
        assert!(e.contains("gpt2"), "{e}");
        // Defaults: no head_count_kv = MHA, no key_length = n_embd / n_head.
        let mut h = Header::of(crate::models::find("llama2-7b-q4km").unwrap());
        h.kvs.remove("llama.attention.head_count_kv");
        h.kvs.remove("llama.attention.key_length");
        h.kvs.remove("llama.attention.value_length");
        h.kvs.remove("llama.rope.dimension_count");
        h.kvs.remove("llama.vocab_size");
        let c = ModelConfig::from_meta(&h).unwrap();
        assert_eq!(
            (c.n_head_kv, c.head_dim, c.rope_dim, c.n_vocab),
            (32, 128, 128, 32000)
        );
    }
}
