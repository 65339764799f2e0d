//! The BPE tokenizer against llama.cpp's own test pairs: the real vocab GGUFs that ship with
//! llama.cpp's source (models/ggml-vocab-llama-bpe.gguf, ggml-vocab-qwen2.gguf) and their
//! .inp/.out files (inputs separated by "\n__ggml_vocab_test__\n", one line of ids per input;
//! tokenized without BOS and without parsing special tokens, as test-tokenizer-0 does).

use kernlab::tokenizer::{BpeTokenizer, PreTokenizer};
use std::path::PathBuf;

fn vocab_dir() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    [
        root.join("../shared/data/vocab"),
        PathBuf::from("/work/shared/data/vocab"),
    ]
    .into_iter()
    .find(|d| d.is_dir())
}

fn load(file: &str) -> Option<(BpeTokenizer, PathBuf)> {
    let Some(dir) = vocab_dir() else {
        eprintln!("note: ../shared/data/vocab not found; tokenizer vocab tests skipped");
        return None;
    };
    let path = dir.join(file);
    let tok = kernlab::tokenizer::load_from_gguf(&path).expect("vocab loads");
    Some((tok, path))
}

fn check_pairs(file: &str, want_pre: PreTokenizer) {
    let Some((tok, path)) = load(file) else {
        return;
    };
    assert_eq!(tok.pre(), want_pre);
    let inp = std::fs::read_to_string(path.with_extension("gguf.inp")).unwrap();
    let out = std::fs::read_to_string(path.with_extension("gguf.out")).unwrap();
    let inputs: Vec<&str> = inp.split("\n__ggml_vocab_test__\n").collect();
    let expected: Vec<&str> = out.lines().collect();
    assert!(
        inputs.len() >= expected.len() && expected.len() > 30,
        "{} inputs, {} outputs",
        inputs.len(),
        expected.len()
    );
    let mut failures = Vec::new();
    for (i, (text, want)) in inputs.iter().zip(&expected).enumerate() {
        let want: Vec<u32> = want
            .split_whitespace()
            .map(|t| t.parse().unwrap())
            .collect();
        let got = tok.encode(text, false);
        if got != want {
            failures.push(format!("#{i} {text:?}\n   want {want:?}\n   got  {got:?}"));
        }
        // Decoding gives the text back (byte-level BPE is lossless).
        assert_eq!(tok.decode(&got), *text, "decode #{i}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} pairs differ:\n{}",
        failures.len(),
        expected.len(),
        failures.join("\n")
    );
}

#[test]
fn llama_bpe_matches_llama_cpp_pairs() {
    check_pairs("ggml-vocab-llama-bpe.gguf", PreTokenizer::LlamaBpe);
}

#[test]
fn qwen2_matches_llama_cpp_pairs() {
    check_pairs("ggml-vocab-qwen2.gguf", PreTokenizer::Qwen2);
}

#[test]
fn special_tokens_parse_only_when_asked() {
    let Some((tok, _)) = load("ggml-vocab-qwen2.gguf") else {
        return;
    };
    let im_start = tok
        .token_id("<|im_start|>")
        .expect("qwen2 vocab has <|im_start|>");
    assert_eq!(im_start, 151644);
    let with = tok.encode("<|im_start|>user\nhi", true);
    assert_eq!(with[0], im_start);
    let without = tok.encode("<|im_start|>user\nhi", false);
    assert!(!without.contains(&im_start));
    assert_eq!(tok.decode(&with), "<|im_start|>user\nhi");
}
