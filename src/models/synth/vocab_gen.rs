//! A generated tokenizer of exactly n_vocab tokens, for models whose real vocab GGUF is not at
//! hand (tiny test models, LLaMA 2). It is valid for llama.cpp-style loaders, not a real language
//! tokenizer: gpt2 style = 256 byte tokens + tokens built by merges (each merge joins an existing
//! token and one character); SentencePiece style = <unk> <s> </s>, 256 byte-fallback tokens, pieces.

use super::super::registry::{ModelSpec, VocabKind};

/// llama.cpp token types.
pub const TOKEN_NORMAL: i32 = 1;
pub const TOKEN_UNKNOWN: i32 = 2;
pub const TOKEN_CONTROL: i32 = 3;
/// Padding entries past the real vocab (Qwen3 "[PADn]").
pub const TOKEN_UNUSED: i32 = 5;
pub const TOKEN_BYTE: i32 = 6;

/// The tokenizer.* content to write.
pub struct GeneratedVocab {
    /// tokenizer.ggml.model: "gpt2" or "llama".
    pub model: &'static str,
    /// tokenizer.ggml.pre (gpt2 only).
    pub pre: Option<&'static str>,
    pub tokens: Vec<String>,
    pub token_type: Vec<i32>,
    /// SentencePiece scores (llama model only).
    pub scores: Option<Vec<f32>>,
    /// BPE merges "left right" (gpt2 only).
    pub merges: Vec<String>,
}

/// GPT-2 byte→unicode map (models-and-quants.md §8): printable bytes map to themselves, the
/// other 68 to U+0100.. in ascending byte order.
pub fn byte_to_unicode() -> [char; 256] {
    let mut map = ['\0'; 256];
    let mut next = 0x100u32;
    for b in 0..256u32 {
        let printable = (0x21..=0x7E).contains(&b) || (0xA1..=0xAC).contains(&b) || b >= 0xAE;
        map[b as usize] = if printable {
            char::from_u32(b).unwrap_or('?')
        } else {
            let c = char::from_u32(next).unwrap_or('?');
            next += 1;
            c
        };
    }
    map
}

/// 64 characters tokens are built from: letters, digits, '.', and the word-start marker.
fn alphabet(word_start: char) -> Vec<char> {
    let mut a: Vec<char> = ('a'..='z').chain('A'..='Z').chain('0'..='9').collect();
    a.push('.');
    a.push(word_start);
    a
}

/// Strings of length 2, then 3, ... over `alpha`, in an order where every string's prefix
/// (all but the last char) came before it.
fn words(alpha: &[char]) -> impl Iterator<Item = Vec<char>> + '_ {
    let mut level: Vec<Vec<char>> = alpha.iter().map(|&c| vec![c]).collect();
    let mut i = 0usize;
    let mut j = 0usize;
    let mut next_level: Vec<Vec<char>> = Vec::new();
    std::iter::from_fn(move || {
        if j == alpha.len() {
            j = 0;
            i += 1;
        }
        if i == level.len() {
            level = std::mem::take(&mut next_level);
            i = 0;
        }
        let mut w = level[i].clone();
        w.push(alpha[j]);
        j += 1;
        next_level.push(w.clone());
        Some(w)
    })
}

/// A vocab of exactly `spec.n_vocab` tokens whose bos/eos ids are control tokens.
pub fn generate(spec: &ModelSpec) -> GeneratedVocab {
    let n = spec.n_vocab;
    let (bos, eos) = (spec.bos_token as usize, spec.eos_token as usize);
    match spec.vocab {
        VocabKind::LlamaSpm => generate_spm(n),
        _ => generate_bpe(n, bos, eos),
    }
}

fn generate_bpe(n: usize, bos: usize, eos: usize) -> GeneratedVocab {
    let b2u = byte_to_unicode();
    let mut tokens: Vec<String> = Vec::with_capacity(n);
    let mut token_type = Vec::with_capacity(n);
    let mut merges = Vec::new();
    let alpha = alphabet(b2u[b' ' as usize]);
    let mut words = words(&alpha);
    let mut next_byte = 0usize;
    for id in 0..n {
        if id == bos || id == eos {
            let name = if id == bos {
                "<|begin_of_text|>"
            } else {
                "<|end_of_text|>"
            };
            tokens.push(name.to_string());
            token_type.push(TOKEN_CONTROL);
        } else if next_byte < 256 {
            tokens.push(b2u[next_byte].to_string());
            token_type.push(TOKEN_NORMAL);
            next_byte += 1;
        } else {
            let w = words.next().unwrap_or_default();
            let (head, last) = w.split_at(w.len() - 1);
            merges.push(format!(
                "{} {}",
                head.iter().collect::<String>(),
                last.iter().collect::<String>()
            ));
            tokens.push(w.iter().collect());
            token_type.push(TOKEN_NORMAL);
        }
    }
    GeneratedVocab {
        model: "gpt2",
        pre: Some("default"),
        tokens,
        token_type,
        scores: None,
        merges,
    }
}

fn generate_spm(n: usize) -> GeneratedVocab {
    let mut tokens = vec!["<unk>".to_string(), "<s>".to_string(), "</s>".to_string()];
    let mut token_type = vec![TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_CONTROL];
    for b in 0..256 {
        tokens.push(format!("<0x{b:02X}>"));
        token_type.push(TOKEN_BYTE);
    }
    let alpha = alphabet('\u{2581}');
    for c in &alpha {
        tokens.push(c.to_string());
        token_type.push(TOKEN_NORMAL);
    }
    let mut words = words(&alpha);
    while tokens.len() < n {
        tokens.push(words.next().unwrap_or_default().iter().collect());
        token_type.push(TOKEN_NORMAL);
    }
    tokens.truncate(n);
    token_type.truncate(n);
    let scores = (0..tokens.len())
        .map(|i| if i < 259 { 0.0 } else { -(i as f32) })
        .collect();
    GeneratedVocab {
        model: "llama",
        pre: None,
        tokens,
        token_type,
        scores: Some(scores),
        merges: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{find, tiny_spec, Arch, FileType};
    use std::collections::HashSet;

    #[test]
    fn generated_vocabs_are_valid() {
        for spec in [
            tiny_spec(Arch::Llama, FileType::Q8_0),
            find("llama2-7b-q4km").unwrap().clone(),
            find("llama1b-q6k").unwrap().clone(),
        ] {
            let v = generate(&spec);
            assert_eq!(v.tokens.len(), spec.n_vocab, "{}", spec.name);
            assert_eq!(v.token_type.len(), spec.n_vocab);
            let uniq: HashSet<&String> = v.tokens.iter().collect();
            assert_eq!(uniq.len(), spec.n_vocab, "{}: tokens unique", spec.name);
            assert_eq!(v.token_type[spec.bos_token as usize], TOKEN_CONTROL);
            assert_eq!(v.token_type[spec.eos_token as usize], TOKEN_CONTROL);
            for m in &v.merges {
                let (a, b) = m.split_once(' ').unwrap();
                assert!(
                    uniq.contains(&a.to_string()) && uniq.contains(&b.to_string()),
                    "{m}"
                );
                assert!(uniq.contains(&format!("{a}{b}")), "{m}");
            }
        }
        let b2u = byte_to_unicode();
        assert_eq!(b2u[b' ' as usize], 'Ġ');
        assert_eq!(b2u[b'\n' as usize], 'Ċ');
        assert_eq!(b2u[b'a' as usize], 'a');
    }
}
