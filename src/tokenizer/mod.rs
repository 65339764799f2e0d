//! Byte-level BPE tokenizer from a GGUF's metadata (llama-bpe and qwen2 pre-tokenizers).

pub mod bpe;
pub mod bytes;
pub mod load;
pub mod pretok;

pub use bpe::BpeTokenizer;
pub use load::load_from_gguf;
pub use pretok::PreTokenizer;
