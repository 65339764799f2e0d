//! Pre-tokenizers: split text into the pieces BPE runs on, as llama.cpp's regexes do for
//! `llama-bpe` (LLaMA 3) and `qwen2` (Qwen2/2.5/3). Both are
//!   contractions | [^\r\n\p{L}\p{N}]?\p{L}+ | digits | ` ?[^\s\p{L}\p{N}]+[\r\n]*` | `\s*[\r\n]+` | `\s+(?!\S)` | `\s+`
//! and differ only in digits: runs of 1–3 (llama-bpe) or one at a time (qwen2)
//! (models-and-quants.md §8). The alternatives are matched by hand, in order, with the regex's
//! greedy-then-backtrack meaning spelled out at each one.

/// Which regex family a vocabulary uses (`tokenizer.ggml.pre`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreTokenizer {
    /// LLaMA 3.x: digits in runs of up to 3.
    LlamaBpe,
    /// Qwen2/2.5/3: digits one at a time.
    Qwen2,
    /// GPT-2's original regex (`tokenizer.ggml.pre` = "default" or "gpt2"):
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    Gpt2,
}

impl PreTokenizer {
    pub fn from_name(name: &str) -> Option<PreTokenizer> {
        match name {
            "llama-bpe" | "llama3" | "llama-v3" => Some(PreTokenizer::LlamaBpe),
            "qwen2" | "qwen3" => Some(PreTokenizer::Qwen2),
            "default" | "gpt2" | "gpt-2" => Some(PreTokenizer::Gpt2),
            _ => None,
        }
    }

    fn max_digits(self) -> usize {
        match self {
            PreTokenizer::LlamaBpe => 3,
            PreTokenizer::Qwen2 => 1,
            PreTokenizer::Gpt2 => usize::MAX,
        }
    }
}

// \p{L}: Rust's `is_alphabetic` is the Alphabetic property, which adds letter-like marks and
// letter numbers to the L categories; digits in numeric scripts are `is_numeric` (= \p{N}).
fn is_letter(c: char) -> bool {
    c.is_alphabetic() && !c.is_numeric()
}
fn is_number(c: char) -> bool {
    c.is_numeric()
}
fn is_newline(c: char) -> bool {
    c == '\r' || c == '\n'
}

/// Split `text` into pre-tokens (borrowed slices, in order, covering the whole text).
pub fn split(kind: PreTokenizer, text: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let n = chars.len();
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let byte_at = |i: usize| if i < n { chars[i].0 } else { text.len() };
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let len = match_at(kind, &at, i, n);
        out.push(&text[byte_at(i)..byte_at(i + len)]);
        i += len;
    }
    out
}

/// GPT-2: each class optionally led by one space; no newline special case.
fn match_gpt2(at: &dyn Fn(usize) -> Option<char>, i: usize, n: usize) -> usize {
    let c = at(i).unwrap_or('\0');
    if c == '\'' {
        match (at(i + 1), at(i + 2)) {
            (Some('r'), Some('e')) | (Some('v'), Some('e')) | (Some('l'), Some('l')) => return 3,
            (Some('s' | 't' | 'm' | 'd'), _) => return 2,
            _ => {}
        }
    }
    let is_punct = |x: char| !x.is_whitespace() && !is_letter(x) && !is_number(x);
    let classes: [&dyn Fn(char) -> bool; 3] = [&is_letter, &is_number, &is_punct];
    let start = if c == ' ' { i + 1 } else { i };
    for class in classes {
        if at(start).is_some_and(class) {
            let mut k = start;
            while k < n && at(k).is_some_and(class) {
                k += 1;
            }
            return k - i;
        }
    }
    let mut ws_end = i;
    while ws_end < n && at(ws_end).is_some_and(char::is_whitespace) {
        ws_end += 1;
    }
    if ws_end == n || ws_end - i < 2 {
        (ws_end - i).max(1)
    } else {
        ws_end - i - 1
    }
}

/// Length in chars of the match at `i` (always ≥ 1).
fn match_at(kind: PreTokenizer, at: &dyn Fn(usize) -> Option<char>, i: usize, n: usize) -> usize {
    if kind == PreTokenizer::Gpt2 {
        return match_gpt2(at, i, n);
    }
    let c = at(i).unwrap_or('\0');
    // 1. contractions: 's 't 're 've 'm 'll 'd, any case
    if c == '\'' {
        let l1 = at(i + 1).map(|x| x.to_ascii_lowercase());
        let l2 = at(i + 2).map(|x| x.to_ascii_lowercase());
        match (l1, l2) {
            (Some('r'), Some('e')) | (Some('v'), Some('e')) | (Some('l'), Some('l')) => return 3,
            (Some('s' | 't' | 'm' | 'd'), _) => return 2,
            _ => {}
        }
    }
    // 2. [^\r\n\p{L}\p{N}]?\p{L}+
    let letters_from = |j: usize| {
        let mut k = j;
        while k < n && at(k).is_some_and(is_letter) {
            k += 1;
        }
        k - j
    };
    if is_letter(c) {
        return letters_from(i);
    }
    if !is_newline(c) && !is_number(c) && at(i + 1).is_some_and(is_letter) {
        return 1 + letters_from(i + 1);
    }
    // 3. digits
    if is_number(c) {
        let mut k = 0;
        while k < kind.max_digits() && at(i + k).is_some_and(is_number) {
            k += 1;
        }
        return k;
    }
    // 4. ` ?[^\s\p{L}\p{N}]+[\r\n]*`
    let is_punct = |x: char| !x.is_whitespace() && !is_letter(x) && !is_number(x);
    let start = if c == ' ' && at(i + 1).is_some_and(is_punct) {
        i + 1
    } else {
        i
    };
    if at(start).is_some_and(is_punct) {
        let mut k = start;
        while k < n && at(k).is_some_and(is_punct) {
            k += 1;
        }
        while k < n && at(k).is_some_and(is_newline) {
            k += 1;
        }
        return k - i;
    }
    // whitespace run [i, ws_end)
    let mut ws_end = i;
    while ws_end < n && at(ws_end).is_some_and(char::is_whitespace) {
        ws_end += 1;
    }
    if ws_end > i {
        // 5. \s*[\r\n]+ : greedy \s* backs off to the last newline of the run.
        if let Some(last_nl) = (i..ws_end).rev().find(|&k| at(k).is_some_and(is_newline)) {
            return last_nl + 1 - i;
        }
        // 6. \s+(?!\S) : the whole run at the end of text, else all but the last space.
        if ws_end == n {
            return ws_end - i;
        }
        if ws_end - i >= 2 {
            return ws_end - i - 1;
        }
        // 7. \s+
        return 1;
    }
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_the_regex() {
        let k = PreTokenizer::LlamaBpe;
        assert_eq!(split(k, "Hello world"), ["Hello", " world"]);
        assert_eq!(split(k, "I'm here"), ["I", "'m", " here"]);
        assert_eq!(split(k, "12345"), ["123", "45"]);
        assert_eq!(split(PreTokenizer::Qwen2, "123"), ["1", "2", "3"]);
        assert_eq!(split(k, "a  b"), ["a", " ", " b"]);
        assert_eq!(split(k, "a\n\n b"), ["a", "\n\n", " b"]);
        assert_eq!(split(k, "x!!\n"), ["x", "!!\n"]);
        assert_eq!(split(k, "   "), ["   "]);
        assert_eq!(split(k, " \t\n  x"), [" \t\n", " ", " x"]);
        let g = PreTokenizer::Gpt2;
        assert_eq!(
            split(g, "Hello world 12345!!"),
            ["Hello", " world", " 12345", "!!"]
        );
        // `\s+(?!\S)` leaves the last newline before "b" to `\s+`.
        assert_eq!(split(g, "a\n\nb  c"), ["a", "\n", "\n", "b", " ", " c"]);
        assert_eq!(split(g, "don't"), ["don", "'t"]);
    }
}
