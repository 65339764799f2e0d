//! Choosing a backend from the command line: nv, cuda, or auto (nv, then cuda; the CPU runs no
//! GPU kernels), always with a one-line reason for the choice and for what was passed over.

use super::backend::Backend;
use super::cuda::CudaBackend;
use super::nv::NvBackend;
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

/// Why cpu is not a backend.
pub const CPU_NOT_A_BACKEND: &str = "backend cpu runs no GPU kernels: it is the reference the GPU \
     results are checked against";

/// Open the backend `kind` on device 0.
pub fn open(kind: BackendKind) -> Result<Opened> {
    let nv = || NvBackend::open().map(|b| Box::new(b) as Box<dyn Backend>);
    let cuda = || CudaBackend::new(0).map(|b| Box::new(b) as Box<dyn Backend>);
    open_with(kind, nv, cuda)
}

/// `open` with the two openers given (tests pass fakes): auto tries nv, and only if it fails
/// cuda; the note names the one chosen and the reason the others were passed over.
pub fn open_with(
    kind: BackendKind,
    nv: impl FnOnce() -> Result<Box<dyn Backend>>,
    cuda: impl FnOnce() -> Result<Box<dyn Backend>>,
) -> Result<Opened> {
    let opened = |b: Box<dyn Backend>, why: String| {
        let note = format!("backend {}: {}{why}", b.info().backend, describe(b.info()));
        Ok(Opened { backend: b, note })
    };
    match kind {
        BackendKind::Cpu => Err(Error::Unsupported(format!(
            "{CPU_NOT_A_BACKEND}; use --backend nv or cuda"
        ))),
        BackendKind::Nv => opened(nv()?, String::new()),
        BackendKind::Cuda => opened(cuda()?, String::new()),
        BackendKind::Auto => match nv() {
            Ok(b) => opened(b, " (auto: nv is preferred and it opened)".into()),
            Err(nv_err) => match cuda() {
                Ok(b) => opened(
                    b,
                    format!(" (auto: nv unavailable: {})", labeled("nv", &nv_err)),
                ),
                Err(cuda_err) => Err(Error::Unsupported(format!(
                    "backend auto found no GPU backend: {}; {}; cpu: {CPU_NOT_A_BACKEND}",
                    labeled("nv", &nv_err),
                    labeled("cuda", &cuda_err)
                ))),
            },
        },
    }
}

/// The error on one line, starting with the backend's name once.
fn labeled(name: &str, e: &Error) -> String {
    let text = e.to_string().replace('\n', " ");
    if text.starts_with(&format!("{name}:")) {
        text
    } else {
        format!("{name}: {text}")
    }
}

fn describe(i: &super::GpuInfo) -> String {
    format!(
        "{}, {}, {} SMs, driver {}",
        i.name, i.arch, i.sm_count, i.driver
    )
}
