//! GPU control node (/dev/nvhost-ctrl-gpu, /dev/nvgpu/igpu0/ctrl; magic 'G').
//! Source: linux-nvgpu rel-36 `include/uapi/linux/nvgpu-ctrl.h` (line numbers below).

use crate::ioctl::iowr;
use bytemuck::{Pod, Zeroable};
use std::mem::size_of;

pub const NVGPU_GPU_IOCTL_MAGIC: u8 = b'G';

/// `struct nvgpu_gpu_characteristics` (nvgpu-ctrl.h:219), 328 bytes in rel-36.
#[allow(non_snake_case)]
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct NvgpuGpuCharacteristics {
    pub arch: u32,
    pub r#impl: u32,
    pub rev: u32,
    pub num_gpc: u32,
    pub numa_domain_id: i32,
    pub _pad0: u32,
    pub L2_cache_size: u64,
    pub on_board_video_memory_size: u64,
    pub num_tpc_per_gpc: u32,
    pub bus_type: u32,
    pub big_page_size: u32,
    pub compression_page_size: u32,
    pub pde_coverage_bit_count: u32,
    pub available_big_page_sizes: u32,
    pub flags: u64,
    pub twod_class: u32,
    pub threed_class: u32,
    pub compute_class: u32,
    pub gpfifo_class: u32,
    pub inline_to_memory_class: u32,
    pub dma_copy_class: u32,
    pub gpc_mask: u32,
    pub sm_arch_sm_version: u32,
    pub sm_arch_spa_version: u32,
    pub sm_arch_warp_count: u32,
    pub gpu_ioctl_nr_last: i16,
    pub tsg_ioctl_nr_last: i16,
    pub dbg_gpu_ioctl_nr_last: i16,
    pub ioctl_channel_nr_last: i16,
    pub as_ioctl_nr_last: i16,
    pub gpu_va_bit_count: u8,
    pub reserved: u8,
    pub max_fbps_count: u32,
    pub fbp_en_mask: u32,
    pub emc_en_mask: u32,
    pub max_ltc_per_fbp: u32,
    pub max_lts_per_ltc: u32,
    pub max_tex_per_tpc: u32,
    pub max_gpc_count: u32,
    pub rop_l2_en_mask_DEPRECATED: [u32; 2],
    pub chipname: [u8; 8],
    pub gr_compbit_store_base_hw: u64,
    pub gr_gobs_per_comptagline_per_slice: u32,
    pub num_ltc: u32,
    pub lts_per_ltc: u32,
    pub cbc_cache_line_size: u32,
    pub cbc_comptags_per_line: u32,
    pub map_buffer_batch_limit: u32,
    pub max_freq: u64,
    pub graphics_preemption_mode_flags: u32,
    pub compute_preemption_mode_flags: u32,
    pub default_graphics_preempt_mode: u32,
    pub default_compute_preempt_mode: u32,
    pub local_video_memory_size: u64,
    pub pci_vendor_id: u16,
    pub pci_device_id: u16,
    pub pci_subsystem_vendor_id: u16,
    pub pci_subsystem_device_id: u16,
    pub pci_class: u16,
    pub pci_revision: u8,
    pub vbios_oem_version: u8,
    pub vbios_version: u32,
    pub reg_ops_limit: u32,
    pub reserved1: u32,
    pub event_ioctl_nr_last: i16,
    pub pad: u16,
    pub max_css_buffer_size: u32,
    pub ctxsw_ioctl_nr_last: i16,
    pub prof_ioctl_nr_last: i16,
    pub nvs_ioctl_nr_last: i16,
    pub reserved2: [u8; 2],
    pub max_ctxsw_ring_buffer_size: u32,
    pub reserved3: u32,
    pub per_device_identifier: u64,
    pub num_ppc_per_gpc: u32,
    pub max_veid_count_per_tsg: u32,
    pub num_sub_partition_per_fbpa: u32,
    pub gpu_instance_id: u32,
    pub gr_instance_id: u32,
    pub max_gpfifo_entries: u32,
    pub max_dbg_tsg_timeslice: u32,
    pub reserved5: u32,
    pub device_instance_id: u64,
}
const _: () = assert!(size_of::<NvgpuGpuCharacteristics>() == 328); // nvgpu-ctrl.h struct nvgpu_gpu_characteristics

impl NvgpuGpuCharacteristics {
    /// `chipname` up to its first NUL ("ga10b").
    pub fn chipname_str(&self) -> String {
        let end = self.chipname.iter().position(|&b| b == 0).unwrap_or(8);
        String::from_utf8_lossy(&self.chipname[..end]).into_owned()
    }
}

/// `struct nvgpu_gpu_get_characteristics` (nvgpu-ctrl.h:365).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvgpuGpuGetCharacteristics {
    /// in: size of the user buffer; out: the kernel's struct size.
    pub gpu_characteristics_buf_size: u64,
    /// in: user pointer to a `NvgpuGpuCharacteristics`.
    pub gpu_characteristics_buf_addr: u64,
}
const _: () = assert!(size_of::<NvgpuGpuGetCharacteristics>() == 16); // nvgpu-ctrl.h struct nvgpu_gpu_get_characteristics

/// `struct nvgpu_alloc_as_args` (nvgpu-ctrl.h:415).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvgpuAllocAsArgs {
    pub big_page_size: u32,
    /// out: the new address-space fd.
    pub as_fd: i32,
    pub flags: u32,
    pub reserved: u32,
    pub va_range_start: u64,
    pub va_range_end: u64,
    pub va_range_split: u64,
    pub padding: [u32; 6],
}
const _: () = assert!(size_of::<NvgpuAllocAsArgs>() == 64); // nvgpu-ctrl.h struct nvgpu_alloc_as_args

/// `struct nvgpu_gpu_open_tsg_args` (nvgpu-ctrl.h:472).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvgpuGpuOpenTsgArgs {
    /// out: the TSG fd.
    pub tsg_fd: u32,
    pub flags: u32,
    pub source_device_instance_id: u64,
    pub share_token: u64,
}
const _: () = assert!(size_of::<NvgpuGpuOpenTsgArgs>() == 24); // nvgpu-ctrl.h struct nvgpu_gpu_open_tsg_args

/// `struct nvgpu_gpu_get_tpc_masks_args` (nvgpu-ctrl.h:491).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvgpuGpuGetTpcMasksArgs {
    pub mask_buf_size: u32,
    pub reserved: u32,
    /// in: user pointer to one u32 TPC mask per GPC.
    pub mask_buf_addr: u64,
}
const _: () = assert!(size_of::<NvgpuGpuGetTpcMasksArgs>() == 16); // nvgpu-ctrl.h struct nvgpu_gpu_get_tpc_masks_args

/// `struct nvgpu_gpu_open_channel_args` (nvgpu-ctrl.h:533): a union of the deprecated
/// `channel_fd`, `in.runlist_id` and `out.channel_fd`, all an `__s32` at offset 0. Declared
/// with its first member; `runlist()` fills the `in.runlist_id` view.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvgpuGpuOpenChannelArgs {
    /// in: runlist_id (-1 = the primary graphics/compute runlist); out: the channel fd.
    pub channel_fd: i32,
}

impl NvgpuGpuOpenChannelArgs {
    /// `in.runlist_id = runlist_id`.
    pub fn runlist(runlist_id: i32) -> Self {
        NvgpuGpuOpenChannelArgs {
            channel_fd: runlist_id,
        }
    }
}
const _: () = assert!(size_of::<NvgpuGpuOpenChannelArgs>() == 4); // nvgpu-ctrl.h struct nvgpu_gpu_open_channel_args

pub const NVGPU_GPU_IOCTL_GET_CHARACTERISTICS: u64 = iowr(
    NVGPU_GPU_IOCTL_MAGIC,
    5,
    size_of::<NvgpuGpuGetCharacteristics>(),
);
pub const NVGPU_GPU_IOCTL_ALLOC_AS: u64 =
    iowr(NVGPU_GPU_IOCTL_MAGIC, 8, size_of::<NvgpuAllocAsArgs>());
pub const NVGPU_GPU_IOCTL_OPEN_TSG: u64 =
    iowr(NVGPU_GPU_IOCTL_MAGIC, 9, size_of::<NvgpuGpuOpenTsgArgs>());
pub const NVGPU_GPU_IOCTL_GET_TPC_MASKS: u64 = iowr(
    NVGPU_GPU_IOCTL_MAGIC,
    10,
    size_of::<NvgpuGpuGetTpcMasksArgs>(),
);
pub const NVGPU_GPU_IOCTL_OPEN_CHANNEL: u64 = iowr(
    NVGPU_GPU_IOCTL_MAGIC,
    11,
    size_of::<NvgpuGpuOpenChannelArgs>(),
);

/// nvgpu-ctrl.h:430 (NVGPU_GPU_IOCTL_ALLOC_AS_FLAGS_UNIFIED_VA).
pub const NVGPU_GPU_IOCTL_ALLOC_AS_FLAGS_UNIFIED_VA: u32 = 1 << 1;

// nvgpu_gpu_characteristics.flags bits (nvgpu-ctrl.h:97..).
pub const NVGPU_GPU_FLAGS_SUPPORT_TSG: u64 = 1 << 8;
pub const NVGPU_GPU_FLAGS_SUPPORT_DETERMINISTIC_SUBMIT_NO_JOBTRACKING: u64 = 1 << 18;
pub const NVGPU_GPU_FLAGS_SUPPORT_IO_COHERENCE: u64 = 1 << 20;
pub const NVGPU_GPU_FLAGS_SUPPORT_TSG_SUBCONTEXTS: u64 = 1 << 22;
pub const NVGPU_GPU_FLAGS_SUPPORT_USERMODE_SUBMIT: u64 = 1 << 30;
pub const NVGPU_GPU_FLAGS_SUPPORT_COMPUTE: u64 = 1 << 42;

/// nvgpu-ctrl.h:95.
pub const NVGPU_GPU_BUS_TYPE_AXI: u32 = 32;
