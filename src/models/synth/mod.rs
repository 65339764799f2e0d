//! Synthetic random-weight models with a registry model's exact tensor names, shapes, quant
//! types and metadata.

mod pool;
mod rng;
mod vocab_gen;

pub use pool::{Pool, CHUNK_ELEMS, POOL_CHUNKS, WEIGHT_STD};
pub use rng::Rng;
pub use vocab_gen::{
    byte_to_unicode, generate as generate_vocab, GeneratedVocab, TOKEN_BYTE, TOKEN_CONTROL,
    TOKEN_NORMAL, TOKEN_UNKNOWN, TOKEN_UNUSED,
};
