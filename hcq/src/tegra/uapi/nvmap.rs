//! /dev/nvmap (magic 'N'): memory handles. Source: linux-nv-oot r36.2 `include/uapi/linux/nvmap.h`
//! (line numbers below), constants from `include/linux/nvmap.h`.

use crate::ioctl::{io, ior, iow, iowr};
use bytemuck::{Pod, Zeroable};
use std::mem::size_of;

pub const NVMAP_IOC_MAGIC: u8 = b'N';

/// `struct nvmap_create_handle` (nvmap.h:45), view used by CREATE: the first member of the
/// outer union, `{ union { __u32 size; __s32 fd; }; __u32 handle; }`. The C union holds a
/// `__u64` (`size64`, `ivm_id`), hence 8-byte alignment.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvmapCreateHandle {
    /// in: size in bytes (CREATE); overwritten by the kernel.
    pub size: u32,
    /// out: the handle (r36: a small per-client id with bit 31 set, not an fd).
    pub handle: u32,
}
const _: () = assert!(size_of::<NvmapCreateHandle>() == 8); // nvmap.h struct nvmap_create_handle

/// The same `struct nvmap_create_handle` (nvmap.h:45), view used by GET_FD / FROM_FD: the `fd`
/// member of the inner union at offset 0.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvmapCreateHandleFd {
    /// out (GET_FD): the dma-buf fd.
    pub fd: i32,
    /// in (GET_FD): the handle.
    pub handle: u32,
}
const _: () = assert!(size_of::<NvmapCreateHandleFd>() == 8); // nvmap.h struct nvmap_create_handle

/// `struct nvmap_alloc_handle` (nvmap.h:91).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvmapAllocHandle {
    pub handle: u32,
    pub heap_mask: u32,
    pub flags: u32,
    /// Power of two; the kernel raises it to at least PAGE_SIZE.
    pub align: u32,
    /// 0, or -1 = NUMA_NO_NODE.
    pub numa_nid: i32,
}
const _: () = assert!(size_of::<NvmapAllocHandle>() == 20); // nvmap.h struct nvmap_alloc_handle

/// `struct nvmap_handle_param` (nvmap.h:133).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvmapHandleParam {
    pub handle: u32,
    pub param: u32,
    /// `unsigned long` in the header.
    pub result: u64,
}
const _: () = assert!(size_of::<NvmapHandleParam>() == 16); // nvmap.h struct nvmap_handle_param

/// `struct nvmap_cache_op` (nvmap.h:149).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvmapCacheOp {
    /// `unsigned long`: CPU virtual address of the range.
    pub addr: u64,
    pub handle: u32,
    pub len: u32,
    pub op: i32,
    pub _pad0: u32,
}
const _: () = assert!(size_of::<NvmapCacheOp>() == 24); // nvmap.h struct nvmap_cache_op

/// `struct nvmap_cache_op_64` (nvmap.h:156).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvmapCacheOp64 {
    pub addr: u64,
    pub handle: u32,
    pub _pad0: u32,
    pub len: u64,
    pub op: i32,
    pub _pad1: u32,
}
const _: () = assert!(size_of::<NvmapCacheOp64>() == 32); // nvmap.h struct nvmap_cache_op_64

/// `struct nvmap_available_heaps` (nvmap.h:203).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvmapAvailableHeaps {
    pub heaps: u64,
}
const _: () = assert!(size_of::<NvmapAvailableHeaps>() == 8); // nvmap.h struct nvmap_available_heaps

/// `struct nvmap_query_heap_params` (nvmap.h:236).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvmapQueryHeapParams {
    pub heap_mask: u32,
    pub flags: u32,
    pub contig: u8,
    pub _pad0: [u8; 7],
    pub total: u64,
    pub free: u64,
    pub largest_free_block: u64,
    pub granule_size: u32,
    pub _pad1: u32,
}
const _: () = assert!(size_of::<NvmapQueryHeapParams>() == 48); // nvmap.h struct nvmap_query_heap_params

pub const NVMAP_IOC_CREATE: u64 = iowr(NVMAP_IOC_MAGIC, 0, size_of::<NvmapCreateHandle>());
pub const NVMAP_IOC_ALLOC: u64 = iow(NVMAP_IOC_MAGIC, 3, size_of::<NvmapAllocHandle>());
/// Takes the handle BY VALUE as the ioctl argument (not a pointer).
pub const NVMAP_IOC_FREE: u64 = io(NVMAP_IOC_MAGIC, 4);
pub const NVMAP_IOC_PARAM: u64 = iowr(NVMAP_IOC_MAGIC, 8, size_of::<NvmapHandleParam>());
pub const NVMAP_IOC_CACHE: u64 = iow(NVMAP_IOC_MAGIC, 12, size_of::<NvmapCacheOp>());
pub const NVMAP_IOC_CACHE_64: u64 = iow(NVMAP_IOC_MAGIC, 12, size_of::<NvmapCacheOp64>());
pub const NVMAP_IOC_GET_FD: u64 = iowr(NVMAP_IOC_MAGIC, 15, size_of::<NvmapCreateHandle>());
pub const NVMAP_IOC_GET_AVAILABLE_HEAPS: u64 =
    ior(NVMAP_IOC_MAGIC, 25, size_of::<NvmapAvailableHeaps>());
pub const NVMAP_IOC_QUERY_HEAP_PARAMS: u64 =
    ior(NVMAP_IOC_MAGIC, 105, size_of::<NvmapQueryHeapParams>());

// enum in nvmap.h:21 (NVMAP_HANDLE_PARAM_*).
pub const NVMAP_HANDLE_PARAM_SIZE: u32 = 1;
pub const NVMAP_HANDLE_PARAM_HEAP: u32 = 4;

// enum in nvmap.h:30 (NVMAP_CACHE_OP_*).
pub const NVMAP_CACHE_OP_WB: i32 = 0;
pub const NVMAP_CACHE_OP_INV: i32 = 1;
pub const NVMAP_CACHE_OP_WB_INV: i32 = 2;

// include/linux/nvmap.h: heaps.
/// System pages mapped through the SMMU: what CUDA and the working port allocate from.
pub const NVMAP_HEAP_IOVMM: u32 = 1 << 30;

// include/linux/nvmap.h: handle flags (cache attribute in bits 1:0).
pub const NVMAP_HANDLE_UNCACHEABLE: u32 = 0;
pub const NVMAP_HANDLE_WRITE_COMBINE: u32 = 1;
pub const NVMAP_HANDLE_INNER_CACHEABLE: u32 = 2;
pub const NVMAP_HANDLE_CACHEABLE: u32 = 3;
pub const NVMAP_HANDLE_CACHE_FLAG: u32 = 3;
