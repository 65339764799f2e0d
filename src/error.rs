//! The one error type of the kernlab library. Every variant names what failed and where, so a
//! user sees one clear line and never a panic.

use std::fmt;

#[derive(Debug)]
pub enum Error {
    /// A GGUF file is malformed: which file, which field, at which byte offset.
    Gguf {
        file: String,
        field: String,
        offset: u64,
        msg: String,
    },
    /// An I/O call on a path failed.
    Io {
        path: String,
        source: std::io::Error,
    },
    /// A quantization or block-layout problem (bad shape for the block size, unknown type).
    Quant(String),
    /// A model file does not describe a model kernlab can run (missing key, bad shape).
    Model(String),
    /// The named model is not on disk; the message says how to get it.
    ModelMissing {
        name: String,
        path: String,
        how: String,
    },
    /// A bad command line value.
    Usage(String),
    /// The feature needs a backend or device that is not present or not built yet.
    Unsupported(String),
    /// A correctness check against the CPU reference failed.
    Check(String),
    /// The CUDA driver path failed (the error names the driver call).
    Cuda(cuda_shim::CudaError),
    /// The hand-built command queue path failed (ioctl, RM status, timeout, channel error).
    Hcq(hcq::HcqError),
    /// PTX assembly or cubin handling failed.
    Ptx(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Gguf {
                file,
                field,
                offset,
                msg,
            } => {
                write!(f, "{file}: bad GGUF at offset {offset} ({field}): {msg}")
            }
            Error::Io { path, source } => write!(f, "{path}: {source}"),
            Error::Quant(m) => write!(f, "quant: {m}"),
            Error::Model(m) => write!(f, "model: {m}"),
            Error::ModelMissing { name, path, how } => {
                write!(f, "model {name} is not on disk (looked for {path}); {how}")
            }
            Error::Usage(m) => write!(f, "usage: {m}"),
            Error::Unsupported(m) => write!(f, "unsupported: {m}"),
            Error::Check(m) => write!(f, "check failed: {m}"),
            Error::Cuda(e) => write!(f, "cuda: {e}"),
            Error::Hcq(e) => write!(f, "nv: {e}"),
            Error::Ptx(m) => write!(f, "ptx: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<cuda_shim::CudaError> for Error {
    fn from(e: cuda_shim::CudaError) -> Self {
        Error::Cuda(e)
    }
}

impl From<hcq::HcqError> for Error {
    fn from(e: hcq::HcqError) -> Self {
        Error::Hcq(e)
    }
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}
