//! Byte-level BPE tokenizer from a GGUF's metadata.
