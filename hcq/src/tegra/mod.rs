//! Tegra (Jetson Orin, ga10b) kernel interface: nvgpu + nvmap raw ioctls, as the working
//! jetpack-nixos port does it (tegra-nvgpu.md §3b). NOT run on hardware yet: tested against the
//! r36 headers (layouts, numbers) and, through a recording fake kernel, against the documented
//! bring-up sequence and its pitfalls.
//!
//! Files: `uapi/` (structs and numbers), `sys.rs` (the syscall seam: real or fake), `layout.rs`
//! (the port's numbers and size rules), `open.rs` (bring-up), `memory.rs` (nvmap buffers),
//! `channel.rs` (channels, doorbell, error notifier), `fake.rs` (the fake kernel),
//! `probe.rs` (doctor lines).

pub mod channel;
pub mod fake;
pub mod layout;
pub mod memory;
pub mod open;
pub mod probe;
pub mod sys;
pub mod uapi;

pub use fake::{FakeKernel, FakeRecord};
pub use open::{TegraIface, TegraPaths};
pub use probe::probe_report;
pub use sys::{RealSys, TegraSys};
