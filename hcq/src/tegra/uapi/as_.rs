//! GPU address space (fd from ALLOC_AS; magic 'A').
//! Source: linux-nvgpu rel-36 `include/uapi/linux/nvgpu-as.h` (line numbers below).

use crate::ioctl::iowr;
use bytemuck::{Pod, Zeroable};
use std::mem::size_of;

pub const NVGPU_AS_IOCTL_MAGIC: u8 = b'A';

/// `struct nvgpu_as_alloc_space_args` (nvgpu-as.h:58).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvgpuAsAllocSpaceArgs {
    pub pages: u64,
    pub page_size: u32,
    pub flags: u32,
    /// `union { __u64 offset; __u64 align; } o_a`: the fixed offset with FIXED_OFFSET, else
    /// the alignment.
    pub o_a: u64,
    pub padding: [u32; 2],
}
const _: () = assert!(size_of::<NvgpuAsAllocSpaceArgs>() == 32); // nvgpu-as.h struct nvgpu_as_alloc_space_args

/// `struct nvgpu_as_bind_channel_args` (nvgpu-as.h:90).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvgpuAsBindChannelArgs {
    pub channel_fd: u32,
}
const _: () = assert!(size_of::<NvgpuAsBindChannelArgs>() == 4); // nvgpu-as.h struct nvgpu_as_bind_channel_args

/// `struct nvgpu_as_map_buffer_ex_args` (nvgpu-as.h:210).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvgpuAsMapBufferExArgs {
    pub flags: u32,
    /// NV_KIND_INVALID (-1) = no compression.
    pub compr_kind: i16,
    pub incompr_kind: i16,
    pub dmabuf_fd: u32,
    /// in/out; 0 = the kernel picks.
    pub page_size: u32,
    pub buffer_offset: u64,
    /// 0 = the whole buffer.
    pub mapping_size: u64,
    /// in: VA with FIXED_OFFSET, else alignment; out: the GPU VA.
    pub offset: u64,
}
const _: () = assert!(size_of::<NvgpuAsMapBufferExArgs>() == 40); // nvgpu-as.h struct nvgpu_as_map_buffer_ex_args

/// `struct nvgpu_as_unmap_buffer_args` (nvgpu-as.h:338).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvgpuAsUnmapBufferArgs {
    pub offset: u64,
}
const _: () = assert!(size_of::<NvgpuAsUnmapBufferArgs>() == 8); // nvgpu-as.h struct nvgpu_as_unmap_buffer_args

/// `struct nvgpu_as_va_region` (nvgpu-as.h:343).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvgpuAsVaRegion {
    pub offset: u64,
    pub page_size: u32,
    pub reserved: u32,
    pub pages: u64,
}
const _: () = assert!(size_of::<NvgpuAsVaRegion>() == 24); // nvgpu-as.h struct nvgpu_as_va_region

/// `struct nvgpu_as_get_va_regions_args` (nvgpu-as.h:350).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvgpuAsGetVaRegionsArgs {
    /// User pointer to an array of `NvgpuAsVaRegion`.
    pub buf_addr: u64,
    /// in: user buffer size in bytes; out: the kernel's size.
    pub buf_size: u32,
    pub reserved: u32,
}
const _: () = assert!(size_of::<NvgpuAsGetVaRegionsArgs>() == 16); // nvgpu-as.h struct nvgpu_as_get_va_regions_args

pub const NVGPU_AS_IOCTL_BIND_CHANNEL: u64 =
    iowr(NVGPU_AS_IOCTL_MAGIC, 1, size_of::<NvgpuAsBindChannelArgs>());
pub const NVGPU_AS_IOCTL_UNMAP_BUFFER: u64 =
    iowr(NVGPU_AS_IOCTL_MAGIC, 5, size_of::<NvgpuAsUnmapBufferArgs>());
pub const NVGPU_AS_IOCTL_ALLOC_SPACE: u64 =
    iowr(NVGPU_AS_IOCTL_MAGIC, 6, size_of::<NvgpuAsAllocSpaceArgs>());
pub const NVGPU_AS_IOCTL_MAP_BUFFER_EX: u64 =
    iowr(NVGPU_AS_IOCTL_MAGIC, 7, size_of::<NvgpuAsMapBufferExArgs>());
pub const NVGPU_AS_IOCTL_GET_VA_REGIONS: u64 = iowr(
    NVGPU_AS_IOCTL_MAGIC,
    8,
    size_of::<NvgpuAsGetVaRegionsArgs>(),
);

/// nvgpu-as.h:50.
pub const NVGPU_AS_ALLOC_SPACE_FLAGS_FIXED_OFFSET: u32 = 0x1;
/// nvgpu-as.h:105.
pub const NVGPU_AS_MAP_BUFFER_FLAGS_FIXED_OFFSET: u32 = 1 << 0;
/// nvgpu-as.h:229 (`#define NV_KIND_INVALID -1`).
pub const NV_KIND_INVALID: i16 = -1;
