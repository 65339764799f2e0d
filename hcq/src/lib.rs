//! hcq: hardware command queues for NVIDIA GPUs, driven through raw kernel ioctls.
//!
//! Layers, bottom up: `ioctl` (the one door to the kernel, with tracing) → `iface` (the kernel
//! interface trait; `rm` desktop RM/UVM, `tegra` nvgpu/nvmap, `mock` recording) → pushbuffers,
//! QMDs, signals and queues → the callers in kernlab.

pub mod classes;
pub mod cubin;
pub mod device;
pub mod error;
pub mod gpfifo;
pub mod iface;
pub mod ioctl;
pub mod mock;
pub mod program;
pub mod pushbuf;
pub mod qmd;
pub mod queue;
pub mod rm;
pub mod select;
pub mod signal;
pub mod tegra;

pub use classes::{pick_classes, qmd_version_for};
pub use cubin::{Cubin, KernelInfo};
pub use device::Device;
pub use error::{HcqError, Result};
pub use gpfifo::Ring;
pub use iface::{
    Channel, ChannelFault, Classes, Engine, GpuInfo, Iface, Mem, MemPlace, ShaderWindows,
};
pub use mock::{MockGpu, MockHandle};
pub use program::{Kernel, Module};
pub use pushbuf::PushBuf;
pub use qmd::{Field, Qmd, QmdVersion};
pub use queue::{ComputeQueue, CopyQueue, CopySlots, LaunchId, Slot};
pub use signal::{Signal, SignalPool};
