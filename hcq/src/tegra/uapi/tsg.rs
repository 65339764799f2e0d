//! TSG, the timeslice group (fd from OPEN_TSG; magic 'T').
//! Source: linux-nvgpu rel-36 `include/uapi/linux/nvgpu.h` (line numbers below).

use crate::ioctl::{iow, iowr};
use bytemuck::{Pod, Zeroable};
use std::mem::size_of;

pub const NVGPU_TSG_IOCTL_MAGIC: u8 = b'T';

/// `struct nvgpu_tsg_bind_channel_ex_args` (nvgpu.h:34).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvgpuTsgBindChannelExArgs {
    pub channel_fd: i32,
    /// The VEID from CREATE_SUBCONTEXT.
    pub subcontext_id: u32,
    pub reserved: [u8; 16],
}
const _: () = assert!(size_of::<NvgpuTsgBindChannelExArgs>() == 24); // nvgpu.h struct nvgpu_tsg_bind_channel_ex_args

/// `struct nvgpu_tsg_create_subcontext_args` (nvgpu.h:160).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvgpuTsgCreateSubcontextArgs {
    pub r#type: u32,
    pub as_fd: i32,
    /// out: the VEID.
    pub veid: u32,
    pub reserved: u32,
}
const _: () = assert!(size_of::<NvgpuTsgCreateSubcontextArgs>() == 16); // nvgpu.h struct nvgpu_tsg_create_subcontext_args

/// `struct nvgpu_tsg_delete_subcontext_args` (nvgpu.h:190).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvgpuTsgDeleteSubcontextArgs {
    pub veid: u32,
    pub reserved: u32,
}
const _: () = assert!(size_of::<NvgpuTsgDeleteSubcontextArgs>() == 8); // nvgpu.h struct nvgpu_tsg_delete_subcontext_args

pub const NVGPU_TSG_IOCTL_BIND_CHANNEL_EX: u64 = iowr(
    NVGPU_TSG_IOCTL_MAGIC,
    11,
    size_of::<NvgpuTsgBindChannelExArgs>(),
);
pub const NVGPU_TSG_IOCTL_CREATE_SUBCONTEXT: u64 = iowr(
    NVGPU_TSG_IOCTL_MAGIC,
    18,
    size_of::<NvgpuTsgCreateSubcontextArgs>(),
);
pub const NVGPU_TSG_IOCTL_DELETE_SUBCONTEXT: u64 = iow(
    NVGPU_TSG_IOCTL_MAGIC,
    19,
    size_of::<NvgpuTsgDeleteSubcontextArgs>(),
);

/// nvgpu.h:157: asynchronous subcontext, for compute and copy channels.
pub const NVGPU_TSG_SUBCONTEXT_TYPE_ASYNC: u32 = 0x1;
