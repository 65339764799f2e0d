//! Synthetic random-weight models with a registry model's exact tensor names, shapes, quant
//! types and metadata. The weights are random (not a trained model); see `pool` for how they
//! are drawn. Files are written with `gguf::GgufWriter`, one tensor in memory at a time.

mod meta;
mod pool;
mod rng;
mod vocab;
mod vocab_gen;
mod write;

pub use pool::{Pool, CHUNK_ELEMS, POOL_CHUNKS, WEIGHT_STD};
pub use rng::Rng;
pub use vocab::{find_vocab_file, vocab_dirs};
pub use vocab_gen::{
    byte_to_unicode, generate as generate_vocab, GeneratedVocab, TOKEN_BYTE, TOKEN_CONTROL,
    TOKEN_NORMAL, TOKEN_UNKNOWN, TOKEN_UNUSED,
};
pub use write::{effective_spec, synth_spec, SynthOptions, SynthProgress, SynthReport};
