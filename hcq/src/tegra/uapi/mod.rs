//! Tegra nvgpu/nvmap uapi: `#[repr(C)]` ioctl argument structs declared exactly as the r36
//! headers define them (same field names, types and padding; padding the C compiler inserts
//! implicitly is an explicit `_padN` field here so the structs are `Pod`), and the ioctl numbers.
//!
//! Sources (tegra-nvgpu.md §2): nvgpu uapi from `nvidia-mirror/linux-nvgpu` branch `rel-36`
//! (commit 6ecfb593d) `include/uapi/linux/{nvgpu.h,nvgpu-ctrl.h,nvgpu-as.h}`; nvmap uapi from
//! `sradcliffe-nottinghamspirk/linux-nv-oot` branch `l4t/l4t-r36.2` `include/uapi/linux/nvmap.h`,
//! heap/flag values from its `include/linux/nvmap.h`. Layouts are LP64 (aarch64 = x86-64 here);
//! `unsigned long` fields are `u64`. Every size and offset is tested in `hcq/tests/tegra_uapi.rs`
//! against values printed by a C program compiling those headers.

pub mod as_;
pub mod channel;
pub mod ctrl;
pub mod nvmap;
pub mod tsg;

pub use as_::*;
pub use channel::*;
pub use ctrl::*;
pub use nvmap::*;
pub use tsg::*;

// The layouts below assume LP64 (`unsigned long` = 8 bytes).
const _: () = assert!(std::mem::size_of::<libc::c_ulong>() == 8);
