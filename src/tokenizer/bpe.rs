//! Byte-level BPE (tokenizer.ggml.model = "gpt2"): pre-tokenize, map bytes to the GPT-2
//! alphabet, then repeatedly merge the adjacent pair of lowest rank (rank = index in
//! `tokenizer.ggml.merges`, leftmost on ties), and look the symbols up in the vocabulary.
//! LLaMA 3 sets `ignore_merges`: a pre-token that is already a vocabulary entry is emitted
//! whole (HF `"ignore_merges": true`). Source: models-and-quants.md §8, llama.cpp llama-vocab.cpp.

use super::bytes::{byte_to_char_table, char_to_byte};
use super::pretok::{self, PreTokenizer};
use std::collections::HashMap;

/// Token types of `tokenizer.ggml.token_type`.
pub const TOKEN_TYPE_CONTROL: i32 = 3;
pub const TOKEN_TYPE_USER_DEFINED: i32 = 4;

pub struct BpeTokenizer {
    pre: PreTokenizer,
    tokens: Vec<String>,
    ids: HashMap<String, u32>,
    /// (left, right) → rank
    merges: HashMap<(String, String), u32>,
    /// Control and user-defined tokens, longest first, matched as exact strings when asked.
    specials: Vec<(String, u32)>,
    ignore_merges: bool,
    byte_chars: [char; 256],
}

impl BpeTokenizer {
    /// Build from the vocabulary arrays of a GGUF. `token_types` may be empty.
    pub fn new(
        pre: PreTokenizer,
        tokens: Vec<String>,
        merges: &[&str],
        token_types: &[i32],
    ) -> Result<Self, String> {
        let mut ids = HashMap::with_capacity(tokens.len());
        for (i, t) in tokens.iter().enumerate() {
            ids.entry(t.clone()).or_insert(i as u32);
        }
        let mut merge_map = HashMap::with_capacity(merges.len());
        for (rank, m) in merges.iter().enumerate() {
            let (l, r) = m
                .split_once(' ')
                .ok_or_else(|| format!("merge {rank} '{m}' has no space"))?;
            merge_map
                .entry((l.to_string(), r.to_string()))
                .or_insert(rank as u32);
        }
        let mut specials: Vec<(String, u32)> = token_types
            .iter()
            .enumerate()
            .filter(|(_, &t)| t == TOKEN_TYPE_CONTROL || t == TOKEN_TYPE_USER_DEFINED)
            .filter_map(|(i, _)| tokens.get(i).map(|s| (s.clone(), i as u32)))
            .filter(|(s, _)| !s.is_empty())
            .collect();
        specials.sort_by_key(|s| std::cmp::Reverse(s.0.len()));
        Ok(BpeTokenizer {
            pre,
            tokens,
            ids,
            merges: merge_map,
            specials,
            ignore_merges: pre == PreTokenizer::LlamaBpe,
            byte_chars: byte_to_char_table(),
        })
    }

    pub fn pre(&self) -> PreTokenizer {
        self.pre
    }

    pub fn vocab_size(&self) -> usize {
        self.tokens.len()
    }

    pub fn token_id(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }

    /// Encode text. With `parse_special`, exact strings of control / user-defined tokens
    /// (e.g. `<|im_start|>`) become those tokens instead of being spelt out.
    pub fn encode(&self, text: &str, parse_special: bool) -> Vec<u32> {
        let mut out = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            // Find the earliest special token in `rest` (longest at that position).
            let hit = if parse_special {
                self.specials
                    .iter()
                    .filter_map(|(s, id)| rest.find(s.as_str()).map(|pos| (pos, s.len(), *id)))
                    .min_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
            } else {
                None
            };
            let (plain, after) = match hit {
                Some(h) => (&rest[..h.0], Some(h)),
                None => (rest, None),
            };
            for piece in pretok::split(self.pre, plain) {
                self.encode_piece(piece, &mut out);
            }
            match after {
                Some((pos, len, id)) => {
                    out.push(id);
                    rest = &rest[pos + len..];
                }
                None => break,
            }
        }
        out
    }

    fn encode_piece(&self, piece: &str, out: &mut Vec<u32>) {
        let mapped: String = piece.bytes().map(|b| self.byte_chars[b as usize]).collect();
        if self.ignore_merges {
            if let Some(&id) = self.ids.get(&mapped) {
                out.push(id);
                return;
            }
        }
        let mut symbols: Vec<String> = mapped.chars().map(String::from).collect();
        // Merge the lowest-ranked adjacent pair until none has a rank (pieces are short:
        // the quadratic scan is cheaper than a heap here).
        loop {
            let best = symbols
                .windows(2)
                .enumerate()
                .filter_map(|(i, w)| {
                    self.merges
                        .get(&(w[0].clone(), w[1].clone()))
                        .map(|&r| (r, i))
                })
                .min();
            let Some((_, i)) = best else { break };
            let right = symbols.remove(i + 1);
            symbols[i].push_str(&right);
        }
        for s in symbols {
            match self.ids.get(&s) {
                Some(&id) => out.push(id),
                // A symbol outside the vocabulary: fall back to its single characters.
                None => {
                    for c in s.chars() {
                        if let Some(&id) = self.ids.get(&c.to_string()) {
                            out.push(id);
                        }
                    }
                }
            }
        }
    }

    /// The bytes a token stands for (specials give their text).
    pub fn token_bytes(&self, id: u32) -> Vec<u8> {
        let Some(s) = self.tokens.get(id as usize) else {
            return Vec::new();
        };
        if self.specials.iter().any(|(_, sid)| *sid == id) {
            return s.as_bytes().to_vec();
        }
        s.chars()
            .map(|c| {
                char_to_byte(c)
                    .map(|b| vec![b])
                    .unwrap_or_else(|| c.to_string().into_bytes())
            })
            .fold(Vec::new(), |mut acc, b| {
                acc.extend(b);
                acc
            })
    }

    /// Decode ids to text (invalid UTF-8 is replaced; stream with `token_bytes` to avoid that).
    pub fn decode(&self, ids: &[u32]) -> String {
        let bytes: Vec<u8> = ids.iter().flat_map(|&id| self.token_bytes(id)).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}
