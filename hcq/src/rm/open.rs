//! RmIface::open: the bring-up sequence of rm-hcq.md §1.3 steps 1–16, and teardown (Drop).

use super::classes::*;
use super::fd::{cpu_map, open_gpu_fd, open_node, NVIDIACTL, NVIDIA_UVM};
use super::rmcall::{alloc_raw, c_str, uvm_call, Rm};
use super::uapi::*;
use super::{GrInfo, RmIface, RmOptions, VaAllocator, HIGH_VA_BASE, LOW_VA_BASE};
use crate::error::{HcqError, Result};
use crate::iface::{Classes, GpuInfo, ShaderWindows};
use crate::ioctl;
use std::collections::HashMap;
use std::os::fd::AsRawFd;
use std::path::Path;

/// Size of the usermode (doorbell) page: NVC361_NV_USERMODE__SIZE.
const USERMODE_SIZE_B: u64 = 0x10000;

/// Which NVIDIA device nodes exist: (path, exists) for doctor and for NoDevice messages.
pub fn probe_nodes() -> Vec<(String, bool)> {
    let mut v: Vec<(String, bool)> = [NVIDIACTL, NVIDIA_UVM]
        .iter()
        .map(|p| (p.to_string(), Path::new(p).exists()))
        .collect();
    for n in 0..16 {
        let p = format!("/dev/nvidia{n}");
        if Path::new(&p).exists() {
            v.push((p, true));
        }
    }
    v
}

/// What the GPU reports through RM controls, gathered at open.
struct Queried {
    driver_version: String,
    name: String,
    all_classes: Vec<u32>,
    gr: GrInfo,
    sm_version: u32,
    vram_b: u64,
}

impl RmIface {
    /// Open the first NVIDIA GPU through the RM/UVM driver with default options.
    pub fn open() -> Result<RmIface> {
        RmIface::open_with(RmOptions::default())
    }

    pub fn open_with(opts: RmOptions) -> Result<RmIface> {
        if !Path::new(NVIDIACTL).exists() {
            return Err(HcqError::NoDevice(format!(
                "{NVIDIACTL} does not exist: no NVIDIA desktop driver (RM) is loaded on this machine"
            )));
        }
        if !Path::new(NVIDIA_UVM).exists() {
            return Err(HcqError::NoDevice(format!(
                "{NVIDIA_UVM} does not exist: load the nvidia-uvm module (modprobe nvidia-uvm) to use the RM path"
            )));
        }
        let ctl = open_node(NVIDIACTL)?;
        let ctl_fd = ctl.as_raw_fd();
        let client = alloc_raw(ctl_fd, 0, 0, NV01_ROOT_CLIENT, None)?;
        let rm = Rm { ctl_fd, client };

        // Until `me` exists, an early return closes the ctl fd, which makes RM free the client.
        let uvm = open_node(NVIDIA_UVM)?;
        let mut cards = NvCardInfoTable::zeroed_table();
        ioctl::call(ctl_fd, "NV_ESC_CARD_INFO", NV_ESC_CARD_INFO_CMD, &mut cards)?;
        let valid: Vec<&NvCardInfo> = cards.cards.iter().filter(|c| c.valid != 0).collect();
        let card = *valid.get(opts.card_index).ok_or_else(|| {
            HcqError::NoDevice(format!(
                "NV_ESC_CARD_INFO lists {} GPU(s); card index {} asked for",
                valid.len(),
                opts.card_index
            ))
        })?;
        let gpu_fd = open_gpu_fd(card.minor_number, ctl_fd)?;
        let mut me = RmIface {
            opts,
            ctl,
            uvm,
            _uvm_mm: None,
            gpu_fd,
            minor: card.minor_number,
            rm,
            device: 0,
            subdevice: 0,
            virtmem: 0,
            usermode: 0,
            vaspace: 0,
            doorbell: std::ptr::null_mut(),
            doorbell_fd: None,
            gpu_uuid: [0; 16],
            info: GpuInfo {
                iface: "rm",
                name: String::new(),
                driver_version: String::new(),
                sm_version: 0,
                num_sms: 0,
                vram_b: 0,
                classes: Classes {
                    gpfifo: 0,
                    compute: 0,
                    copy: 0,
                },
                all_classes: Vec::new(),
                unified_memory: false,
                shader_windows: ShaderWindows::DESKTOP,
            },
            gr: GrInfo::default(),
            va: VaAllocator {
                next_low: LOW_VA_BASE,
                next_high: HIGH_VA_BASE,
            },
            next_os_handle: 0xcafe_0001,
            mems: HashMap::new(),
            channels: HashMap::new(),
            tsg: 0,
            ctxshare: 0,
        };
        me.bring_up(card.gpu_id)?;
        Ok(me)
    }

    fn bring_up(&mut self, gpu_id: u32) -> Result<()> {
        let rm = self.rm;
        let uvm_fd = self.uvm.as_raw_fd();
        let mut init = UvmInitializeParams::default();
        uvm_call(uvm_fd, "UVM_INITIALIZE", UVM_INITIALIZE, &mut init, |p| {
            p.rm_status
        })?;
        // A second UVM fd bound to this process's mm (as the CUDA driver does); optional.
        if let Ok(mm_fd) = open_node(NVIDIA_UVM) {
            let mut mm = UvmMmInitializeParams {
                uvm_fd,
                rm_status: 0,
            };
            if uvm_call(
                mm_fd.as_raw_fd(),
                "UVM_MM_INITIALIZE",
                UVM_MM_INITIALIZE,
                &mut mm,
                |p| p.rm_status,
            )
            .is_ok()
            {
                self._uvm_mm = Some(mm_fd);
            }
        }

        let mut id = Nv0000GpuIdInfoV2Params {
            gpu_id,
            ..Default::default()
        };
        rm.control(rm.client, NV0000_CTRL_CMD_GPU_GET_ID_INFO_V2, &mut id)?;
        let mut dev = Nv0080AllocParams {
            device_id: id.device_instance,
            h_client_share: rm.client,
            ..Default::default()
        };
        self.device = rm.alloc(rm.client, NV01_DEVICE_0, Some(&mut dev))?;
        let mut sub = Nv2080AllocParams { sub_device_id: 0 };
        self.subdevice = rm.alloc(self.device, NV20_SUBDEVICE_0, Some(&mut sub))?;
        let mut vm = NvMemoryVirtualAllocParams {
            offset: 0,
            limit: 0x1_ffff_ffff_ffff,
            ..Default::default()
        };
        self.virtmem = rm.alloc(self.device, NV01_MEMORY_VIRTUAL, Some(&mut vm))?;

        let q = self.query()?;
        let (classes, usermode_class) = pick_classes(&q.all_classes)?;
        self.info.name = q.name;
        self.info.driver_version = q.driver_version;
        self.info.sm_version = q.sm_version;
        self.info.num_sms = q.gr.num_sms(q.sm_version);
        self.info.vram_b = q.vram_b;
        self.info.classes = classes;
        self.info.all_classes = q.all_classes;
        self.gr = q.gr;

        // Usermode page: NOTIFY_CHANNEL_PENDING (+0x90) is the doorbell (rm-hcq.md §1.4).
        self.usermode = rm.alloc::<Nv2080AllocParams>(self.subdevice, usermode_class, None)?;
        let db_fd = open_gpu_fd(self.minor, rm.ctl_fd)?;
        self.doorbell = cpu_map(
            &rm,
            self.device,
            self.usermode,
            USERMODE_SIZE_B,
            db_fd.as_raw_fd(),
            0,
            NVOS33_FLAGS_CACHING_TYPE_CACHED, // registers: the driver maps them uncached
        )?;
        self.doorbell_fd = Some(db_fd);

        let mut vas = NvVaspaceAllocParams {
            flags: NV_VASPACE_FLAGS_UVM_OWNED,
            va_size: 0x0001_ffff_fb00_0000,
            va_base: 0x1000,
            ..Default::default()
        };
        self.vaspace = rm.alloc(self.device, FERMI_VASPACE_A, Some(&mut vas))?;

        let mut gid = Nv2080GidInfoParams {
            index: 0,
            flags: NV2080_GPU_CMD_GPU_GET_GID_FLAGS_FORMAT_BINARY,
            length: 16,
            data: [0; 256],
        };
        rm.control(self.subdevice, NV2080_CTRL_CMD_GPU_GET_GID_INFO, &mut gid)?;
        self.gpu_uuid.copy_from_slice(&gid.data[..16]);

        let mut reg = UvmRegisterGpuParams {
            gpu_uuid: self.gpu_uuid,
            rm_ctrl_fd: -1,
            ..Default::default()
        };
        uvm_call(
            uvm_fd,
            "UVM_REGISTER_GPU",
            UVM_REGISTER_GPU,
            &mut reg,
            |p| p.rm_status,
        )?;
        let mut regvas = UvmRegisterGpuVaspaceParams {
            gpu_uuid: self.gpu_uuid,
            rm_ctrl_fd: rm.ctl_fd,
            h_client: rm.client,
            h_va_space: self.vaspace,
            rm_status: 0,
        };
        uvm_call(
            uvm_fd,
            "UVM_REGISTER_GPU_VASPACE",
            UVM_REGISTER_GPU_VASPACE,
            &mut regvas,
            |p| p.rm_status,
        )?;
        Ok(())
    }

    fn query(&self) -> Result<Queried> {
        let rm = self.rm;
        let mut ver: Nv0000BuildVersionV2Params = bytemuck::Zeroable::zeroed();
        let driver_version = match rm.control(
            rm.client,
            NV0000_CTRL_CMD_SYSTEM_GET_BUILD_VERSION_V2,
            &mut ver,
        ) {
            Ok(()) => c_str(&ver.driver_version_buffer),
            Err(e) => format!("unknown ({e})"),
        };
        let mut name: Nv2080GpuNameStringParams = bytemuck::Zeroable::zeroed();
        let name = match rm.control(
            self.subdevice,
            NV2080_CTRL_CMD_GPU_GET_NAME_STRING,
            &mut name,
        ) {
            Ok(()) => c_str(&name.gpu_name_string),
            Err(e) => format!("unknown ({e})"),
        };
        // Class list: first the count, then the list.
        let mut cl = Nv0080ClassListParams::default();
        rm.control(self.device, NV0080_CTRL_CMD_GPU_GET_CLASSLIST, &mut cl)?;
        let mut list = vec![0u32; cl.num_classes as usize];
        cl.class_list = list.as_mut_ptr() as u64;
        rm.control(self.device, NV0080_CTRL_CMD_GPU_GET_CLASSLIST, &mut cl)?;
        list.truncate(cl.num_classes as usize);

        let idx = [
            NV2080_CTRL_GR_INFO_INDEX_SM_VERSION,
            NV2080_CTRL_GR_INFO_INDEX_SHADER_PIPE_COUNT,
            NV2080_CTRL_GR_INFO_INDEX_LITTER_NUM_SM_PER_TPC,
            NV2080_CTRL_GR_INFO_INDEX_LITTER_NUM_GPCS,
            NV2080_CTRL_GR_INFO_INDEX_LITTER_NUM_TPC_PER_GPC,
            NV2080_CTRL_GR_INFO_INDEX_MAX_WARPS_PER_SM,
            NV2080_CTRL_GR_INFO_INDEX_GPU_CORE_COUNT,
            NV2080_CTRL_GR_INFO_INDEX_MAX_SP_PER_SM,
        ];
        let mut gr_list: Vec<NvCtrlInfo> = idx
            .iter()
            .map(|&index| NvCtrlInfo { index, data: 0 })
            .collect();
        let mut gr = Nv2080GrGetInfoParams {
            gr_info_list_size: gr_list.len() as u32,
            gr_info_list: gr_list.as_mut_ptr() as u64,
            ..Default::default()
        };
        if let Err(e) = rm.control(self.subdevice, NV2080_CTRL_CMD_GR_GET_INFO, &mut gr) {
            // Not fatal: the SM version then comes from the compute class (sm_version_of_class).
            ioctl::trace_line(&format!("GR_GET_INFO failed: {e}"));
        }
        if ioctl::tracing() {
            ioctl::trace_line(&format!("  GR info: {gr_list:?}"));
        }
        let mut fb: Nv2080FbGetInfoV2Params = bytemuck::Zeroable::zeroed();
        fb.fb_info_list_size = 1;
        fb.fb_info_list[0].index = NV2080_CTRL_FB_INFO_INDEX_TOTAL_RAM_SIZE;
        let vram_b = match rm.control(self.subdevice, NV2080_CTRL_CMD_FB_GET_INFO_V2, &mut fb) {
            Ok(()) => fb.fb_info_list[0].data as u64 * 1024,
            Err(_) => 0,
        };
        Ok(Queried {
            driver_version,
            name,
            sm_version: if gr_list[0].data != 0 {
                gr_list[0].data
            } else {
                sm_version_of_class(&list)
            },
            all_classes: list,
            gr: GrInfo {
                shader_pipe_count: gr_list[1].data,
                core_count: gr_list[6].data,
                sp_per_sm: gr_list[7].data,
                sm_per_tpc: gr_list[2].data,
                num_gpcs: gr_list[3].data,
                tpc_per_gpc: gr_list[4].data,
                max_warps_per_sm: gr_list[5].data,
            },
            vram_b,
        })
    }

    /// The GPU UUID (16 bytes) as RM and UVM know it.
    pub fn gpu_uuid(&self) -> [u8; 16] {
        self.gpu_uuid
    }

    /// The device node this interface drives (/dev/nvidiaN).
    pub fn device_node(&self) -> String {
        format!("/dev/nvidia{}", self.minor)
    }
}

impl NvCardInfoTable {
    fn zeroed_table() -> Self {
        bytemuck::Zeroable::zeroed()
    }
}

impl Drop for RmIface {
    /// Free in reverse order of creation: channels, buffers, then the root client (which frees
    /// every RM object still under it), then the mappings and fds.
    fn drop(&mut self) {
        let chans: Vec<u64> = self.channels.keys().copied().collect();
        for h in chans.into_iter().rev() {
            let _ = self.destroy_channel_by_handle(h);
        }
        let mut mems: Vec<u64> = self.mems.keys().copied().collect();
        mems.sort_by_key(|h| std::cmp::Reverse(*h));
        for h in mems {
            let _ = self.free_by_handle(h);
        }
        if !self.doorbell.is_null() {
            super::fd::munmap(self.doorbell, USERMODE_SIZE_B);
            self.doorbell = std::ptr::null_mut();
        }
        let _ = self.rm.free(0, self.rm.client);
        ioctl::trace_line("rm: client freed");
    }
}
