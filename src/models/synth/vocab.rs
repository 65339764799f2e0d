//! The tokenizer of a synthetic file: the tokenizer.* keys of llama.cpp's real vocab GGUF for the
//! model's tokenizer when one is found (so llama.cpp and tinygrad tokenize as with the real
//! model), else a generated vocab of exactly n_vocab tokens.

use std::path::{Path, PathBuf};

use super::meta;
use super::stream::MetaValue;
use crate::models::registry::ModelSpec;
use crate::Result;

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
pub fn tokenizer_kvs(
    spec: &ModelSpec,
    vocab_gguf: Option<&Path>,
) -> Result<(Vec<(String, MetaValue)>, String)> {
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

fn copy_from_vocab_gguf(
    spec: &ModelSpec,
    path: &Path,
) -> Result<(Vec<(String, MetaValue)>, String)> {
    let _ = (spec, path);
    Ok(meta::generated(
        spec,
        "copying a real vocab needs the GGUF reader, not built yet",
    ))
}
