//! GGUF files: a zero-copy reader over memmap2 and a writer.
