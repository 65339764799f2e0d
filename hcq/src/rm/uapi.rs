//! RM (`/dev/nvidiactl`, `/dev/nvidiaN`) and UVM (`/dev/nvidia-uvm`) ioctl structs and numbers.
//!
//! Layouts come from NVIDIA/open-gpu-kernel-modules (580 branch): `src/common/sdk/nvidia/inc/nvos.h`,
//! `alloc/alloc_channel.h`, `class/cl*.h`, `ctrl/ctrl*/*.h`, `kernel-open/common/inc/nv-ioctl.h`,
//! `kernel-open/nvidia-uvm/uvm_ioctl.h`, as summarised in shared/reference/rm-hcq.md §1–§2.
//! Every struct is `#[repr(C)]` Pod with explicit padding and a compile-time size assert;
//! `hcq/tests/rm_uapi.rs` checks every field offset and ioctl number.

use crate::ioctl::iowr;
use bytemuck::{Pod, Zeroable};
use std::mem::size_of;

pub type NvHandle = u32;

// ---------------------------------------------------------------------------------------------
// RM escapes (nv_escape.h / nv-ioctl-numbers.h): _IOWR('F', nr, sizeof(arg)); rm-hcq.md §1.2.
pub const NV_IOCTL_MAGIC: u8 = b'F';
pub const NV_ESC_RM_ALLOC_MEMORY: u8 = 0x27;
pub const NV_ESC_RM_FREE: u8 = 0x29;
pub const NV_ESC_RM_CONTROL: u8 = 0x2A;
pub const NV_ESC_RM_ALLOC: u8 = 0x2B;
pub const NV_ESC_RM_MAP_MEMORY: u8 = 0x4E;
pub const NV_ESC_RM_UNMAP_MEMORY: u8 = 0x4F;
pub const NV_ESC_RM_MAP_MEMORY_DMA: u8 = 0x57;
pub const NV_ESC_RM_UNMAP_MEMORY_DMA: u8 = 0x58;
pub const NV_ESC_CARD_INFO: u8 = 200;
pub const NV_ESC_REGISTER_FD: u8 = 201;

/// The number of `nv_ioctl_card_info_t` entries NV_ESC_CARD_INFO fills (NV_MAX_DEVICES).
pub const NV_MAX_DEVICES: usize = 64;

/// NVOS00_PARAMETERS (nvos.h), 16 B: NV_ESC_RM_FREE.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct Nvos00 {
    pub h_root: NvHandle,
    pub h_object_parent: NvHandle,
    pub h_object_old: NvHandle,
    pub status: u32,
}
const _: () = assert!(size_of::<Nvos00>() == 16);

/// NVOS21_PARAMETERS (nvos.h), 32 B: NV_ESC_RM_ALLOC.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct Nvos21 {
    pub h_root: NvHandle,
    pub h_object_parent: NvHandle,
    pub h_object_new: NvHandle,
    pub h_class: u32,
    pub p_alloc_parms: u64,
    pub params_size: u32,
    pub status: u32,
}
const _: () = assert!(size_of::<Nvos21>() == 32);

/// NVOS64_PARAMETERS (nvos.h), 48 B: NV_ESC_RM_ALLOC with requested rights (not used; kept for the table).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct Nvos64 {
    pub h_root: NvHandle,
    pub h_object_parent: NvHandle,
    pub h_object_new: NvHandle,
    pub h_class: u32,
    pub p_alloc_parms: u64,
    pub p_rights_requested: u64,
    pub params_size: u32,
    pub flags: u32,
    pub status: u32,
    pub _pad0: u32,
}
const _: () = assert!(size_of::<Nvos64>() == 48);

/// NVOS54_PARAMETERS (nvos.h), 32 B: NV_ESC_RM_CONTROL.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct Nvos54 {
    pub h_client: NvHandle,
    pub h_object: NvHandle,
    pub cmd: u32,
    pub flags: u32,
    pub params: u64,
    pub params_size: u32,
    pub status: u32,
}
const _: () = assert!(size_of::<Nvos54>() == 32);

/// NVOS02_PARAMETERS (nvos.h), 48 B.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct Nvos02 {
    pub h_root: NvHandle,
    pub h_object_parent: NvHandle,
    pub h_object_new: NvHandle,
    pub h_class: u32,
    pub flags: u32,
    pub _pad0: u32,
    pub p_memory: u64,
    pub limit: u64,
    pub status: u32,
    pub _pad1: u32,
}
const _: () = assert!(size_of::<Nvos02>() == 48);

/// nv_ioctl_nvos02_parameters_with_fd (nv-ioctl.h), 56 B: NV_ESC_RM_ALLOC_MEMORY.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct Nvos02WithFd {
    pub params: Nvos02,
    pub fd: i32,
    pub _pad0: u32,
}
const _: () = assert!(size_of::<Nvos02WithFd>() == 56);

/// NVOS33_FLAGS_CACHING_TYPE (nvos.h, bits 25:23): the CPU caching of a BAR mapping made by
/// NV_ESC_RM_MAP_MEMORY. 0 (CACHED) is what a zeroed flags word asks for; on x86-64 the driver
/// cannot give a framebuffer mapping that (nv-linux.h NV_ALLOW_CACHING) and falls back to
/// UNCACHED_WEAK (nv-mmap.c nvidia_mmap_helper), so every CPU store to it is uncached.
pub const NVOS33_FLAGS_CACHING_TYPE_SHIFT: u32 = 23;
pub const NVOS33_FLAGS_CACHING_TYPE_CACHED: u32 = 0;
pub const NVOS33_FLAGS_CACHING_TYPE_WRITECOMBINED: u32 = 2;

/// NVOS33_PARAMETERS (nvos.h), 48 B: map memory for the CPU.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct Nvos33 {
    pub h_client: NvHandle,
    pub h_device: NvHandle,
    pub h_memory: NvHandle,
    pub _pad0: u32,
    pub offset: u64,
    pub length: u64,
    pub p_linear_address: u64,
    pub status: u32,
    pub flags: u32,
}
const _: () = assert!(size_of::<Nvos33>() == 48);

/// nv_ioctl_nvos33_parameters_with_fd (nv-ioctl.h), 56 B: NV_ESC_RM_MAP_MEMORY.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct Nvos33WithFd {
    pub params: Nvos33,
    pub fd: i32,
    pub _pad0: u32,
}
const _: () = assert!(size_of::<Nvos33WithFd>() == 56);

/// NVOS34_PARAMETERS (nvos.h), 32 B: NV_ESC_RM_UNMAP_MEMORY.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct Nvos34 {
    pub h_client: NvHandle,
    pub h_device: NvHandle,
    pub h_memory: NvHandle,
    pub _pad0: u32,
    pub p_linear_address: u64,
    pub status: u32,
    pub flags: u32,
}
const _: () = assert!(size_of::<Nvos34>() == 32);

/// NVOS46_PARAMETERS (nvos.h), 64 B: NV_ESC_RM_MAP_MEMORY_DMA.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct Nvos46 {
    pub h_client: NvHandle,
    pub h_device: NvHandle,
    pub h_dma: NvHandle,
    pub h_memory: NvHandle,
    pub offset: u64,
    pub length: u64,
    pub flags: u32,
    pub flags2: u32,
    pub kind_override: u32,
    pub _pad0: u32,
    pub dma_offset: u64,
    pub status: u32,
    pub _pad1: u32,
}
const _: () = assert!(size_of::<Nvos46>() == 64);

/// NVOS47_PARAMETERS (nvos.h), 48 B: NV_ESC_RM_UNMAP_MEMORY_DMA.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct Nvos47 {
    pub h_client: NvHandle,
    pub h_device: NvHandle,
    pub h_dma: NvHandle,
    pub h_memory: NvHandle,
    pub flags: u32,
    pub _pad0: u32,
    pub dma_offset: u64,
    pub size: u64,
    pub status: u32,
    pub _pad1: u32,
}
const _: () = assert!(size_of::<Nvos47>() == 48);

/// nv_pci_info_t inside nv_ioctl_card_info_t (nv-ioctl.h), 12 B.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvPciInfo {
    pub domain: u32,
    pub bus: u8,
    pub slot: u8,
    pub function: u8,
    pub _pad0: u8,
    pub vendor_id: u16,
    pub device_id: u16,
}
const _: () = assert!(size_of::<NvPciInfo>() == 12);

/// nv_ioctl_card_info_t (nv-ioctl.h), 72 B; NV_ESC_CARD_INFO fills an array of NV_MAX_DEVICES.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvCardInfo {
    pub valid: u8,
    pub _pad0: [u8; 3],
    pub pci_info: NvPciInfo,
    pub gpu_id: u32,
    pub interrupt_line: u16,
    pub _pad1: u16,
    pub reg_address: u64,
    pub reg_size: u64,
    pub fb_address: u64,
    pub fb_size: u64,
    pub minor_number: u32,
    pub dev_name: [u8; 10],
    pub _pad2: [u8; 2],
}
const _: () = assert!(size_of::<NvCardInfo>() == 72);

/// The NV_ESC_CARD_INFO argument: the whole table (64 × 72 = 0x1200 B).
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct NvCardInfoTable {
    pub cards: [NvCardInfo; NV_MAX_DEVICES],
}
const _: () = assert!(size_of::<NvCardInfoTable>() == 0x1200);

/// nv_ioctl_register_fd_t (nv-ioctl.h), 4 B.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvRegisterFd {
    pub ctl_fd: i32,
}
const _: () = assert!(size_of::<NvRegisterFd>() == 4);

pub const NV_ESC_RM_ALLOC_MEMORY_CMD: u64 = iowr(
    NV_IOCTL_MAGIC,
    NV_ESC_RM_ALLOC_MEMORY,
    size_of::<Nvos02WithFd>(),
);
pub const NV_ESC_RM_FREE_CMD: u64 = iowr(NV_IOCTL_MAGIC, NV_ESC_RM_FREE, size_of::<Nvos00>());
pub const NV_ESC_RM_CONTROL_CMD: u64 = iowr(NV_IOCTL_MAGIC, NV_ESC_RM_CONTROL, size_of::<Nvos54>());
pub const NV_ESC_RM_ALLOC_CMD: u64 = iowr(NV_IOCTL_MAGIC, NV_ESC_RM_ALLOC, size_of::<Nvos21>());
pub const NV_ESC_RM_MAP_MEMORY_CMD: u64 = iowr(
    NV_IOCTL_MAGIC,
    NV_ESC_RM_MAP_MEMORY,
    size_of::<Nvos33WithFd>(),
);
pub const NV_ESC_RM_UNMAP_MEMORY_CMD: u64 =
    iowr(NV_IOCTL_MAGIC, NV_ESC_RM_UNMAP_MEMORY, size_of::<Nvos34>());
pub const NV_ESC_RM_MAP_MEMORY_DMA_CMD: u64 = iowr(
    NV_IOCTL_MAGIC,
    NV_ESC_RM_MAP_MEMORY_DMA,
    size_of::<Nvos46>(),
);
pub const NV_ESC_RM_UNMAP_MEMORY_DMA_CMD: u64 = iowr(
    NV_IOCTL_MAGIC,
    NV_ESC_RM_UNMAP_MEMORY_DMA,
    size_of::<Nvos47>(),
);
pub const NV_ESC_CARD_INFO_CMD: u64 = iowr(
    NV_IOCTL_MAGIC,
    NV_ESC_CARD_INFO,
    size_of::<NvCardInfoTable>(),
);
pub const NV_ESC_REGISTER_FD_CMD: u64 = iowr(
    NV_IOCTL_MAGIC,
    NV_ESC_REGISTER_FD,
    size_of::<NvRegisterFd>(),
);

// ---------------------------------------------------------------------------------------------
// Allocation parameter structs (class/cl*.h, alloc/alloc_channel.h, nvos.h).

/// NV0080_ALLOC_PARAMETERS (class/cl0080.h), 56 B: NV01_DEVICE_0.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct Nv0080AllocParams {
    pub device_id: u32,
    pub h_client_share: NvHandle,
    pub h_target_client: NvHandle,
    pub h_target_device: NvHandle,
    pub flags: u32,
    pub _pad0: u32,
    pub va_space_size: u64,
    pub va_start_internal: u64,
    pub va_limit_internal: u64,
    pub va_mode: u32,
    pub _pad1: u32,
}
const _: () = assert!(size_of::<Nv0080AllocParams>() == 56);

/// NV2080_ALLOC_PARAMETERS (class/cl2080.h), 4 B: NV20_SUBDEVICE_0.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct Nv2080AllocParams {
    pub sub_device_id: u32,
}
const _: () = assert!(size_of::<Nv2080AllocParams>() == 4);

/// NV_MEMORY_VIRTUAL_ALLOCATION_PARAMS (class/cl0070.h), 24 B: NV01_MEMORY_VIRTUAL.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvMemoryVirtualAllocParams {
    pub offset: u64,
    pub limit: u64,
    pub h_va_space: NvHandle,
    pub _pad0: u32,
}
const _: () = assert!(size_of::<NvMemoryVirtualAllocParams>() == 24);

/// NV_VASPACE_ALLOCATION_PARAMETERS (class/cl90f1.h), 56 B: FERMI_VASPACE_A.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvVaspaceAllocParams {
    pub index: u32,
    pub flags: u32,
    pub va_size: u64,
    pub va_start_internal: u64,
    pub va_limit_internal: u64,
    pub big_page_size: u32,
    pub _pad0: u32,
    pub va_base: u64,
    pub pasid: u32,
    pub _pad1: u32,
}
const _: () = assert!(size_of::<NvVaspaceAllocParams>() == 56);

/// NV_CHANNEL_GROUP_ALLOCATION_PARAMETERS (class/cla06c.h), 20 B: KEPLER_CHANNEL_GROUP_A (TSG).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvChannelGroupAllocParams {
    pub h_object_error: NvHandle,
    pub h_object_ecc_error: NvHandle,
    pub h_va_space: NvHandle,
    pub engine_type: u32,
    pub b_is_calling_context_vgpu_plugin: u8,
    pub _pad0: [u8; 3],
}
const _: () = assert!(size_of::<NvChannelGroupAllocParams>() == 20);

/// NV_CTXSHARE_ALLOCATION_PARAMETERS (class/cl9067.h), 12 B: FERMI_CONTEXT_SHARE_A.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvCtxshareAllocParams {
    pub h_va_space: NvHandle,
    pub flags: u32,
    pub subctx_id: u32,
}
const _: () = assert!(size_of::<NvCtxshareAllocParams>() == 12);

/// NV_MEMORY_DESC_PARAMS (alloc/alloc_channel.h), 24 B; kernel-only fields of the channel params.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvMemoryDescParams {
    pub base: u64,
    pub size: u64,
    pub address_space: u32,
    pub cache_attrib: u32,
}
const _: () = assert!(size_of::<NvMemoryDescParams>() == 24);

/// NV_CHANNEL_ALLOC_PARAMS (alloc/alloc_channel.h), 368 B: the GPFIFO channel classes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvChannelAllocParams {
    pub h_object_error: NvHandle,
    pub h_object_buffer: NvHandle,
    pub gp_fifo_offset: u64,
    pub gp_fifo_entries: u32,
    pub flags: u32,
    pub h_context_share: NvHandle,
    pub h_va_space: NvHandle,
    pub h_userd_memory: [NvHandle; 8],
    pub userd_offset: [u64; 8],
    pub engine_type: u32,
    pub cid: u32,
    pub sub_device_id: u32,
    pub h_object_ecc_error: NvHandle,
    pub instance_mem: NvMemoryDescParams,
    pub userd_mem: NvMemoryDescParams,
    pub ramfc_mem: NvMemoryDescParams,
    pub mthdbuf_mem: NvMemoryDescParams,
    pub h_phys_channel_group: NvHandle,
    pub internal_flags: u32,
    pub error_notifier_mem: NvMemoryDescParams,
    pub ecc_error_notifier_mem: NvMemoryDescParams,
    pub process_id: u32,
    pub sub_process_id: u32,
    pub encrypt_iv: [u32; 3],
    pub decrypt_iv: [u32; 3],
    pub hmac_nonce: [u32; 8],
    pub tpc_config_id: u32,
    pub _pad0: u32,
}
const _: () = assert!(size_of::<NvChannelAllocParams>() == 368);

/// NV_MEMORY_ALLOCATION_PARAMS (nvos.h NVOS32-style), 128 B: NV01_MEMORY_LOCAL_USER / NV01_MEMORY_SYSTEM.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvMemoryAllocationParams {
    pub owner: u32,
    pub type_: u32,
    pub flags: u32,
    pub width: u32,
    pub height: u32,
    pub pitch: i32,
    pub attr: u32,
    pub attr2: u32,
    pub format: u32,
    pub compr_covg: u32,
    pub zcull_covg: u32,
    pub _pad0: u32,
    pub range_lo: u64,
    pub range_hi: u64,
    pub size: u64,
    pub alignment: u64,
    pub offset: u64,
    pub limit: u64,
    pub address: u64,
    pub ctag_offset: u32,
    pub h_va_space: NvHandle,
    pub internal_flags: u32,
    pub tag: u32,
    pub numa_node: i32,
    pub _pad1: u32,
}
const _: () = assert!(size_of::<NvMemoryAllocationParams>() == 128);

/// NV83DE_ALLOC_PARAMETERS (class/cl83de.h), 12 B: GT200_DEBUGGER (fault reports; not allocated yet).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct Nv83deAllocParams {
    pub h_debugger_client_obsolete: NvHandle,
    pub h_app_client: NvHandle,
    pub h_class3d_object: NvHandle,
}
const _: () = assert!(size_of::<Nv83deAllocParams>() == 12);

// ---------------------------------------------------------------------------------------------
// Control commands (ctrl/ctrl*/*.h) and their parameter structs.

pub const NV0000_CTRL_CMD_SYSTEM_GET_BUILD_VERSION_V2: u32 = 0x13E;
pub const NV0000_CTRL_CMD_GPU_GET_ID_INFO_V2: u32 = 0x205;
pub const NV0080_CTRL_CMD_GPU_GET_CLASSLIST: u32 = 0x0080_0201;
pub const NV2080_CTRL_CMD_GPU_GET_NAME_STRING: u32 = 0x2080_0110;
pub const NV2080_CTRL_CMD_GPU_GET_GID_INFO: u32 = 0x2080_014A;
pub const NV2080_CTRL_CMD_GR_GET_INFO: u32 = 0x2080_1201;
pub const NV2080_CTRL_CMD_FB_GET_INFO_V2: u32 = 0x2080_1303;
pub const NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN: u32 = 0xC36F_0108;
pub const NVA06C_CTRL_CMD_GPFIFO_SCHEDULE: u32 = 0xA06C_0101;

/// NV0000_CTRL_SYSTEM_GET_BUILD_VERSION_V2_PARAMS (ctrl0000system.h), 4 × 256 + 8 = 1032 B.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct Nv0000BuildVersionV2Params {
    pub driver_version_buffer: [u8; 256],
    pub version_buffer: [u8; 256],
    pub driver_branch: [u8; 256],
    pub title_buffer: [u8; 256],
    pub changelist_number: u32,
    pub official_changelist_number: u32,
}
const _: () = assert!(size_of::<Nv0000BuildVersionV2Params>() == 1032);

/// NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS (ctrl0000gpu.h), 32 B.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct Nv0000GpuIdInfoV2Params {
    pub gpu_id: u32,
    pub gpu_flags: u32,
    pub device_instance: u32,
    pub sub_device_instance: u32,
    pub sli_status: u32,
    pub board_id: u32,
    pub gpu_instance: u32,
    pub numa_id: i32,
}
const _: () = assert!(size_of::<Nv0000GpuIdInfoV2Params>() == 32);

/// NV0080_CTRL_GPU_GET_CLASSLIST_PARAMS (ctrl0080gpu.h), 16 B.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct Nv0080ClassListParams {
    pub num_classes: u32,
    pub _pad0: u32,
    pub class_list: u64,
}
const _: () = assert!(size_of::<Nv0080ClassListParams>() == 16);

/// NV2080_CTRL_GPU_GET_NAME_STRING_PARAMS (ctrl2080gpu.h), 4 + 128 = 132 B (union of 64 ASCII / 64 UTF-16).
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct Nv2080GpuNameStringParams {
    pub gpu_name_string_flags: u32,
    pub gpu_name_string: [u8; 128],
}
const _: () = assert!(size_of::<Nv2080GpuNameStringParams>() == 132);

/// NV2080_CTRL_GPU_GET_GID_INFO_PARAMS (ctrl2080gpu.h), 12 + 256 = 268 B.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct Nv2080GidInfoParams {
    pub index: u32,
    pub flags: u32,
    pub length: u32,
    pub data: [u8; 256],
}
const _: () = assert!(size_of::<Nv2080GidInfoParams>() == 268);
/// NV2080_GPU_CMD_GPU_GET_GID_FLAGS_FORMAT_BINARY (ctrl2080gpu.h): flags field 1:1 = 1.
pub const NV2080_GPU_CMD_GPU_GET_GID_FLAGS_FORMAT_BINARY: u32 = 2;

/// NVXXXX_CTRL_XXX_INFO (ctrlxxxx.h) = NV2080_CTRL_GR_INFO / NV2080_CTRL_FB_INFO, 8 B.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvCtrlInfo {
    pub index: u32,
    pub data: u32,
}
const _: () = assert!(size_of::<NvCtrlInfo>() == 8);

/// NV2080_CTRL_GR_GET_INFO_PARAMS (ctrl2080gr.h), 32 B: list pointer + NV2080_CTRL_GR_ROUTE_INFO {flags, route u64}.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct Nv2080GrGetInfoParams {
    pub gr_info_list_size: u32,
    pub _pad0: u32,
    pub gr_info_list: u64,
    pub gr_route_flags: u32,
    pub _pad1: u32,
    pub gr_route: u64,
}
const _: () = assert!(size_of::<Nv2080GrGetInfoParams>() == 32);
/// NV0080_CTRL_GR_INFO_INDEX_* (ctrl0080gr.h), shared by NV2080_CTRL_GR_INFO_INDEX_*.
pub const NV2080_CTRL_GR_INFO_INDEX_SHADER_PIPE_COUNT: u32 = 0x07;
pub const NV2080_CTRL_GR_INFO_INDEX_MAX_SP_PER_SM: u32 = 0x13;
pub const NV2080_CTRL_GR_INFO_INDEX_GPU_CORE_COUNT: u32 = 0x1D;
pub const NV2080_CTRL_GR_INFO_INDEX_SM_VERSION: u32 = 0x0C;
pub const NV2080_CTRL_GR_INFO_INDEX_MAX_WARPS_PER_SM: u32 = 0x0D;
pub const NV2080_CTRL_GR_INFO_INDEX_LITTER_NUM_GPCS: u32 = 0x14;
pub const NV2080_CTRL_GR_INFO_INDEX_LITTER_NUM_TPC_PER_GPC: u32 = 0x17;
pub const NV2080_CTRL_GR_INFO_INDEX_LITTER_NUM_SM_PER_TPC: u32 = 0x20;

/// NV2080_CTRL_FB_GET_INFO_V2_PARAMS (ctrl2080fb.h), 4 + 128 × 8 = 1028 B.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct Nv2080FbGetInfoV2Params {
    pub fb_info_list_size: u32,
    pub fb_info_list: [NvCtrlInfo; 128],
}
const _: () = assert!(size_of::<Nv2080FbGetInfoV2Params>() == 1028);
/// NV2080_CTRL_FB_INFO_INDEX_TOTAL_RAM_SIZE (ctrl2080fb.h): VRAM in KiB.
pub const NV2080_CTRL_FB_INFO_INDEX_TOTAL_RAM_SIZE: u32 = 0x08;

/// NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN_PARAMS (ctrlc36f.h), 4 B.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvC36fWorkSubmitTokenParams {
    pub work_submit_token: u32,
}
const _: () = assert!(size_of::<NvC36fWorkSubmitTokenParams>() == 4);

/// NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS (ctrla06c.h), 3 B.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct NvA06cScheduleParams {
    pub b_enable: u8,
    pub b_skip_submit: u8,
    pub b_skip_enable: u8,
}
const _: () = assert!(size_of::<NvA06cScheduleParams>() == 3);

// ---------------------------------------------------------------------------------------------
// UVM (uvm_ioctl.h, uvm_linux_ioctl.h): the request is the raw number; the result is `rm_status`.

pub const UVM_INITIALIZE: u64 = 0x3000_0001;
pub const UVM_DEINITIALIZE: u64 = 0x3000_0002;
pub const UVM_REGISTER_GPU_VASPACE: u64 = 25;
pub const UVM_REGISTER_CHANNEL: u64 = 27;
pub const UVM_UNREGISTER_CHANNEL: u64 = 28;
pub const UVM_MAP_EXTERNAL_ALLOCATION: u64 = 33;
pub const UVM_FREE: u64 = 34;
pub const UVM_REGISTER_GPU: u64 = 37;
pub const UVM_CREATE_EXTERNAL_RANGE: u64 = 73;
pub const UVM_MM_INITIALIZE: u64 = 75;

pub const UVM_MAX_GPUS: usize = 256;

/// UVM_INITIALIZE_PARAMS, 16 B.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct UvmInitializeParams {
    pub flags: u64,
    pub rm_status: u32,
    pub _pad0: u32,
}
const _: () = assert!(size_of::<UvmInitializeParams>() == 16);

/// UVM_MM_INITIALIZE_PARAMS, 8 B.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct UvmMmInitializeParams {
    pub uvm_fd: i32,
    pub rm_status: u32,
}
const _: () = assert!(size_of::<UvmMmInitializeParams>() == 8);

/// UVM_REGISTER_GPU_PARAMS, 40 B.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct UvmRegisterGpuParams {
    pub gpu_uuid: [u8; 16],
    pub numa_enabled: u8,
    pub _pad0: [u8; 3],
    pub numa_node_id: i32,
    pub rm_ctrl_fd: i32,
    pub h_client: NvHandle,
    pub h_smc_part_ref: NvHandle,
    pub rm_status: u32,
}
const _: () = assert!(size_of::<UvmRegisterGpuParams>() == 40);

/// UVM_REGISTER_GPU_VASPACE_PARAMS, 32 B.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct UvmRegisterGpuVaspaceParams {
    pub gpu_uuid: [u8; 16],
    pub rm_ctrl_fd: i32,
    pub h_client: NvHandle,
    pub h_va_space: NvHandle,
    pub rm_status: u32,
}
const _: () = assert!(size_of::<UvmRegisterGpuVaspaceParams>() == 32);

/// UVM_REGISTER_CHANNEL_PARAMS, 56 B.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct UvmRegisterChannelParams {
    pub gpu_uuid: [u8; 16],
    pub rm_ctrl_fd: i32,
    pub h_client: NvHandle,
    pub h_channel: NvHandle,
    pub _pad0: u32,
    pub base: u64,
    pub length: u64,
    pub rm_status: u32,
    pub _pad1: u32,
}
const _: () = assert!(size_of::<UvmRegisterChannelParams>() == 56);

/// UVM_UNREGISTER_CHANNEL_PARAMS, 28 B.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct UvmUnregisterChannelParams {
    pub gpu_uuid: [u8; 16],
    pub h_client: NvHandle,
    pub h_channel: NvHandle,
    pub rm_status: u32,
}
const _: () = assert!(size_of::<UvmUnregisterChannelParams>() == 28);

/// UVM_CREATE_EXTERNAL_RANGE_PARAMS and UVM_FREE_PARAMS, 24 B each.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct UvmRangeParams {
    pub base: u64,
    pub length: u64,
    pub rm_status: u32,
    pub _pad0: u32,
}
const _: () = assert!(size_of::<UvmRangeParams>() == 24);

/// UvmGpuMappingAttributes (nv_uvm_user_types.h), 36 B.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct UvmGpuMappingAttributes {
    pub gpu_uuid: [u8; 16],
    pub gpu_mapping_type: u32,
    pub gpu_caching_type: u32,
    pub gpu_format_type: u32,
    pub gpu_element_bits: u32,
    pub gpu_compression_type: u32,
}
const _: () = assert!(size_of::<UvmGpuMappingAttributes>() == 36);
/// UvmGpuMappingTypeReadWriteAtomic.
pub const UVM_GPU_MAPPING_TYPE_READ_WRITE_ATOMIC: u32 = 1;

/// UVM_MAP_EXTERNAL_ALLOCATION_PARAMS, 9264 B.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub struct UvmMapExternalAllocationParams {
    pub base: u64,
    pub length: u64,
    pub offset: u64,
    pub per_gpu_attributes: [UvmGpuMappingAttributes; UVM_MAX_GPUS],
    pub gpu_attributes_count: u64,
    pub rm_ctrl_fd: i32,
    pub h_client: NvHandle,
    pub h_memory: NvHandle,
    pub rm_status: u32,
}
const _: () = assert!(size_of::<UvmMapExternalAllocationParams>() == 9264);

// ---------------------------------------------------------------------------------------------
// Field values (nvos.h NVOS32_* / NVOS02_* / NVOS46_*, cl90f1.h, cl9067.h); rm-hcq.md §1.3, §2.

/// NV_VASPACE_ALLOCATION_FLAGS_ENABLE_PAGE_FAULTING (bit 6) | IS_EXTERNALLY_OWNED (bit 3).
pub const NV_VASPACE_FLAGS_UVM_OWNED: u32 = (1 << 6) | (1 << 3);
/// NV_CTXSHARE_ALLOCATION_FLAGS_SUBCONTEXT_ASYNC.
pub const NV_CTXSHARE_ALLOCATION_FLAGS_SUBCONTEXT_ASYNC: u32 = 1;
/// NV2080_ENGINE_TYPE_GRAPHICS.
pub const NV2080_ENGINE_TYPE_GRAPHICS: u32 = 1;

pub const NVOS32_TYPE_IMAGE: u32 = 0;
pub const NVOS32_TYPE_NOTIFIER: u32 = 13;
/// NVOS32_ALLOC_FLAGS_*.
pub const NVOS32_ALLOC_FLAGS_IGNORE_BANK_PLACEMENT: u32 = 0x1;
pub const NVOS32_ALLOC_FLAGS_ALIGNMENT_FORCE: u32 = 0x100;
pub const NVOS32_ALLOC_FLAGS_MAP_NOT_REQUIRED: u32 = 0x8000;
pub const NVOS32_ALLOC_FLAGS_PERSISTENT_VIDMEM: u32 = 0x10000;
/// NVOS32_ATTR_PHYSICALITY (28:27): CONTIGUOUS 2, ALLOW_NONCONTIGUOUS 3.
pub const NVOS32_ATTR_PHYSICALITY_CONTIGUOUS: u32 = 2 << 27;
pub const NVOS32_ATTR_PHYSICALITY_ALLOW_NONCONTIGUOUS: u32 = 3 << 27;
/// NVOS32_ATTR_PAGE_SIZE (24:23): HUGE 3.
pub const NVOS32_ATTR_PAGE_SIZE_HUGE: u32 = 3 << 23;
/// NVOS32_ATTR_LOCATION (26:25): VIDMEM 0, PCI 1.
pub const NVOS32_ATTR_LOCATION_PCI: u32 = 1 << 25;
/// NVOS32_ATTR2_ZBC (1:0) PREFER_NO_ZBC 1; GPU_CACHEABLE (3:2) YES 1 / NO 2; PAGE_SIZE_HUGE (21:20) 2MB 1.
pub const NVOS32_ATTR2_ZBC_PREFER_NO_ZBC: u32 = 1;
pub const NVOS32_ATTR2_GPU_CACHEABLE_YES: u32 = 1 << 2;
pub const NVOS32_ATTR2_GPU_CACHEABLE_NO: u32 = 2 << 2;
pub const NVOS32_ATTR2_PAGE_SIZE_HUGE_2MB: u32 = 1 << 20;
/// NVOS32_ATTR2_PAGE_SIZE_HUGE (21:20) = 512MB (2), nvos.h; Ampere and later.
pub const NVOS32_ATTR2_PAGE_SIZE_HUGE_512MB: u32 = 2 << 20;
/// NVOS02_FLAGS_PHYSICALITY_NONCONTIGUOUS | COHERENCY_CACHED | MAPPING_NO_MAP (rm-hcq.md §2.2).
pub const NVOS02_FLAGS_OS_DESCRIPTOR: u32 = 0x4000_1010;
/// NVOS46_FLAGS_PAGE_SIZE_4KB (11:8) | CACHE_SNOOP_ENABLE (4) | DMA_OFFSET_FIXED_TRUE (15).
pub const NVOS46_FLAGS_FIXED_4K_SNOOP: u32 = (1 << 8) | (1 << 4) | (1 << 15);

/// Debug shows only the attribute slots in use (a full print of 256 slots would swamp `--trace`).
impl std::fmt::Debug for UvmMapExternalAllocationParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let used = (self.gpu_attributes_count as usize).min(UVM_MAX_GPUS);
        f.debug_struct("UvmMapExternalAllocationParams")
            .field("base", &format_args!("0x{:x}", self.base))
            .field("length", &format_args!("0x{:x}", self.length))
            .field("offset", &self.offset)
            .field("per_gpu_attributes", &&self.per_gpu_attributes[..used])
            .field("gpu_attributes_count", &self.gpu_attributes_count)
            .field("rm_ctrl_fd", &self.rm_ctrl_fd)
            .field("h_client", &format_args!("0x{:x}", self.h_client))
            .field("h_memory", &format_args!("0x{:x}", self.h_memory))
            .field("rm_status", &self.rm_status)
            .finish()
    }
}
