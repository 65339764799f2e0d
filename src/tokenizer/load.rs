//! Building a tokenizer from a GGUF's `tokenizer.ggml.*` metadata.

use super::{BpeTokenizer, PreTokenizer};
use crate::gguf::GgufFile;
use crate::{Error, Result};
use std::path::Path;

/// The tokenizer of the GGUF at `path` (byte-level BPE only: `tokenizer.ggml.model = gpt2`).
pub fn load_from_gguf(path: &Path) -> Result<BpeTokenizer> {
    from_gguf(&GgufFile::open(path)?)
}

/// The tokenizer of an open GGUF file.
pub fn from_gguf(f: &GgufFile) -> Result<BpeTokenizer> {
    let name = f.path.display().to_string();
    let bad = |m: String| Error::Model(format!("{name}: {m}"));
    let model = f
        .get_str("tokenizer.ggml.model")
        .ok_or_else(|| bad("no tokenizer.ggml.model".into()))?;
    if model != "gpt2" {
        return Err(Error::Unsupported(format!(
            "{name}: tokenizer model '{model}' (only byte-level BPE 'gpt2' is supported: LLaMA 3, Qwen2/3)"
        )));
    }
    let pre_name = f.get_str("tokenizer.ggml.pre").unwrap_or("default");
    let pre = PreTokenizer::from_name(pre_name).ok_or_else(|| {
        Error::Unsupported(format!(
            "{name}: pre-tokenizer '{pre_name}' (supported: llama-bpe, qwen2, default/gpt2)"
        ))
    })?;
    let tokens: Vec<String> = f
        .get_str_array("tokenizer.ggml.tokens")
        .ok_or_else(|| bad("no tokenizer.ggml.tokens string array".into()))?
        .into_iter()
        .map(String::from)
        .collect();
    let merges = f
        .get_str_array("tokenizer.ggml.merges")
        .ok_or_else(|| bad("no tokenizer.ggml.merges string array".into()))?;
    let types = f
        .get_i32_array("tokenizer.ggml.token_type")
        .unwrap_or_default();
    BpeTokenizer::new(pre, tokens, &merges, &types).map_err(bad)
}
