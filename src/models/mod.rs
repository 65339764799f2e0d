//! Model configs from GGUF metadata, the registry of benchmark models, and synthetic random-weight models.
