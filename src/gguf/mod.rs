//! GGUF files: a zero-copy reader over memmap2 and a streaming writer.
//!
//! Format facts: gguf-py `gguf/constants.py` / `gguf_reader.py` / `gguf_writer.py` and
//! llama.cpp `ggml/include/gguf.h` (shared/reference/models-and-quants.md §1). Reads v2 and v3,
//! writes v3. Every malformed file gives `Error::Gguf { file, field, offset, msg }`.

mod cursor;
mod file;
mod parse;
mod tensor;
mod value;
mod writer;

pub use file::GgufFile;
pub use parse::{DEFAULT_ALIGNMENT, GGUF_MAGIC, KEY_ALIGNMENT, MAX_ARRAY_DEPTH};
pub use tensor::{align_up, TensorInfo, MAX_DIMS};
pub use value::{tag, Value};
pub use writer::{GgufWriter, GGUF_VERSION, MAX_TENSOR_NAME_B};
pub mod summary;
