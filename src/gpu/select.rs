//! Choosing a backend from the command line: nv, cuda, or auto (the first that initialises),
//! always with a one-line reason when one is not available.

use super::backend::Backend;
use super::cuda::CudaBackend;
use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Auto,
    Nv,
    Cuda,
    Cpu,
}

/// An opened backend and the line that says how it was chosen.
pub struct Opened {
    pub backend: Box<dyn Backend>,
    pub note: String,
}

/// Why nv cannot be used in this version.
pub const NV_NOT_BUILT: &str =
    "backend nv (hand-built command queues over hcq) is not built yet in this version of kernlab";

/// Open the backend `kind` on device 0.
pub fn open(kind: BackendKind) -> Result<Opened> {
    match kind {
        BackendKind::Nv => Err(Error::Unsupported(format!(
            "{NV_NOT_BUILT}; use --backend cuda"
        ))),
        BackendKind::Cpu => Err(Error::Unsupported(
            "backend cpu runs no GPU kernels: it is the reference the GPU results are checked \
             against; use --backend cuda"
                .into(),
        )),
        BackendKind::Cuda => {
            let b = CudaBackend::new(0)?;
            let note = format!("backend cuda: {}", describe(b.info()));
            Ok(Opened {
                backend: Box::new(b),
                note,
            })
        }
        BackendKind::Auto => match CudaBackend::new(0) {
            Ok(b) => {
                let note = format!(
                    "backend auto chose cuda ({}); nv: not built yet",
                    describe(b.info())
                );
                Ok(Opened {
                    backend: Box::new(b),
                    note,
                })
            }
            Err(e) => Err(Error::Unsupported(format!(
                "backend auto found no GPU backend: nv: not built yet; {e}"
            ))),
        },
    }
}

fn describe(i: &super::GpuInfo) -> String {
    format!(
        "{}, {}, {} SMs, driver API {}",
        i.name, i.arch, i.sm_count, i.driver
    )
}
