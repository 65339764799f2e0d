//! Model configs from GGUF metadata, the registry of benchmark models, and synthetic random-weight models.

pub mod config;
pub mod config_read;
pub mod ftype;
pub mod plan;
pub mod registry;
pub mod rope;

pub use config::{Arch, ModelConfig, RopeStyle};
pub use config_read::{MetaScalar, MetaSource};
pub use ftype::{tensor_type, use_more_bits, FileType, TensorRole, ALL_FILE_TYPES};
pub use plan::PlannedTensor;
pub use registry::{
    cache_dir, find, registry, resolve_model, tiny_registry, tiny_spec, ModelSpec, Presence,
    VocabKind,
};
pub use rope::Llama3Rope;
pub use synth::{synth_spec, SynthOptions, SynthProgress, SynthReport};
pub mod synth;
