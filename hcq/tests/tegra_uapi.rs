//! Tegra uapi layouts and ioctl numbers against the r36 headers. Expected values were printed by
//! `fixtures/tegra/layout_dump.c` (gcc, LP64) compiling linux-nvgpu rel-36
//! include/uapi/linux/{nvgpu.h,nvgpu-ctrl.h,nvgpu-as.h} and linux-nv-oot r36.2
//! include/uapi/linux/nvmap.h; its output is `fixtures/tegra/layout_dump.txt`. Comments give
//! header:line of each field / define; they agree with tegra-nvgpu.md §2.

use hcq::tegra::uapi::*;
use std::mem::{offset_of, size_of};

#[test]
fn struct_sizes_and_every_field_offset_match_the_headers() {
    // nvmap.h:45 struct nvmap_create_handle, sizeof = 8
    assert_eq!(size_of::<NvmapCreateHandle>(), 8);
    assert_eq!(offset_of!(NvmapCreateHandle, size), 0); // nvmap.h:50
    assert_eq!(offset_of!(NvmapCreateHandle, handle), 4); // nvmap.h:53
                                                          // nvmap.h:91 struct nvmap_alloc_handle, sizeof = 20
    assert_eq!(size_of::<NvmapAllocHandle>(), 20);
    assert_eq!(offset_of!(NvmapAllocHandle, handle), 0); // nvmap.h:92
    assert_eq!(offset_of!(NvmapAllocHandle, heap_mask), 4); // nvmap.h:93
    assert_eq!(offset_of!(NvmapAllocHandle, flags), 8); // nvmap.h:94
    assert_eq!(offset_of!(NvmapAllocHandle, align), 12); // nvmap.h:95
    assert_eq!(offset_of!(NvmapAllocHandle, numa_nid), 16); // nvmap.h:96
                                                            // nvmap.h:133 struct nvmap_handle_param, sizeof = 16
    assert_eq!(size_of::<NvmapHandleParam>(), 16);
    assert_eq!(offset_of!(NvmapHandleParam, handle), 0); // nvmap.h:134
    assert_eq!(offset_of!(NvmapHandleParam, param), 4); // nvmap.h:135
    assert_eq!(offset_of!(NvmapHandleParam, result), 8); // nvmap.h:136
                                                         // nvmap.h:149 struct nvmap_cache_op, sizeof = 24
    assert_eq!(size_of::<NvmapCacheOp>(), 24);
    assert_eq!(offset_of!(NvmapCacheOp, addr), 0); // nvmap.h:150
    assert_eq!(offset_of!(NvmapCacheOp, handle), 8); // nvmap.h:151
    assert_eq!(offset_of!(NvmapCacheOp, len), 12); // nvmap.h:152
    assert_eq!(offset_of!(NvmapCacheOp, op), 16); // nvmap.h:153
                                                  // nvmap.h:156 struct nvmap_cache_op_64, sizeof = 32
    assert_eq!(size_of::<NvmapCacheOp64>(), 32);
    assert_eq!(offset_of!(NvmapCacheOp64, addr), 0); // nvmap.h:157
    assert_eq!(offset_of!(NvmapCacheOp64, handle), 8); // nvmap.h:158
    assert_eq!(offset_of!(NvmapCacheOp64, len), 16); // nvmap.h:159
    assert_eq!(offset_of!(NvmapCacheOp64, op), 24); // nvmap.h:160
                                                    // nvmap.h:203 struct nvmap_available_heaps, sizeof = 8
    assert_eq!(size_of::<NvmapAvailableHeaps>(), 8);
    assert_eq!(offset_of!(NvmapAvailableHeaps, heaps), 0); // nvmap.h:204
                                                           // nvmap.h:236 struct nvmap_query_heap_params, sizeof = 48
    assert_eq!(size_of::<NvmapQueryHeapParams>(), 48);
    assert_eq!(offset_of!(NvmapQueryHeapParams, heap_mask), 0); // nvmap.h:237
    assert_eq!(offset_of!(NvmapQueryHeapParams, flags), 4); // nvmap.h:238
    assert_eq!(offset_of!(NvmapQueryHeapParams, contig), 8); // nvmap.h:239
    assert_eq!(offset_of!(NvmapQueryHeapParams, total), 16); // nvmap.h:240
    assert_eq!(offset_of!(NvmapQueryHeapParams, free), 24); // nvmap.h:241
    assert_eq!(offset_of!(NvmapQueryHeapParams, largest_free_block), 32); // nvmap.h:242
    assert_eq!(offset_of!(NvmapQueryHeapParams, granule_size), 40); // nvmap.h:243
                                                                    // nvgpu-ctrl.h:219 struct nvgpu_gpu_characteristics, sizeof = 328
    assert_eq!(size_of::<NvgpuGpuCharacteristics>(), 328);
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, arch), 0); // nvgpu-ctrl.h:220
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, r#impl), 4); // nvgpu-ctrl.h:221
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, rev), 8); // nvgpu-ctrl.h:222
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, num_gpc), 12); // nvgpu-ctrl.h:223
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, numa_domain_id), 16); // nvgpu-ctrl.h:230
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, L2_cache_size), 24); // nvgpu-ctrl.h:232
    assert_eq!(
        offset_of!(NvgpuGpuCharacteristics, on_board_video_memory_size),
        32
    ); // nvgpu-ctrl.h:233
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, num_tpc_per_gpc), 40); // nvgpu-ctrl.h:235
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, bus_type), 44); // nvgpu-ctrl.h:236
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, big_page_size), 48); // nvgpu-ctrl.h:238
    assert_eq!(
        offset_of!(NvgpuGpuCharacteristics, compression_page_size),
        52
    ); // nvgpu-ctrl.h:239
    assert_eq!(
        offset_of!(NvgpuGpuCharacteristics, pde_coverage_bit_count),
        56
    ); // nvgpu-ctrl.h:241
    assert_eq!(
        offset_of!(NvgpuGpuCharacteristics, available_big_page_sizes),
        60
    ); // nvgpu-ctrl.h:246
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, flags), 64); // nvgpu-ctrl.h:248
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, twod_class), 72); // nvgpu-ctrl.h:250
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, threed_class), 76); // nvgpu-ctrl.h:251
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, compute_class), 80); // nvgpu-ctrl.h:252
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, gpfifo_class), 84); // nvgpu-ctrl.h:253
    assert_eq!(
        offset_of!(NvgpuGpuCharacteristics, inline_to_memory_class),
        88
    ); // nvgpu-ctrl.h:254
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, dma_copy_class), 92); // nvgpu-ctrl.h:255
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, gpc_mask), 96); // nvgpu-ctrl.h:257
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, sm_arch_sm_version), 100); // nvgpu-ctrl.h:259
    assert_eq!(
        offset_of!(NvgpuGpuCharacteristics, sm_arch_spa_version),
        104
    ); // nvgpu-ctrl.h:260
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, sm_arch_warp_count), 108); // nvgpu-ctrl.h:261
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, gpu_ioctl_nr_last), 112); // nvgpu-ctrl.h:264
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, tsg_ioctl_nr_last), 114); // nvgpu-ctrl.h:265
    assert_eq!(
        offset_of!(NvgpuGpuCharacteristics, dbg_gpu_ioctl_nr_last),
        116
    ); // nvgpu-ctrl.h:266
    assert_eq!(
        offset_of!(NvgpuGpuCharacteristics, ioctl_channel_nr_last),
        118
    ); // nvgpu-ctrl.h:267
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, as_ioctl_nr_last), 120); // nvgpu-ctrl.h:268
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, gpu_va_bit_count), 122); // nvgpu-ctrl.h:270
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, reserved), 123); // nvgpu-ctrl.h:271
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, max_fbps_count), 124); // nvgpu-ctrl.h:273
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, fbp_en_mask), 128); // nvgpu-ctrl.h:274
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, emc_en_mask), 132); // nvgpu-ctrl.h:275
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, max_ltc_per_fbp), 136); // nvgpu-ctrl.h:276
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, max_lts_per_ltc), 140); // nvgpu-ctrl.h:277
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, max_tex_per_tpc), 144); // nvgpu-ctrl.h:278
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, max_gpc_count), 148); // nvgpu-ctrl.h:279
    assert_eq!(
        offset_of!(NvgpuGpuCharacteristics, rop_l2_en_mask_DEPRECATED),
        152
    ); // nvgpu-ctrl.h:281
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, chipname), 160); // nvgpu-ctrl.h:284
    assert_eq!(
        offset_of!(NvgpuGpuCharacteristics, gr_compbit_store_base_hw),
        168
    ); // nvgpu-ctrl.h:286
    assert_eq!(
        offset_of!(NvgpuGpuCharacteristics, gr_gobs_per_comptagline_per_slice),
        176
    ); // nvgpu-ctrl.h:287
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, num_ltc), 180); // nvgpu-ctrl.h:288
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, lts_per_ltc), 184); // nvgpu-ctrl.h:289
    assert_eq!(
        offset_of!(NvgpuGpuCharacteristics, cbc_cache_line_size),
        188
    ); // nvgpu-ctrl.h:290
    assert_eq!(
        offset_of!(NvgpuGpuCharacteristics, cbc_comptags_per_line),
        192
    ); // nvgpu-ctrl.h:291
    assert_eq!(
        offset_of!(NvgpuGpuCharacteristics, map_buffer_batch_limit),
        196
    ); // nvgpu-ctrl.h:295
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, max_freq), 200); // nvgpu-ctrl.h:297
    assert_eq!(
        offset_of!(NvgpuGpuCharacteristics, graphics_preemption_mode_flags),
        208
    ); // nvgpu-ctrl.h:300
    assert_eq!(
        offset_of!(NvgpuGpuCharacteristics, compute_preemption_mode_flags),
        212
    ); // nvgpu-ctrl.h:301
    assert_eq!(
        offset_of!(NvgpuGpuCharacteristics, default_graphics_preempt_mode),
        216
    ); // nvgpu-ctrl.h:303
    assert_eq!(
        offset_of!(NvgpuGpuCharacteristics, default_compute_preempt_mode),
        220
    ); // nvgpu-ctrl.h:304
    assert_eq!(
        offset_of!(NvgpuGpuCharacteristics, local_video_memory_size),
        224
    ); // nvgpu-ctrl.h:306
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, pci_vendor_id), 232); // nvgpu-ctrl.h:309
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, pci_device_id), 234); // nvgpu-ctrl.h:309
    assert_eq!(
        offset_of!(NvgpuGpuCharacteristics, pci_subsystem_vendor_id),
        236
    ); // nvgpu-ctrl.h:310
    assert_eq!(
        offset_of!(NvgpuGpuCharacteristics, pci_subsystem_device_id),
        238
    ); // nvgpu-ctrl.h:310
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, pci_class), 240); // nvgpu-ctrl.h:311
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, pci_revision), 242); // nvgpu-ctrl.h:312
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, vbios_oem_version), 243); // nvgpu-ctrl.h:313
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, vbios_version), 244); // nvgpu-ctrl.h:314
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, reg_ops_limit), 248); // nvgpu-ctrl.h:318
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, reserved1), 252); // nvgpu-ctrl.h:319
    assert_eq!(
        offset_of!(NvgpuGpuCharacteristics, event_ioctl_nr_last),
        256
    ); // nvgpu-ctrl.h:321
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, pad), 258); // nvgpu-ctrl.h:322
    assert_eq!(
        offset_of!(NvgpuGpuCharacteristics, max_css_buffer_size),
        260
    ); // nvgpu-ctrl.h:324
    assert_eq!(
        offset_of!(NvgpuGpuCharacteristics, ctxsw_ioctl_nr_last),
        264
    ); // nvgpu-ctrl.h:326
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, prof_ioctl_nr_last), 266); // nvgpu-ctrl.h:327
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, nvs_ioctl_nr_last), 268); // nvgpu-ctrl.h:328
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, reserved2), 270); // nvgpu-ctrl.h:329
    assert_eq!(
        offset_of!(NvgpuGpuCharacteristics, max_ctxsw_ring_buffer_size),
        272
    ); // nvgpu-ctrl.h:331
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, reserved3), 276); // nvgpu-ctrl.h:332
    assert_eq!(
        offset_of!(NvgpuGpuCharacteristics, per_device_identifier),
        280
    ); // nvgpu-ctrl.h:334
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, num_ppc_per_gpc), 288); // nvgpu-ctrl.h:336
    assert_eq!(
        offset_of!(NvgpuGpuCharacteristics, max_veid_count_per_tsg),
        292
    ); // nvgpu-ctrl.h:337
    assert_eq!(
        offset_of!(NvgpuGpuCharacteristics, num_sub_partition_per_fbpa),
        296
    ); // nvgpu-ctrl.h:339
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, gpu_instance_id), 300); // nvgpu-ctrl.h:340
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, gr_instance_id), 304); // nvgpu-ctrl.h:342
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, max_gpfifo_entries), 308); // nvgpu-ctrl.h:345
    assert_eq!(
        offset_of!(NvgpuGpuCharacteristics, max_dbg_tsg_timeslice),
        312
    ); // nvgpu-ctrl.h:347
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, reserved5), 316); // nvgpu-ctrl.h:348
    assert_eq!(offset_of!(NvgpuGpuCharacteristics, device_instance_id), 320); // nvgpu-ctrl.h:354
                                                                              // nvgpu-ctrl.h:365 struct nvgpu_gpu_get_characteristics, sizeof = 16
    assert_eq!(size_of::<NvgpuGpuGetCharacteristics>(), 16);
    assert_eq!(
        offset_of!(NvgpuGpuGetCharacteristics, gpu_characteristics_buf_size),
        0
    ); // nvgpu-ctrl.h:368
    assert_eq!(
        offset_of!(NvgpuGpuGetCharacteristics, gpu_characteristics_buf_addr),
        8
    ); // nvgpu-ctrl.h:373
       // nvgpu-ctrl.h:415 struct nvgpu_alloc_as_args, sizeof = 64
    assert_eq!(size_of::<NvgpuAllocAsArgs>(), 64);
    assert_eq!(offset_of!(NvgpuAllocAsArgs, big_page_size), 0); // nvgpu-ctrl.h:416
    assert_eq!(offset_of!(NvgpuAllocAsArgs, as_fd), 4); // nvgpu-ctrl.h:417
    assert_eq!(offset_of!(NvgpuAllocAsArgs, flags), 8); // nvgpu-ctrl.h:431
    assert_eq!(offset_of!(NvgpuAllocAsArgs, reserved), 12); // nvgpu-ctrl.h:432
    assert_eq!(offset_of!(NvgpuAllocAsArgs, va_range_start), 16); // nvgpu-ctrl.h:433
    assert_eq!(offset_of!(NvgpuAllocAsArgs, va_range_end), 24); // nvgpu-ctrl.h:434
    assert_eq!(offset_of!(NvgpuAllocAsArgs, va_range_split), 32); // nvgpu-ctrl.h:435
    assert_eq!(offset_of!(NvgpuAllocAsArgs, padding), 40); // nvgpu-ctrl.h:437
                                                           // nvgpu-ctrl.h:472 struct nvgpu_gpu_open_tsg_args, sizeof = 24
    assert_eq!(size_of::<NvgpuGpuOpenTsgArgs>(), 24);
    assert_eq!(offset_of!(NvgpuGpuOpenTsgArgs, tsg_fd), 0); // nvgpu-ctrl.h:473
    assert_eq!(offset_of!(NvgpuGpuOpenTsgArgs, flags), 4); // nvgpu-ctrl.h:474
    assert_eq!(
        offset_of!(NvgpuGpuOpenTsgArgs, source_device_instance_id),
        8
    ); // nvgpu-ctrl.h:476
    assert_eq!(offset_of!(NvgpuGpuOpenTsgArgs, share_token), 16); // nvgpu-ctrl.h:483
                                                                  // nvgpu-ctrl.h:491 struct nvgpu_gpu_get_tpc_masks_args, sizeof = 16
    assert_eq!(size_of::<NvgpuGpuGetTpcMasksArgs>(), 16);
    assert_eq!(offset_of!(NvgpuGpuGetTpcMasksArgs, mask_buf_size), 0); // nvgpu-ctrl.h:497
    assert_eq!(offset_of!(NvgpuGpuGetTpcMasksArgs, reserved), 4); // nvgpu-ctrl.h:498
    assert_eq!(offset_of!(NvgpuGpuGetTpcMasksArgs, mask_buf_addr), 8); // nvgpu-ctrl.h:504
                                                                       // nvgpu-ctrl.h:533 struct nvgpu_gpu_open_channel_args, sizeof = 4
    assert_eq!(size_of::<NvgpuGpuOpenChannelArgs>(), 4);
    assert_eq!(offset_of!(NvgpuGpuOpenChannelArgs, channel_fd), 0); // nvgpu-ctrl.h:535
                                                                    // nvgpu-as.h:58 struct nvgpu_as_alloc_space_args, sizeof = 32
    assert_eq!(size_of::<NvgpuAsAllocSpaceArgs>(), 32);
    assert_eq!(offset_of!(NvgpuAsAllocSpaceArgs, pages), 0); // nvgpu-as.h:59
    assert_eq!(offset_of!(NvgpuAsAllocSpaceArgs, page_size), 8); // nvgpu-as.h:60
    assert_eq!(offset_of!(NvgpuAsAllocSpaceArgs, flags), 12); // nvgpu-as.h:61
    assert_eq!(offset_of!(NvgpuAsAllocSpaceArgs, o_a), 16); // nvgpu-as.h:65
    assert_eq!(offset_of!(NvgpuAsAllocSpaceArgs, padding), 24); // nvgpu-as.h:66
                                                                // nvgpu-as.h:90 struct nvgpu_as_bind_channel_args, sizeof = 4
    assert_eq!(size_of::<NvgpuAsBindChannelArgs>(), 4);
    assert_eq!(offset_of!(NvgpuAsBindChannelArgs, channel_fd), 0); // nvgpu-as.h:91
                                                                   // nvgpu-as.h:210 struct nvgpu_as_map_buffer_ex_args, sizeof = 40
    assert_eq!(size_of::<NvgpuAsMapBufferExArgs>(), 40);
    assert_eq!(offset_of!(NvgpuAsMapBufferExArgs, flags), 0); // nvgpu-as.h:211
    assert_eq!(offset_of!(NvgpuAsMapBufferExArgs, compr_kind), 4); // nvgpu-as.h:230
    assert_eq!(offset_of!(NvgpuAsMapBufferExArgs, incompr_kind), 6); // nvgpu-as.h:231
    assert_eq!(offset_of!(NvgpuAsMapBufferExArgs, dmabuf_fd), 8); // nvgpu-as.h:233
    assert_eq!(offset_of!(NvgpuAsMapBufferExArgs, page_size), 12); // nvgpu-as.h:234
    assert_eq!(offset_of!(NvgpuAsMapBufferExArgs, buffer_offset), 16); // nvgpu-as.h:236
    assert_eq!(offset_of!(NvgpuAsMapBufferExArgs, mapping_size), 24); // nvgpu-as.h:237
    assert_eq!(offset_of!(NvgpuAsMapBufferExArgs, offset), 32); // nvgpu-as.h:236
                                                                // nvgpu-as.h:338 struct nvgpu_as_unmap_buffer_args, sizeof = 8
    assert_eq!(size_of::<NvgpuAsUnmapBufferArgs>(), 8);
    assert_eq!(offset_of!(NvgpuAsUnmapBufferArgs, offset), 0); // nvgpu-as.h:339
                                                               // nvgpu-as.h:343 struct nvgpu_as_va_region, sizeof = 24
    assert_eq!(size_of::<NvgpuAsVaRegion>(), 24);
    assert_eq!(offset_of!(NvgpuAsVaRegion, offset), 0); // nvgpu-as.h:344
    assert_eq!(offset_of!(NvgpuAsVaRegion, page_size), 8); // nvgpu-as.h:345
    assert_eq!(offset_of!(NvgpuAsVaRegion, reserved), 12); // nvgpu-as.h:346
    assert_eq!(offset_of!(NvgpuAsVaRegion, pages), 16); // nvgpu-as.h:347
                                                        // nvgpu-as.h:350 struct nvgpu_as_get_va_regions_args, sizeof = 16
    assert_eq!(size_of::<NvgpuAsGetVaRegionsArgs>(), 16);
    assert_eq!(offset_of!(NvgpuAsGetVaRegionsArgs, buf_addr), 0); // nvgpu-as.h:351
    assert_eq!(offset_of!(NvgpuAsGetVaRegionsArgs, buf_size), 8); // nvgpu-as.h:353
    assert_eq!(offset_of!(NvgpuAsGetVaRegionsArgs, reserved), 12); // nvgpu-as.h:355
                                                                   // nvgpu.h:34 struct nvgpu_tsg_bind_channel_ex_args, sizeof = 24
    assert_eq!(size_of::<NvgpuTsgBindChannelExArgs>(), 24);
    assert_eq!(offset_of!(NvgpuTsgBindChannelExArgs, channel_fd), 0); // nvgpu.h:36
    assert_eq!(offset_of!(NvgpuTsgBindChannelExArgs, subcontext_id), 4); // nvgpu.h:39
    assert_eq!(offset_of!(NvgpuTsgBindChannelExArgs, reserved), 8); // nvgpu.h:40
                                                                    // nvgpu.h:160 struct nvgpu_tsg_create_subcontext_args, sizeof = 16
    assert_eq!(size_of::<NvgpuTsgCreateSubcontextArgs>(), 16);
    assert_eq!(offset_of!(NvgpuTsgCreateSubcontextArgs, r#type), 0); // nvgpu.h:162
    assert_eq!(offset_of!(NvgpuTsgCreateSubcontextArgs, as_fd), 4); // nvgpu.h:165
    assert_eq!(offset_of!(NvgpuTsgCreateSubcontextArgs, veid), 8); // nvgpu.h:176
    assert_eq!(offset_of!(NvgpuTsgCreateSubcontextArgs, reserved), 12); // nvgpu.h:177
                                                                        // nvgpu.h:190 struct nvgpu_tsg_delete_subcontext_args, sizeof = 8
    assert_eq!(size_of::<NvgpuTsgDeleteSubcontextArgs>(), 8);
    assert_eq!(offset_of!(NvgpuTsgDeleteSubcontextArgs, veid), 0); // nvgpu.h:192
    assert_eq!(offset_of!(NvgpuTsgDeleteSubcontextArgs, reserved), 4); // nvgpu.h:193
                                                                       // nvgpu.h:1214 struct nvgpu_channel_wdt_args, sizeof = 8
    assert_eq!(size_of::<NvgpuChannelWdtArgs>(), 8);
    assert_eq!(offset_of!(NvgpuChannelWdtArgs, wdt_status), 0); // nvgpu.h:1215
    assert_eq!(offset_of!(NvgpuChannelWdtArgs, timeout_ms), 4); // nvgpu.h:1216
                                                                // nvgpu.h:1053 struct nvgpu_channel_setup_bind_args, sizeof = 104
    assert_eq!(size_of::<NvgpuChannelSetupBindArgs>(), 104);
    assert_eq!(offset_of!(NvgpuChannelSetupBindArgs, num_gpfifo_entries), 0); // nvgpu.h:1064
    assert_eq!(offset_of!(NvgpuChannelSetupBindArgs, num_inflight_jobs), 4); // nvgpu.h:1065
    assert_eq!(offset_of!(NvgpuChannelSetupBindArgs, flags), 8); // nvgpu.h:1103
    assert_eq!(offset_of!(NvgpuChannelSetupBindArgs, userd_dmabuf_fd), 12); // nvgpu.h:1104
    assert_eq!(offset_of!(NvgpuChannelSetupBindArgs, gpfifo_dmabuf_fd), 16); // nvgpu.h:1105
    assert_eq!(offset_of!(NvgpuChannelSetupBindArgs, work_submit_token), 20); // nvgpu.h:1106
    assert_eq!(
        offset_of!(NvgpuChannelSetupBindArgs, userd_dmabuf_offset),
        24
    ); // nvgpu.h:1107
    assert_eq!(
        offset_of!(NvgpuChannelSetupBindArgs, gpfifo_dmabuf_offset),
        32
    ); // nvgpu.h:1108
    assert_eq!(offset_of!(NvgpuChannelSetupBindArgs, gpfifo_gpu_va), 40); // nvgpu.h:1109
    assert_eq!(offset_of!(NvgpuChannelSetupBindArgs, userd_gpu_va), 48); // nvgpu.h:1110
    assert_eq!(
        offset_of!(NvgpuChannelSetupBindArgs, usermode_mmio_gpu_va),
        56
    ); // nvgpu.h:1111
    assert_eq!(offset_of!(NvgpuChannelSetupBindArgs, reserved), 64); // nvgpu.h:1112
                                                                     // nvgpu.h:1034 struct nvgpu_alloc_obj_ctx_args, sizeof = 16
    assert_eq!(size_of::<NvgpuAllocObjCtxArgs>(), 16);
    assert_eq!(offset_of!(NvgpuAllocObjCtxArgs, class_num), 0); // nvgpu.h:1035
    assert_eq!(offset_of!(NvgpuAllocObjCtxArgs, flags), 4); // nvgpu.h:1036
    assert_eq!(offset_of!(NvgpuAllocObjCtxArgs, obj_id), 8); // nvgpu.h:1037
                                                             // nvgpu.h:1185 struct nvgpu_set_error_notifier, sizeof = 24
    assert_eq!(size_of::<NvgpuSetErrorNotifier>(), 24);
    assert_eq!(offset_of!(NvgpuSetErrorNotifier, offset), 0); // nvgpu.h:1186
    assert_eq!(offset_of!(NvgpuSetErrorNotifier, size), 8); // nvgpu.h:1187
    assert_eq!(offset_of!(NvgpuSetErrorNotifier, mem), 16); // nvgpu.h:1188
    assert_eq!(offset_of!(NvgpuSetErrorNotifier, padding), 20); // nvgpu.h:1189
                                                                // nvgpu.h:1192 struct nvgpu_notification, sizeof = 16
    assert_eq!(size_of::<NvgpuNotification>(), 16);
    assert_eq!(offset_of!(NvgpuNotification, time_stamp), 0); // nvgpu.h:1195
    assert_eq!(offset_of!(NvgpuNotification, info32), 8); // nvgpu.h:1196
    assert_eq!(offset_of!(NvgpuNotification, info16), 12); // nvgpu.h:1208
    assert_eq!(offset_of!(NvgpuNotification, status), 14); // nvgpu.h:1209
                                                           // nvgpu.h:999 struct nvgpu_gpfifo, sizeof = 8
    assert_eq!(size_of::<NvgpuGpfifo>(), 8);
    assert_eq!(offset_of!(NvgpuGpfifo, entry0), 0); // nvgpu.h:1000
    assert_eq!(offset_of!(NvgpuGpfifo, entry1), 4); // nvgpu.h:1001
}

#[test]
fn ioctl_numbers_match_the_headers() {
    assert_eq!(NVMAP_IOC_CREATE, 0xC0084E00); // nvmap.h:271
    assert_eq!(NVMAP_IOC_ALLOC, 0x40144E03); // nvmap.h:277
    assert_eq!(NVMAP_IOC_FREE, 0x00004E04); // nvmap.h:281
    assert_eq!(NVMAP_IOC_GET_FD, 0xC0084E0F); // nvmap.h:315
    assert_eq!(NVMAP_IOC_PARAM, 0xC0104E08); // nvmap.h:294
    assert_eq!(NVMAP_IOC_CACHE, 0x40184E0C); // nvmap.h:301
    assert_eq!(NVMAP_IOC_CACHE_64, 0x40204E0C); // nvmap.h:302
    assert_eq!(NVMAP_IOC_GET_AVAILABLE_HEAPS, 0x80084E19); // nvmap.h:336
    assert_eq!(NVMAP_IOC_QUERY_HEAP_PARAMS, 0x80304E69); // nvmap.h:361
    assert_eq!(NVGPU_GPU_IOCTL_GET_CHARACTERISTICS, 0xC0104705); // nvgpu-ctrl.h:1216
    assert_eq!(NVGPU_GPU_IOCTL_ALLOC_AS, 0xC0404708); // nvgpu-ctrl.h:1222
    assert_eq!(NVGPU_GPU_IOCTL_OPEN_TSG, 0xC0184709); // nvgpu-ctrl.h:1224
    assert_eq!(NVGPU_GPU_IOCTL_GET_TPC_MASKS, 0xC010470A); // nvgpu-ctrl.h:1226
    assert_eq!(NVGPU_GPU_IOCTL_OPEN_CHANNEL, 0xC004470B); // nvgpu-ctrl.h:1228
    assert_eq!(NVGPU_AS_IOCTL_BIND_CHANNEL, 0xC0044101); // nvgpu-as.h:560
    assert_eq!(NVGPU_AS_IOCTL_UNMAP_BUFFER, 0xC0084105); // nvgpu-as.h:566
    assert_eq!(NVGPU_AS_IOCTL_ALLOC_SPACE, 0xC0204106); // nvgpu-as.h:568
    assert_eq!(NVGPU_AS_IOCTL_MAP_BUFFER_EX, 0xC0284107); // nvgpu-as.h:570
    assert_eq!(NVGPU_AS_IOCTL_GET_VA_REGIONS, 0xC0104108); // nvgpu-as.h:572
    assert_eq!(NVGPU_TSG_IOCTL_BIND_CHANNEL_EX, 0xC018540B); // nvgpu.h:285
    assert_eq!(NVGPU_TSG_IOCTL_CREATE_SUBCONTEXT, 0xC0105412); // nvgpu.h:305
    assert_eq!(NVGPU_TSG_IOCTL_DELETE_SUBCONTEXT, 0x40085413); // nvgpu.h:308
    assert_eq!(NVGPU_IOCTL_CHANNEL_WDT, 0x40084877); // nvgpu.h:1329
    assert_eq!(NVGPU_IOCTL_CHANNEL_SETUP_BIND, 0xC0684880); // nvgpu.h:1343
    assert_eq!(NVGPU_IOCTL_CHANNEL_ALLOC_OBJ_CTX, 0xC010486C); // nvgpu.h:1311
    assert_eq!(NVGPU_IOCTL_CHANNEL_SET_ERROR_NOTIFIER, 0xC018486F); // nvgpu.h:1315
}

/// The table above and the C dump committed beside it say the same (guards against editing one).
#[test]
fn dump_file_numbers_are_the_ones_tested() {
    let dump = include_str!("fixtures/tegra/layout_dump.txt");
    let ours: &[(&str, u64)] = &[
        ("NVMAP_IOC_CREATE", NVMAP_IOC_CREATE),
        ("NVMAP_IOC_ALLOC", NVMAP_IOC_ALLOC),
        ("NVMAP_IOC_FREE", NVMAP_IOC_FREE),
        ("NVMAP_IOC_GET_FD", NVMAP_IOC_GET_FD),
        ("NVMAP_IOC_PARAM", NVMAP_IOC_PARAM),
        ("NVMAP_IOC_CACHE", NVMAP_IOC_CACHE),
        ("NVMAP_IOC_CACHE_64", NVMAP_IOC_CACHE_64),
        (
            "NVMAP_IOC_GET_AVAILABLE_HEAPS",
            NVMAP_IOC_GET_AVAILABLE_HEAPS,
        ),
        ("NVMAP_IOC_QUERY_HEAP_PARAMS", NVMAP_IOC_QUERY_HEAP_PARAMS),
        (
            "NVGPU_GPU_IOCTL_GET_CHARACTERISTICS",
            NVGPU_GPU_IOCTL_GET_CHARACTERISTICS,
        ),
        ("NVGPU_GPU_IOCTL_ALLOC_AS", NVGPU_GPU_IOCTL_ALLOC_AS),
        ("NVGPU_GPU_IOCTL_OPEN_TSG", NVGPU_GPU_IOCTL_OPEN_TSG),
        (
            "NVGPU_GPU_IOCTL_GET_TPC_MASKS",
            NVGPU_GPU_IOCTL_GET_TPC_MASKS,
        ),
        ("NVGPU_GPU_IOCTL_OPEN_CHANNEL", NVGPU_GPU_IOCTL_OPEN_CHANNEL),
        ("NVGPU_AS_IOCTL_BIND_CHANNEL", NVGPU_AS_IOCTL_BIND_CHANNEL),
        ("NVGPU_AS_IOCTL_UNMAP_BUFFER", NVGPU_AS_IOCTL_UNMAP_BUFFER),
        ("NVGPU_AS_IOCTL_ALLOC_SPACE", NVGPU_AS_IOCTL_ALLOC_SPACE),
        ("NVGPU_AS_IOCTL_MAP_BUFFER_EX", NVGPU_AS_IOCTL_MAP_BUFFER_EX),
        (
            "NVGPU_AS_IOCTL_GET_VA_REGIONS",
            NVGPU_AS_IOCTL_GET_VA_REGIONS,
        ),
        (
            "NVGPU_TSG_IOCTL_BIND_CHANNEL_EX",
            NVGPU_TSG_IOCTL_BIND_CHANNEL_EX,
        ),
        (
            "NVGPU_TSG_IOCTL_CREATE_SUBCONTEXT",
            NVGPU_TSG_IOCTL_CREATE_SUBCONTEXT,
        ),
        (
            "NVGPU_TSG_IOCTL_DELETE_SUBCONTEXT",
            NVGPU_TSG_IOCTL_DELETE_SUBCONTEXT,
        ),
        ("NVGPU_IOCTL_CHANNEL_WDT", NVGPU_IOCTL_CHANNEL_WDT),
        (
            "NVGPU_IOCTL_CHANNEL_SETUP_BIND",
            NVGPU_IOCTL_CHANNEL_SETUP_BIND,
        ),
        (
            "NVGPU_IOCTL_CHANNEL_ALLOC_OBJ_CTX",
            NVGPU_IOCTL_CHANNEL_ALLOC_OBJ_CTX,
        ),
        (
            "NVGPU_IOCTL_CHANNEL_SET_ERROR_NOTIFIER",
            NVGPU_IOCTL_CHANNEL_SET_ERROR_NOTIFIER,
        ),
    ];
    let mut seen = 0;
    for line in dump.lines().filter(|l| l.starts_with("NUM ")) {
        let mut f = line.split_whitespace().skip(1);
        let (name, hex) = (f.next().unwrap(), f.next().unwrap());
        let want = u64::from_str_radix(hex.trim_start_matches("0x"), 16).unwrap();
        let got = ours.iter().find(|(n, _)| *n == name).map(|&(_, v)| v);
        assert_eq!(got, Some(want), "{name}");
        seen += 1;
    }
    assert_eq!(seen, ours.len());
}

/// Constants the bring-up passes, from the headers (nvgpu.h, nvgpu-as.h, nvgpu-ctrl.h,
/// include/linux/nvmap.h).
#[test]
fn flag_values_match_the_headers() {
    assert_eq!(NVGPU_CHANNEL_SETUP_BIND_FLAGS_USERMODE_SUPPORT, 1 << 3); // nvgpu.h:1098
    assert_eq!(NVGPU_CHANNEL_SETUP_BIND_FLAGS_DETERMINISTIC, 1 << 1); // nvgpu.h:1085
    assert_eq!(NVGPU_IOCTL_CHANNEL_DISABLE_WDT, 1); // nvgpu.h:1218
    assert_eq!(NVGPU_TSG_SUBCONTEXT_TYPE_ASYNC, 1); // nvgpu.h:157
    assert_eq!(NVGPU_GPU_IOCTL_ALLOC_AS_FLAGS_UNIFIED_VA, 2); // nvgpu-ctrl.h:430
    assert_eq!(NVGPU_GPU_FLAGS_SUPPORT_IO_COHERENCE, 1 << 20); // nvgpu-ctrl.h:131
    assert_eq!(NVGPU_GPU_FLAGS_SUPPORT_USERMODE_SUBMIT, 1 << 30); // nvgpu-ctrl.h:149
    assert_eq!(NVGPU_AS_ALLOC_SPACE_FLAGS_FIXED_OFFSET, 1); // nvgpu-as.h:50
    assert_eq!(NV_KIND_INVALID, -1); // nvgpu-as.h:229
    assert_eq!(NVMAP_HEAP_IOVMM, 0x4000_0000); // include/linux/nvmap.h:18
    assert_eq!(NVMAP_HANDLE_WRITE_COMBINE, 1); // include/linux/nvmap.h:33
    assert_eq!(NVMAP_HANDLE_INNER_CACHEABLE, 2); // include/linux/nvmap.h:34
    assert_eq!(NVMAP_CACHE_OP_WB_INV, 2); // nvmap.h:33
}
