//! The tokenizer of a synthetic file: the tokenizer.* keys of llama.cpp's real vocab GGUF for the
//! model's tokenizer when one is found (so llama.cpp and tinygrad tokenize as with the real
//! model), else a generated vocab of exactly n_vocab tokens.

use std::path::{Path, PathBuf};

use super::meta::{self, Kvs};
use crate::gguf::{GgufFile, Value};
use crate::models::registry::ModelSpec;
use crate::{Error, Result};

/// Directories searched for vocab GGUFs: $KERNLAB_VOCAB_DIR, ../shared/data/vocab (CI layout,
/// relative to the working directory and to the source tree), /work/shared/data/vocab.
pub fn vocab_dirs() -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Some(d) = std::env::var_os("KERNLAB_VOCAB_DIR").filter(|d| !d.is_empty()) {
        v.push(PathBuf::from(d));
    }
    v.push(PathBuf::from("../shared/data/vocab"));
    v.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/vocab"));
    v.push(PathBuf::from("/work/shared/data/vocab"));
    v
}

/// The real vocab file for `spec`, if its tokenizer has one and it is on disk.
pub fn find_vocab_file(spec: &ModelSpec) -> Option<PathBuf> {
    let name = spec.vocab.vocab_file()?;
    vocab_dirs()
        .into_iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// tokenizer.* keys (without bos/eos/add_bos, which the spec sets) and a line saying where
/// they came from.
pub fn tokenizer_kvs(spec: &ModelSpec, vocab_gguf: Option<&Path>) -> Result<(Kvs, String)> {
    let file = match vocab_gguf {
        Some(p) => Some(p.to_path_buf()),
        None => find_vocab_file(spec),
    };
    match file {
        Some(p) => copy_from_vocab_gguf(spec, &p),
        None => {
            let why = match spec.vocab.vocab_file() {
                Some(f) => format!("{f} not found in {:?}", vocab_dirs()),
                None => "this model's tokenizer has no vocab GGUF here".to_string(),
            };
            Ok(meta::generated(spec, &why))
        }
    }
}

/// Keys of the vocab file that describe its own (donor) model, not the tokenizer: left out.
fn is_tokenizer_key(k: &str) -> bool {
    k.starts_with("tokenizer.")
        && !matches!(
            k,
            "tokenizer.ggml.bos_token_id"
                | "tokenizer.ggml.eos_token_id"
                | "tokenizer.ggml.add_bos_token"
        )
}

fn copy_from_vocab_gguf(spec: &ModelSpec, path: &Path) -> Result<(Kvs, String)> {
    let donor = GgufFile::open(path)?;
    let mut kvs: Kvs = donor
        .metadata
        .into_iter()
        .filter(|(k, _)| is_tokenizer_key(k))
        .collect();
    let n_tokens = kvs
        .iter()
        .find_map(|(k, v)| match (k.as_str(), v) {
            ("tokenizer.ggml.tokens", Value::Arr(a)) if a.iter().all(|t| t.as_str().is_some()) => {
                Some(a.len())
            }
            _ => None,
        })
        .ok_or_else(|| {
            Error::Model(format!(
                "{}: vocab file has no tokenizer.ggml.tokens string array",
                path.display()
            ))
        })?;
    if n_tokens > spec.n_vocab {
        return Ok(meta::generated(
            spec,
            &format!(
                "{} has {n_tokens} tokens, more than the model's {} rows",
                path.display(),
                spec.n_vocab
            ),
        ));
    }
    let special_max = spec.bos_token.max(spec.eos_token) as usize;
    if special_max >= spec.n_vocab {
        return Err(Error::Model(format!(
            "{}: bos/eos id {special_max} is outside the vocab of {}",
            spec.name, spec.n_vocab
        )));
    }
    meta::pad_tokens(&mut kvs, spec.n_vocab);
    let padded = if n_tokens < spec.n_vocab {
        format!(", padded with [PADn] from {n_tokens} to {}", spec.n_vocab)
    } else {
        String::new()
    };
    Ok((
        kvs,
        format!(
            "tokenizer.* copied from {} ({n_tokens} tokens{padded})",
            path.display()
        ),
    ))
}
