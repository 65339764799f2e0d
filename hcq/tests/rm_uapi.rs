//! Every RM/UVM struct's size and field offsets, and every ioctl number, against the values
//! written in shared/reference/rm-hcq.md (section named at each group), which were compiled from
//! NVIDIA/open-gpu-kernel-modules 580.142 headers.

use hcq::rm::uapi::*;
use std::mem::{offset_of, size_of};

macro_rules! offsets {
    ($t:ty, $size:expr, { $($f:ident : $off:expr),* $(,)? }) => {{
        assert_eq!(size_of::<$t>(), $size, "sizeof {}", stringify!($t));
        $( assert_eq!(offset_of!($t, $f), $off, "{}.{}", stringify!($t), stringify!($f)); )*
    }};
}

#[test]
fn rm_escape_structs_rm_hcq_1_2() {
    offsets!(Nvos21, 32, { h_root: 0, h_object_parent: 4, h_object_new: 8, h_class: 12, p_alloc_parms: 16, params_size: 24, status: 28 });
    offsets!(Nvos64, 48, { h_root: 0, p_alloc_parms: 16, p_rights_requested: 24, params_size: 32, flags: 36, status: 40 });
    offsets!(Nvos54, 32, { h_client: 0, h_object: 4, cmd: 8, flags: 12, params: 16, params_size: 24, status: 28 });
    offsets!(Nvos00, 16, { h_root: 0, h_object_parent: 4, h_object_old: 8, status: 12 });
    offsets!(Nvos33, 48, { h_client: 0, h_device: 4, h_memory: 8, offset: 16, length: 24, p_linear_address: 32, status: 40, flags: 44 });
    offsets!(Nvos33WithFd, 56, { params: 0, fd: 48 });
    offsets!(Nvos02, 48, { h_root: 0, h_object_parent: 4, h_object_new: 8, h_class: 12, flags: 16, p_memory: 24, limit: 32, status: 40 });
    offsets!(Nvos02WithFd, 56, { params: 0, fd: 48 });
    offsets!(Nvos46, 64, { h_client: 0, h_device: 4, h_dma: 8, h_memory: 12, offset: 16, length: 24, flags: 32, flags2: 36, kind_override: 40, dma_offset: 48, status: 56 });
    offsets!(NvCardInfo, 72, { valid: 0, pci_info: 4, gpu_id: 16, interrupt_line: 20, reg_address: 24, reg_size: 32, fb_address: 40, fb_size: 48, minor_number: 56, dev_name: 60 });
    offsets!(NvRegisterFd, 4, { ctl_fd: 0 });
    // nvos.h (580.95.05): NVOS34 {3 handles, NvP64 pLinearAddress, status, flags}, NVOS47 {4 handles, flags, dmaOffset, size, status}.
    offsets!(Nvos34, 32, { h_client: 0, h_device: 4, h_memory: 8, p_linear_address: 16, status: 24, flags: 28 });
    offsets!(Nvos47, 48, { h_client: 0, h_device: 4, h_dma: 8, h_memory: 12, flags: 16, dma_offset: 24, size: 32, status: 40 });
}

#[test]
fn ioctl_numbers_rm_hcq_1_2() {
    assert_eq!(NV_ESC_CARD_INFO_CMD, 0xD200_46C8);
    assert_eq!(NV_ESC_REGISTER_FD_CMD, 0xC004_46C9);
    assert_eq!(NV_ESC_RM_ALLOC_MEMORY_CMD, 0xC038_4627);
    assert_eq!(NV_ESC_RM_FREE_CMD, 0xC010_4629);
    assert_eq!(NV_ESC_RM_CONTROL_CMD, 0xC020_462A);
    assert_eq!(NV_ESC_RM_ALLOC_CMD, 0xC020_462B);
    assert_eq!(NV_ESC_RM_MAP_MEMORY_CMD, 0xC038_464E);
    assert_eq!(NV_ESC_RM_MAP_MEMORY_DMA_CMD, 0xC040_4657);
    // Same encoding for the two unmaps (escape numbers 0x4F / 0x58, sizes 32 / 48).
    assert_eq!(NV_ESC_RM_UNMAP_MEMORY_CMD, 0xC020_464F);
    assert_eq!(NV_ESC_RM_UNMAP_MEMORY_DMA_CMD, 0xC030_4658);
}

#[test]
fn alloc_params_rm_hcq_1_3() {
    offsets!(Nv0080AllocParams, 56, { device_id: 0, h_client_share: 4, h_target_client: 8, h_target_device: 12, flags: 16, va_space_size: 24, va_start_internal: 32, va_limit_internal: 40, va_mode: 48 });
    offsets!(Nv2080AllocParams, 4, { sub_device_id: 0 });
    offsets!(NvMemoryVirtualAllocParams, 24, { offset: 0, limit: 8, h_va_space: 16 });
    offsets!(NvVaspaceAllocParams, 56, { index: 0, flags: 4, va_size: 8, va_start_internal: 16, va_limit_internal: 24, big_page_size: 32, va_base: 40, pasid: 48 });
    offsets!(NvChannelGroupAllocParams, 20, { h_object_error: 0, h_object_ecc_error: 4, h_va_space: 8, engine_type: 12, b_is_calling_context_vgpu_plugin: 16 });
    offsets!(NvCtxshareAllocParams, 12, { h_va_space: 0, flags: 4, subctx_id: 8 });
    offsets!(Nv83deAllocParams, 12, { h_debugger_client_obsolete: 0, h_app_client: 4, h_class3d_object: 8 });
    offsets!(NvA06cScheduleParams, 3, { b_enable: 0, b_skip_submit: 1, b_skip_enable: 2 });
    offsets!(NvC36fWorkSubmitTokenParams, 4, { work_submit_token: 0 });
    offsets!(Nv0080ClassListParams, 16, { num_classes: 0, class_list: 8 });
    assert_eq!(NV_VASPACE_FLAGS_UVM_OWNED, 0x48);
}

#[test]
fn channel_alloc_params_rm_hcq_1_3() {
    offsets!(NvChannelAllocParams, 368, {
        h_object_error: 0, h_object_buffer: 4, gp_fifo_offset: 8, gp_fifo_entries: 16, flags: 20,
        h_context_share: 24, h_va_space: 28, h_userd_memory: 32, userd_offset: 64, engine_type: 128,
        cid: 132, sub_device_id: 136, h_object_ecc_error: 140, instance_mem: 144, userd_mem: 168,
        ramfc_mem: 192, mthdbuf_mem: 216, h_phys_channel_group: 240, internal_flags: 244,
        error_notifier_mem: 248, ecc_error_notifier_mem: 272, process_id: 296, sub_process_id: 300,
        encrypt_iv: 304, tpc_config_id: 360,
    });
    offsets!(NvMemoryDescParams, 24, { base: 0, size: 8, address_space: 16, cache_attrib: 20 });
}

#[test]
fn memory_allocation_params_rm_hcq_2_1() {
    offsets!(NvMemoryAllocationParams, 128, {
        owner: 0, type_: 4, flags: 8, width: 12, height: 16, pitch: 20, attr: 24, attr2: 28, format: 32,
        compr_covg: 36, zcull_covg: 40, range_lo: 48, range_hi: 56, size: 64, alignment: 72, offset: 80,
        limit: 88, address: 96, ctag_offset: 104, h_va_space: 108, internal_flags: 112, tag: 116, numa_node: 120,
    });
    // rm-hcq.md §2.2: OS-descriptor flags 0x40001010; §2.4: NVOS46 PAGE_SIZE 4KB | SNOOP | FIXED.
    assert_eq!(NVOS02_FLAGS_OS_DESCRIPTOR, 0x4000_1010);
    assert_eq!(NVOS46_FLAGS_FIXED_4K_SNOOP, 0x8110);
    assert_eq!(NVOS32_ATTR_PHYSICALITY_ALLOW_NONCONTIGUOUS, 3 << 27);
}

#[test]
fn uvm_structs_and_numbers_rm_hcq_2_4() {
    offsets!(UvmInitializeParams, 16, { flags: 0, rm_status: 8 });
    offsets!(UvmMmInitializeParams, 8, { uvm_fd: 0, rm_status: 4 });
    offsets!(UvmRegisterGpuParams, 40, { gpu_uuid: 0, numa_enabled: 16, numa_node_id: 20, rm_ctrl_fd: 24, h_client: 28, h_smc_part_ref: 32, rm_status: 36 });
    offsets!(UvmRegisterGpuVaspaceParams, 32, { gpu_uuid: 0, rm_ctrl_fd: 16, h_client: 20, h_va_space: 24, rm_status: 28 });
    offsets!(UvmRegisterChannelParams, 56, { gpu_uuid: 0, rm_ctrl_fd: 16, h_client: 20, h_channel: 24, base: 32, length: 40, rm_status: 48 });
    offsets!(UvmRangeParams, 24, { base: 0, length: 8, rm_status: 16 });
    offsets!(UvmGpuMappingAttributes, 36, { gpu_uuid: 0, gpu_mapping_type: 16, gpu_caching_type: 20, gpu_format_type: 24, gpu_element_bits: 28, gpu_compression_type: 32 });
    offsets!(UvmMapExternalAllocationParams, 9264, { base: 0, length: 8, offset: 16, per_gpu_attributes: 24, gpu_attributes_count: 9240, rm_ctrl_fd: 9248, h_client: 9252, h_memory: 9256, rm_status: 9260 });
    // uvm_ioctl.h (580.95.05): UVM_UNREGISTER_CHANNEL_PARAMS {uuid, hClient, hChannel, rmStatus}.
    offsets!(UvmUnregisterChannelParams, 28, { gpu_uuid: 0, h_client: 16, h_channel: 20, rm_status: 24 });
    assert_eq!(UVM_INITIALIZE, 0x3000_0001);
    assert_eq!(UVM_DEINITIALIZE, 0x3000_0002);
    assert_eq!(UVM_MM_INITIALIZE, 75);
    assert_eq!(UVM_REGISTER_GPU, 37);
    assert_eq!(UVM_REGISTER_GPU_VASPACE, 25);
    assert_eq!(UVM_REGISTER_CHANNEL, 27);
    assert_eq!(UVM_UNREGISTER_CHANNEL, 28);
    assert_eq!(UVM_MAP_EXTERNAL_ALLOCATION, 33);
    assert_eq!(UVM_FREE, 34);
    assert_eq!(UVM_CREATE_EXTERNAL_RANGE, 73);
}

#[test]
fn control_commands_rm_hcq_1_3() {
    assert_eq!(NV0000_CTRL_CMD_SYSTEM_GET_BUILD_VERSION_V2, 0x13E);
    assert_eq!(NV0000_CTRL_CMD_GPU_GET_ID_INFO_V2, 0x205);
    assert_eq!(NV0080_CTRL_CMD_GPU_GET_CLASSLIST, 0x0080_0201);
    assert_eq!(NV2080_CTRL_CMD_GPU_GET_GID_INFO, 0x2080_014A);
    assert_eq!(NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN, 0xC36F_0108);
    assert_eq!(NVA06C_CTRL_CMD_GPFIFO_SCHEDULE, 0xA06C_0101);
    // §4.1: GR_GET_INFO 0x20801201.
    assert_eq!(NV2080_CTRL_CMD_GR_GET_INFO, 0x2080_1201);
    // ctrl headers (580.95.05): build-version V2 is 4 × 256 chars + 2 u32; name string 4 + 128; GID 12 + 256.
    offsets!(Nv0000BuildVersionV2Params, 1032, { driver_version_buffer: 0, version_buffer: 256, driver_branch: 512, title_buffer: 768, changelist_number: 1024 });
    offsets!(Nv2080GpuNameStringParams, 132, { gpu_name_string_flags: 0, gpu_name_string: 4 });
    offsets!(Nv2080GidInfoParams, 268, { index: 0, flags: 4, length: 8, data: 12 });
    offsets!(Nv0000GpuIdInfoV2Params, 32, { gpu_id: 0, device_instance: 8, numa_id: 28 });
    offsets!(Nv2080GrGetInfoParams, 32, { gr_info_list_size: 0, gr_info_list: 8, gr_route_flags: 16, gr_route: 24 });
    offsets!(Nv2080FbGetInfoV2Params, 1028, { fb_info_list_size: 0, fb_info_list: 4 });
}

#[test]
fn map_memory_caching_type_nvos_h() {
    // nvos.h: NVOS33_FLAGS_CACHING_TYPE 25:23, CACHED 0, WRITECOMBINED 2: the flags word of a
    // write-combined BAR1 mapping is 0x0100_0000, and the field stays inside its bits.
    assert_eq!(NVOS33_FLAGS_CACHING_TYPE_SHIFT, 23);
    assert_eq!(NVOS33_FLAGS_CACHING_TYPE_CACHED, 0);
    assert_eq!(
        NVOS33_FLAGS_CACHING_TYPE_WRITECOMBINED << NVOS33_FLAGS_CACHING_TYPE_SHIFT,
        0x0100_0000
    );
    let field = 0b111 << NVOS33_FLAGS_CACHING_TYPE_SHIFT;
    assert_eq!(field, 0x0380_0000, "bits 25:23");
}
