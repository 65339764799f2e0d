//! Bring-up: open nvmap and ctrl, read the characteristics, create the address space with the
//! shader windows reserved, the TSG and its subcontext, and map the doorbell page.

use super::channel::ChanState;
use super::layout::*;
use super::memory::Buf;
use super::sys::{RealSys, TegraSys};
use super::uapi::*;
use crate::error::{HcqError, Result};
use crate::iface::{Classes, GpuInfo, ShaderWindows};
use std::collections::HashMap;

/// Which device nodes to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TegraPaths {
    pub nvmap: String,
    /// /dev/nvhost-ctrl-gpu (legacy) or /dev/nvgpu/igpu0/ctrl (v2).
    pub ctrl: String,
}

/// The ctrl node names, legacy first (what the working port opens).
pub const CTRL_NODES: [&str; 2] = ["/dev/nvhost-ctrl-gpu", "/dev/nvgpu/igpu0/ctrl"];
pub const NVMAP_NODE: &str = "/dev/nvmap";

impl TegraPaths {
    /// The first ctrl node that exists (by `exists`), with /dev/nvmap.
    pub fn find(exists: &dyn Fn(&str) -> bool) -> Result<TegraPaths> {
        let ctrl = CTRL_NODES.iter().find(|p| exists(p)).ok_or_else(|| {
            HcqError::NoDevice(format!(
                "no Tegra GPU control node: looked for {}",
                CTRL_NODES.join(", ")
            ))
        })?;
        if !exists(NVMAP_NODE) {
            return Err(HcqError::NoDevice(format!(
                "{ctrl} exists but {NVMAP_NODE} does not"
            )));
        }
        Ok(TegraPaths {
            nvmap: NVMAP_NODE.to_string(),
            ctrl: ctrl.to_string(),
        })
    }
}

/// The Tegra nvgpu/nvmap implementation of `Iface`.
pub struct TegraIface<S: TegraSys = RealSys> {
    pub(crate) sys: S,
    pub(crate) info: GpuInfo,
    pub(crate) chars: NvgpuGpuCharacteristics,
    pub(crate) nvmap_fd: i32,
    pub(crate) ctrl_fd: i32,
    pub(crate) as_fd: i32,
    pub(crate) tsg_fd: i32,
    pub(crate) veid: u32,
    /// The usermode page (mmap of the ctrl fd); the doorbell is at +0x90.
    pub(crate) doorbell: *mut u8,
    /// GET_CHARACTERISTICS reported SUPPORT_IO_COHERENCE: no cache maintenance needed.
    pub(crate) io_coherent: bool,
    /// Live buffers by nvmap handle.
    pub(crate) bufs: HashMap<u64, Buf>,
    /// Live channels by channel fd.
    pub(crate) chans: HashMap<u64, ChanState>,
}

// The raw pointers are mappings owned by this interface.
unsafe impl<S: TegraSys + Send> Send for TegraIface<S> {}

impl TegraIface<RealSys> {
    /// Open the real device nodes (found as `TegraPaths::find` does) and bring the GPU up.
    pub fn open() -> Result<TegraIface<RealSys>> {
        let paths = TegraPaths::find(&|p| std::path::Path::new(p).exists())?;
        let mut iface = TegraIface::open_with(RealSys, &paths)?;
        if let Some(l4t) = super::probe::l4t_release("/etc/nv_tegra_release") {
            iface.info.driver_version = format!("nvgpu, {l4t}");
        }
        Ok(iface)
    }
}

impl<S: TegraSys> TegraIface<S> {
    /// Bring the GPU up through `sys` (the real kernel or a fake).
    pub fn open_with(mut sys: S, paths: &TegraPaths) -> Result<TegraIface<S>> {
        let nvmap_fd = sys.open(&paths.nvmap)?;
        let ctrl_fd = match sys.open(&paths.ctrl) {
            Ok(fd) => fd,
            Err(e) => {
                sys.close(nvmap_fd);
                return Err(e);
            }
        };
        let mut iface = TegraIface {
            sys,
            info: GpuInfo {
                iface: "tegra",
                name: String::new(),
                driver_version: "nvgpu".into(),
                sm_version: 0,
                num_sms: 0,
                vram_b: 0,
                classes: Classes {
                    gpfifo: 0,
                    compute: 0,
                    copy: 0,
                },
                all_classes: Vec::new(),
                unified_memory: true,
                shader_windows: TEGRA_WINDOWS,
            },
            chars: bytemuck::Zeroable::zeroed(),
            nvmap_fd,
            ctrl_fd,
            as_fd: -1,
            tsg_fd: -1,
            veid: 0,
            doorbell: std::ptr::null_mut(),
            io_coherent: false,
            bufs: HashMap::new(),
            chans: HashMap::new(),
        };
        // On error, Drop closes whatever was opened.
        iface.read_characteristics()?;
        iface.create_address_space()?;
        iface.create_tsg()?;
        iface.doorbell = iface.sys.mmap(
            iface.ctrl_fd,
            DOORBELL_MAP_B,
            "usermode doorbell page (ctrl fd)",
        )?;
        Ok(iface)
    }

    /// The characteristics the kernel reported.
    pub fn characteristics(&self) -> &NvgpuGpuCharacteristics {
        &self.chars
    }

    pub fn io_coherent(&self) -> bool {
        self.io_coherent
    }

    /// The fake-kernel or real syscall layer (tests inspect the fake through it).
    pub fn sys(&self) -> &S {
        &self.sys
    }

    fn read_characteristics(&mut self) -> Result<()> {
        let mut chars: NvgpuGpuCharacteristics = bytemuck::Zeroable::zeroed();
        let mut get = NvgpuGpuGetCharacteristics {
            gpu_characteristics_buf_size: std::mem::size_of::<NvgpuGpuCharacteristics>() as u64,
            gpu_characteristics_buf_addr: &mut chars as *mut _ as u64,
        };
        self.sys.ioctl(
            self.ctrl_fd,
            "NVGPU_GPU_IOCTL_GET_CHARACTERISTICS",
            NVGPU_GPU_IOCTL_GET_CHARACTERISTICS,
            &mut get,
        )?;
        let tpcs = self.count_tpcs(&chars);
        self.chars = chars;
        self.io_coherent = chars.flags & NVGPU_GPU_FLAGS_SUPPORT_IO_COHERENCE != 0;
        self.info = gpu_info_from(&chars, tpcs, system_ram_b())?;
        Ok(())
    }

    /// Enabled TPCs from GET_TPC_MASKS (one u32 mask per GPC); None if the call fails.
    fn count_tpcs(&mut self, chars: &NvgpuGpuCharacteristics) -> Option<u32> {
        let gpcs = 32 - chars.gpc_mask.leading_zeros();
        let mut masks = vec![0u32; gpcs.max(1) as usize];
        let mut args = NvgpuGpuGetTpcMasksArgs {
            mask_buf_size: (masks.len() * 4) as u32,
            reserved: 0,
            mask_buf_addr: masks.as_mut_ptr() as u64,
        };
        self.sys
            .ioctl(
                self.ctrl_fd,
                "NVGPU_GPU_IOCTL_GET_TPC_MASKS",
                NVGPU_GPU_IOCTL_GET_TPC_MASKS,
                &mut args,
            )
            .ok()?;
        Some(masks.iter().map(|m| m.count_ones()).sum())
    }

    fn create_address_space(&mut self) -> Result<()> {
        let mut args = NvgpuAllocAsArgs {
            big_page_size: 0,
            flags: NVGPU_GPU_IOCTL_ALLOC_AS_FLAGS_UNIFIED_VA,
            va_range_start: VA_RANGE_START,
            va_range_end: VA_RANGE_END,
            va_range_split: 0,
            ..Default::default()
        };
        self.sys.ioctl(
            self.ctrl_fd,
            "NVGPU_GPU_IOCTL_ALLOC_AS",
            NVGPU_GPU_IOCTL_ALLOC_AS,
            &mut args,
        )?;
        self.as_fd = args.as_fd;
        // Informational (the trace shows the kernel's view of the AS); CUDA calls it too.
        let mut regions = [NvgpuAsVaRegion::default(); 4];
        let mut get = NvgpuAsGetVaRegionsArgs {
            buf_addr: regions.as_mut_ptr() as u64,
            buf_size: std::mem::size_of_val(&regions) as u32,
            reserved: 0,
        };
        self.sys.ioctl(
            self.as_fd,
            "NVGPU_AS_IOCTL_GET_VA_REGIONS",
            NVGPU_AS_IOCTL_GET_VA_REGIONS,
            &mut get,
        )?;
        // The P0 fix: reserve both shader windows before any buffer is mapped.
        for (va, size_b) in SHADER_WINDOWS {
            let mut space = NvgpuAsAllocSpaceArgs {
                pages: size_b / PAGE_B,
                page_size: PAGE_B as u32,
                flags: NVGPU_AS_ALLOC_SPACE_FLAGS_FIXED_OFFSET,
                o_a: va,
                padding: [0; 2],
            };
            self.sys.ioctl(
                self.as_fd,
                "NVGPU_AS_IOCTL_ALLOC_SPACE",
                NVGPU_AS_IOCTL_ALLOC_SPACE,
                &mut space,
            )?;
            if space.o_a != va {
                return Err(HcqError::Unsupported(format!(
                    "ALLOC_SPACE(FIXED_OFFSET 0x{va:x}) reserved 0x{:x} instead",
                    space.o_a
                )));
            }
        }
        Ok(())
    }

    fn create_tsg(&mut self) -> Result<()> {
        let mut tsg = NvgpuGpuOpenTsgArgs::default();
        self.sys.ioctl(
            self.ctrl_fd,
            "NVGPU_GPU_IOCTL_OPEN_TSG",
            NVGPU_GPU_IOCTL_OPEN_TSG,
            &mut tsg,
        )?;
        self.tsg_fd = tsg.tsg_fd as i32;
        let mut sub = NvgpuTsgCreateSubcontextArgs {
            r#type: NVGPU_TSG_SUBCONTEXT_TYPE_ASYNC,
            as_fd: self.as_fd,
            veid: 0,
            reserved: 0,
        };
        self.sys.ioctl(
            self.tsg_fd,
            "NVGPU_TSG_IOCTL_CREATE_SUBCONTEXT",
            NVGPU_TSG_IOCTL_CREATE_SUBCONTEXT,
            &mut sub,
        )?;
        self.veid = sub.veid;
        Ok(())
    }
}

/// GpuInfo from the characteristics (and the TPC count when GET_TPC_MASKS answered).
pub fn gpu_info_from(
    c: &NvgpuGpuCharacteristics,
    tpcs: Option<u32>,
    system_ram_b: u64,
) -> Result<GpuInfo> {
    let gpu_id = c.arch + c.r#impl;
    let sm_version = sm_version_for(gpu_id, c.sm_arch_sm_version).ok_or_else(|| {
        HcqError::UnsupportedGpu {
            what: format!(
                "known SM version (nvgpu arch 0x{:x} impl 0x{:x} reports sm_arch_sm_version 0x{:x})",
                c.arch, c.r#impl, c.sm_arch_sm_version
            ),
            found: vec![c.compute_class, c.dma_copy_class, c.gpfifo_class],
        }
    })?;
    let all_classes: Vec<u32> = [
        c.twod_class,
        c.threed_class,
        c.compute_class,
        c.gpfifo_class,
        c.inline_to_memory_class,
        c.dma_copy_class,
    ]
    .into_iter()
    .filter(|&x| x != 0)
    .collect();
    for (class, what) in [
        (c.compute_class, "compute"),
        (c.dma_copy_class, "DMA copy"),
        (c.gpfifo_class, "GPFIFO channel"),
    ] {
        if class == 0 {
            return Err(HcqError::UnsupportedGpu {
                what: format!("{what} class (GET_CHARACTERISTICS reported 0)"),
                found: all_classes,
            });
        }
    }
    let tpcs = tpcs.unwrap_or(c.num_gpc * c.num_tpc_per_gpc);
    let chip = c.chipname_str();
    Ok(GpuInfo {
        iface: "tegra",
        name: format!(
            "{} (nvgpu arch 0x{:x} impl 0x{:x} rev 0x{:x})",
            if chip.is_empty() { "tegra igpu" } else { &chip },
            c.arch,
            c.r#impl,
            c.rev
        ),
        driver_version: "nvgpu".into(),
        sm_version,
        num_sms: tpcs * SMS_PER_TPC,
        // The iGPU allocates from system memory.
        vram_b: system_ram_b,
        classes: Classes {
            gpfifo: c.gpfifo_class,
            compute: c.compute_class,
            copy: c.dma_copy_class,
        },
        all_classes,
        unified_memory: true,
        shader_windows: TEGRA_WINDOWS,
    })
}

/// Orin's 40-bit GPU VA cannot hold the desktop windows: use the two 1 GiB ranges `layout`
/// reserves before any buffer is mapped (the P0 pitfall of tegra-nvgpu.md §3b).
const TEGRA_WINDOWS: ShaderWindows = ShaderWindows {
    local_va: super::layout::LOCAL_WINDOW_VA,
    shared_va: super::layout::SHARED_WINDOW_VA,
};

fn system_ram_b() -> u64 {
    // SAFETY: sysconf has no memory effects.
    let (pages, page_b) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    if pages > 0 && page_b > 0 {
        pages as u64 * page_b as u64
    } else {
        0
    }
}

impl<S: TegraSys> Drop for TegraIface<S> {
    fn drop(&mut self) {
        let chans: Vec<u64> = self.chans.keys().copied().collect();
        for fd in chans {
            if let Some(st) = self.chans.remove(&fd) {
                let _ = self.teardown_channel(fd, st);
            }
        }
        let bufs: Vec<u64> = self.bufs.keys().copied().collect();
        for h in bufs {
            if let Some(b) = self.bufs.remove(&h) {
                let _ = self.release_buffer(b);
            }
        }
        if !self.doorbell.is_null() {
            let _ = self.sys.munmap(self.doorbell, DOORBELL_MAP_B);
            self.doorbell = std::ptr::null_mut();
        }
        for fd in [self.tsg_fd, self.as_fd, self.ctrl_fd, self.nvmap_fd] {
            if fd >= 0 {
                self.sys.close(fd);
            }
        }
    }
}
