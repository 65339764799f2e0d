//! Building a tokenizer from a GGUF's `tokenizer.ggml.*` metadata.

use super::{BpeTokenizer, PreTokenizer};
use crate::models::synth::{read_kvs, MetaValue};
use crate::{Error, Result};
use std::path::Path;

/// The tokenizer of the GGUF at `path` (byte-level BPE only: `tokenizer.ggml.model = gpt2`).
pub fn load_from_gguf(path: &Path) -> Result<BpeTokenizer> {
    let kvs = read_kvs(path)?;
    let get = |k: &str| kvs.iter().find(|(key, _)| key == k).map(|(_, v)| v);
    let bad = |m: String| Error::Model(format!("{}: {m}", path.display()));
    let model = match get("tokenizer.ggml.model") {
        Some(MetaValue::Str(s)) => s.clone(),
        _ => return Err(bad("no tokenizer.ggml.model".into())),
    };
    if model != "gpt2" {
        return Err(Error::Unsupported(format!(
            "{}: tokenizer model '{model}' (only byte-level BPE 'gpt2' is supported: LLaMA 3, Qwen2/3)",
            path.display()
        )));
    }
    let pre_name = match get("tokenizer.ggml.pre") {
        Some(MetaValue::Str(s)) => s.clone(),
        _ => "default".to_string(),
    };
    let pre = PreTokenizer::from_name(&pre_name).ok_or_else(|| {
        Error::Unsupported(format!(
            "{}: pre-tokenizer '{pre_name}' (supported: llama-bpe, qwen2)",
            path.display()
        ))
    })?;
    let strings = |k: &str| -> Result<Vec<String>> {
        match get(k) {
            Some(MetaValue::ArrStr(v)) => Ok(v.clone()),
            Some(MetaValue::Arr(_, v)) => v
                .iter()
                .map(|x| match x {
                    MetaValue::Str(s) => Ok(s.clone()),
                    _ => Err(bad(format!("{k} holds a non-string"))),
                })
                .collect(),
            _ => Err(bad(format!("no {k} string array"))),
        }
    };
    let tokens = strings("tokenizer.ggml.tokens")?;
    let merges = strings("tokenizer.ggml.merges")?;
    let types: Vec<i32> = match get("tokenizer.ggml.token_type") {
        Some(MetaValue::ArrI32(v)) => v.clone(),
        _ => Vec::new(),
    };
    let merge_refs: Vec<&str> = merges.iter().map(String::as_str).collect();
    BpeTokenizer::new(pre, tokens, &merge_refs, &types).map_err(bad)
}
