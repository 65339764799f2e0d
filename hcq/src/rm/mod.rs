//! The desktop RM/UVM kernel interface (`/dev/nvidiactl`, `/dev/nvidiaN`, `/dev/nvidia-uvm`),
//! following the object tree of shared/reference/rm-hcq.md §1.3: root client → device →
//! subdevice, virtmem, usermode doorbell, VA space (owned by UVM); one channel group (TSG) with
//! its subcontext per channel.

pub mod channel;
pub mod classes;
pub mod fd;
pub mod memory;
pub mod notifier;
pub mod open;
pub mod rmcall;
pub mod uapi;

use crate::iface::GpuInfo;
use rmcall::Rm;
use std::collections::HashMap;
use std::os::fd::OwnedFd;
use uapi::NvHandle;

/// Choices that bring-up settles; the defaults are what ran on the H100.
#[derive(Debug, Clone, Copy, Default)]
pub struct RmOptions {
    /// Which of the cards NV_ESC_CARD_INFO lists (0 = first valid).
    pub card_index: usize,
    /// Also map every buffer into RM's `virtmem` object with NV_ESC_RM_MAP_MEMORY_DMA, as
    /// tinygrad does. Settled on the H100 (580.159.04): not needed — copies of 1/64/256 MiB and
    /// kernel launches give the same results without it (docs/hcq-rm.md), so it is off.
    pub map_into_virtmem: bool,
}

/// GR engine facts from NV2080_CTRL_CMD_GR_GET_INFO (for local-memory sizing and reports).
#[derive(Debug, Clone, Copy, Default)]
pub struct GrInfo {
    /// GR_INFO_INDEX_SHADER_PIPE_COUNT (8 on the H100: not the TPC count on Hopper).
    pub shader_pipe_count: u32,
    /// GR_INFO_INDEX_GPU_CORE_COUNT (FP32 lanes over all SMs) and MAX_SP_PER_SM.
    pub core_count: u32,
    pub sp_per_sm: u32,
    pub sm_per_tpc: u32,
    pub num_gpcs: u32,
    pub tpc_per_gpc: u32,
    pub max_warps_per_sm: u32,
}

impl GrInfo {
    /// SMs = FP32 cores / cores per SM. RM answers MAX_SP_PER_SM with 0 on the H100, so the
    /// per-SM count then comes from the architecture: 64 on sm_80 (A100), 128 on sm_86..sm_90.
    pub fn num_sms(&self, sm_version: u32) -> u32 {
        let per_sm = match (self.sp_per_sm, sm_version) {
            (0, 0x800) => 64,
            (0, _) => 128,
            (n, _) => n,
        };
        self.core_count / per_sm
    }
}

/// A buffer the interface handed out and must take back (CPU mapping fd, VA range, handle).
#[derive(Debug)]
pub(crate) struct MemRecord {
    pub gpu_va: u64,
    pub size_b: u64,
    pub cpu: *mut u8,
    pub map_fd: Option<OwnedFd>,
    pub anon_host: bool,
    pub in_virtmem: bool,
    pub uvm_mapped: bool,
}

/// A channel and the objects it owns, freed in reverse order.
#[derive(Debug)]
pub(crate) struct ChannelRecord {
    pub engine: crate::iface::Engine,
    pub channel: NvHandle,
    pub engine_obj: NvHandle,
    pub ring_mem: u64,
    pub notifier: NvHandle,
    pub notifier_cpu: *mut u8,
    pub notifier_size_b: u64,
    pub notifier_fd: Option<OwnedFd>,
    pub uvm_channel_range: u64,
}

/// Bump allocator for GPU VAs. CPU-visible buffers use the same address on the CPU.
#[derive(Debug)]
pub(crate) struct VaAllocator {
    pub next_low: u64,
    pub next_high: u64,
}

/// [0x10_0000_0000, 0x20_0000_0000): CPU-visible buffers (CPU and GPU share the address).
pub const LOW_VA_BASE: u64 = 0x10_0000_0000;
pub const LOW_VA_END: u64 = 0x20_0000_0000;
/// [0x20_0000_0000, 2^48): GPU-only buffers.
pub const HIGH_VA_BASE: u64 = 0x20_0000_0000;
pub const HIGH_VA_END: u64 = 1 << 48;

/// The desktop RM interface. Open with [`RmIface::open`]; everything is freed on drop.
pub struct RmIface {
    pub(crate) opts: RmOptions,
    /// Held open for the life of the interface: closing it makes RM free the client.
    #[allow(dead_code)]
    pub(crate) ctl: OwnedFd,
    pub(crate) uvm: OwnedFd,
    pub(crate) _uvm_mm: Option<OwnedFd>,
    pub(crate) gpu_fd: OwnedFd,
    pub(crate) minor: u32,
    pub(crate) rm: Rm,
    pub(crate) device: NvHandle,
    pub(crate) subdevice: NvHandle,
    pub(crate) virtmem: NvHandle,
    pub(crate) usermode: NvHandle,
    pub(crate) vaspace: NvHandle,
    pub(crate) doorbell: *mut u8,
    pub(crate) doorbell_fd: Option<OwnedFd>,
    pub(crate) gpu_uuid: [u8; 16],
    pub(crate) info: GpuInfo,
    pub gr: GrInfo,
    pub(crate) va: VaAllocator,
    pub(crate) next_os_handle: NvHandle,
    pub(crate) mems: HashMap<u64, MemRecord>,
    pub(crate) channels: HashMap<u64, ChannelRecord>,
    /// The one channel group (TSG) and subcontext every channel joins (see channel.rs).
    pub(crate) tsg: NvHandle,
    pub(crate) ctxshare: NvHandle,
}

// The raw pointers are mappings owned by this object.
unsafe impl Send for RmIface {}

pub use open::probe_nodes;
