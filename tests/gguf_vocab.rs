//! The real vocab GGUFs from llama.cpp (../shared/data/vocab): keys, token and merge counts,
//! open time, and the full metadata compared with gguf-py's view.

mod gguf_util;

use gguf_util::py::{assert_same_view, gguf_py_dump, rust_view};
use gguf_util::repo_root;
use kernlab::gguf::GgufFile;
use std::path::PathBuf;
use std::time::Instant;

fn vocab(name: &str) -> Option<PathBuf> {
    let p = repo_root().join("../shared/data/vocab").join(name);
    if p.exists() {
        Some(p)
    } else {
        println!("note: {} is absent; skipping", p.display());
        None
    }
}

/// (file, architecture, pre, vocab size, merges)
const FILES: [(&str, &str, &str, usize, usize); 2] = [
    (
        "ggml-vocab-llama-bpe.gguf",
        "llama",
        "llama-bpe",
        128256,
        280147,
    ),
    ("ggml-vocab-qwen2.gguf", "qwen2", "qwen2", 151936, 151387),
];

#[test]
fn vocab_files_keys_and_counts() {
    for (name, arch, pre, n_vocab, n_merges) in FILES {
        let Some(p) = vocab(name) else { continue };
        let t0 = Instant::now();
        let f = GgufFile::open(&p).unwrap();
        let open_s = t0.elapsed().as_secs_f64();
        println!("{name}: opened in {:.1} ms", open_s * 1e3);
        assert!(open_s < 1.0, "{name} took {open_s} s to open");
        assert_eq!(f.version, 3);
        assert_eq!(f.architecture(), Some(arch));
        assert_eq!(f.get_str("tokenizer.ggml.model"), Some("gpt2"));
        assert_eq!(f.get_str("tokenizer.ggml.pre"), Some(pre));
        let tokens = f.get_str_array("tokenizer.ggml.tokens").unwrap();
        assert_eq!(tokens.len(), n_vocab);
        assert_eq!(
            f.get_i32_array("tokenizer.ggml.token_type").unwrap().len(),
            n_vocab
        );
        let merges = f.get_str_array("tokenizer.ggml.merges").unwrap();
        assert_eq!(merges.len(), n_merges);
        assert!(
            merges.iter().all(|m| m.split(' ').count() == 2),
            "merges are 'A B' pairs"
        );
        assert_eq!(tokens[0], "!");
        let bos = f.get_u64("tokenizer.ggml.bos_token_id").unwrap() as usize;
        assert!(bos < n_vocab);
        assert!(f.tensors.is_empty());
        assert_eq!(f.data_bytes(), 0);
    }
}

fn compare_with_gguf_py(name: &str) {
    let Some(p) = vocab(name) else { return };
    let Some(py) = gguf_py_dump(&repo_root(), &p, None) else {
        return;
    };
    let f = GgufFile::open(&p).unwrap();
    assert_same_view(&rust_view(&f, None), &py);
}

#[test]
fn llama_bpe_vocab_matches_gguf_py() {
    compare_with_gguf_py("ggml-vocab-llama-bpe.gguf");
}

#[test]
fn qwen2_vocab_matches_gguf_py() {
    compare_with_gguf_py("ggml-vocab-qwen2.gguf");
}
