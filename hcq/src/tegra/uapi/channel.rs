//! GPFIFO channel (fd from OPEN_CHANNEL; magic 'H').
//! Source: linux-nvgpu rel-36 `include/uapi/linux/nvgpu.h` (line numbers below).

use crate::ioctl::{iow, iowr};
use bytemuck::{Pod, Zeroable};
use std::mem::size_of;

pub const NVGPU_IOCTL_MAGIC: u8 = b'H';

/// `struct nvgpu_gpfifo` (nvgpu.h:999): "this is also the hardware memory format".
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvgpuGpfifo {
    pub entry0: u32,
    pub entry1: u32,
}
const _: () = assert!(size_of::<NvgpuGpfifo>() == 8); // nvgpu.h struct nvgpu_gpfifo

/// `struct nvgpu_alloc_obj_ctx_args` (nvgpu.h:1034).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvgpuAllocObjCtxArgs {
    pub class_num: u32,
    pub flags: u32,
    /// out.
    pub obj_id: u64,
}
const _: () = assert!(size_of::<NvgpuAllocObjCtxArgs>() == 16); // nvgpu.h struct nvgpu_alloc_obj_ctx_args

/// `struct nvgpu_channel_setup_bind_args` (nvgpu.h:1053).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvgpuChannelSetupBindArgs {
    /// Power of two; ≥ 2 with USERMODE_SUPPORT.
    pub num_gpfifo_entries: u32,
    pub num_inflight_jobs: u32,
    pub flags: u32,
    pub userd_dmabuf_fd: i32,
    pub gpfifo_dmabuf_fd: i32,
    /// out: the value the doorbell takes.
    pub work_submit_token: u32,
    /// Must be 0 (linux-channel.c: "not yet supported").
    pub userd_dmabuf_offset: u64,
    /// Must be 0.
    pub gpfifo_dmabuf_offset: u64,
    pub gpfifo_gpu_va: u64,
    pub userd_gpu_va: u64,
    pub usermode_mmio_gpu_va: u64,
    pub reserved: [u32; 9],
    pub _pad0: u32,
}
const _: () = assert!(size_of::<NvgpuChannelSetupBindArgs>() == 104); // nvgpu.h struct nvgpu_channel_setup_bind_args

/// `struct nvgpu_set_error_notifier` (nvgpu.h:1185).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvgpuSetErrorNotifier {
    /// Byte offset of the notification in the buffer.
    pub offset: u64,
    pub size: u64,
    /// dma-buf fd of the buffer.
    pub mem: u32,
    pub padding: u32,
}
const _: () = assert!(size_of::<NvgpuSetErrorNotifier>() == 24); // nvgpu.h struct nvgpu_set_error_notifier

/// The anonymous `time_stamp` member of `struct nvgpu_notification` (nvgpu.h:1193).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvgpuNotificationTimeStamp {
    pub nanoseconds: [u32; 2],
}

/// `struct nvgpu_notification` (nvgpu.h:1192): what the kernel writes into the error
/// notifier buffer when the channel fails.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvgpuNotification {
    pub time_stamp: NvgpuNotificationTimeStamp,
    /// The error code (NVGPU_CHANNEL_*).
    pub info32: u32,
    pub info16: u16,
    /// Non-zero once the kernel has written an error.
    pub status: u16,
}
const _: () = assert!(size_of::<NvgpuNotification>() == 16); // nvgpu.h struct nvgpu_notification

/// `struct nvgpu_channel_wdt_args` (nvgpu.h:1214).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvgpuChannelWdtArgs {
    pub wdt_status: u32,
    pub timeout_ms: u32,
}
const _: () = assert!(size_of::<NvgpuChannelWdtArgs>() == 8); // nvgpu.h struct nvgpu_channel_wdt_args

pub const NVGPU_IOCTL_CHANNEL_ALLOC_OBJ_CTX: u64 =
    iowr(NVGPU_IOCTL_MAGIC, 108, size_of::<NvgpuAllocObjCtxArgs>());
pub const NVGPU_IOCTL_CHANNEL_SET_ERROR_NOTIFIER: u64 =
    iowr(NVGPU_IOCTL_MAGIC, 111, size_of::<NvgpuSetErrorNotifier>());
pub const NVGPU_IOCTL_CHANNEL_WDT: u64 =
    iow(NVGPU_IOCTL_MAGIC, 119, size_of::<NvgpuChannelWdtArgs>());
pub const NVGPU_IOCTL_CHANNEL_SETUP_BIND: u64 = iowr(
    NVGPU_IOCTL_MAGIC,
    128,
    size_of::<NvgpuChannelSetupBindArgs>(),
);

/// nvgpu.h:1085.
pub const NVGPU_CHANNEL_SETUP_BIND_FLAGS_DETERMINISTIC: u32 = 1 << 1;
/// nvgpu.h:1098.
pub const NVGPU_CHANNEL_SETUP_BIND_FLAGS_USERMODE_SUPPORT: u32 = 1 << 3;
/// nvgpu.h:1218.
pub const NVGPU_IOCTL_CHANNEL_DISABLE_WDT: u32 = 1 << 0;

// nvgpu_notification.info32 codes (nvgpu.h:1197..).
pub const NVGPU_CHANNEL_FIFO_ERROR_IDLE_TIMEOUT: u32 = 8;
pub const NVGPU_CHANNEL_GR_EXCEPTION: u32 = 13;
pub const NVGPU_CHANNEL_GR_SEMAPHORE_TIMEOUT: u32 = 24;
pub const NVGPU_CHANNEL_FIFO_ERROR_MMU_ERR_FLT: u32 = 31;
pub const NVGPU_CHANNEL_PBDMA_ERROR: u32 = 32;

/// A name for an error notifier code.
pub fn notifier_code_name(code: u32) -> &'static str {
    match code {
        NVGPU_CHANNEL_FIFO_ERROR_IDLE_TIMEOUT => "FIFO_ERROR_IDLE_TIMEOUT",
        12 => "GR_ERROR_SW_METHOD",
        NVGPU_CHANNEL_GR_EXCEPTION => "GR_EXCEPTION",
        NVGPU_CHANNEL_GR_SEMAPHORE_TIMEOUT => "GR_SEMAPHORE_TIMEOUT",
        25 => "GR_ILLEGAL_NOTIFY",
        NVGPU_CHANNEL_FIFO_ERROR_MMU_ERR_FLT => "FIFO_ERROR_MMU_ERR_FLT",
        NVGPU_CHANNEL_PBDMA_ERROR => "PBDMA_ERROR",
        37 => "FECS_ERR_UNIMP_FIRMWARE_METHOD",
        43 => "RESETCHANNEL_VERIF_ERROR",
        80 => "PBDMA_PUSHBUFFER_CRC_MISMATCH",
        _ => "unknown channel error",
    }
}
