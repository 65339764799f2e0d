//! Buffers: VRAM (NV01_MEMORY_LOCAL_USER, CPU-mapped through BAR1 when asked), host pages
//! (anonymous pages described to RM with NV01_MEMORY_SYSTEM_OS_DESCRIPTOR), RM sysmem (error
//! notifiers), and the GPU mapping of each through a UVM external range (rm-hcq.md §2).

use super::classes::*;
use super::fd::{cpu_map, mmap_anon, munmap, open_gpu_fd, open_node, NVIDIACTL};
use super::rmcall::uvm_call;
use super::uapi::*;
use super::{MemRecord, RmIface, HIGH_VA_END, LOW_VA_END};
use crate::error::{HcqError, Result};
use crate::iface::{Mem, MemPlace};
use crate::ioctl;
use std::os::fd::{AsRawFd, OwnedFd};

const PAGE_4K: u64 = 0x1000;
const PAGE_2M: u64 = 0x20_0000;
const PAGE_512M: u64 = 0x2000_0000;

pub fn round_up(v: u64, align: u64) -> u64 {
    v.div_ceil(align) * align
}

/// Device-measurement switches for VRAM placement, from $KERNLAB_RM_VRAM (comma list):
/// `wc` (BAR1 mappings write-combined, see `bar1_caching`), `4k` (4 KiB pages for VRAM buffers under 8 MiB, the default before session 3), `512m` (512 MiB pages from 512 MiB up), `bank` (let RM place banks: drop
/// IGNORE_BANK_PLACEMENT), `contig` (physically contiguous VRAM). Unset: the defaults above.
fn vram_switch(name: &str) -> bool {
    std::env::var("KERNLAB_RM_VRAM").is_ok_and(|v| v.split(',').any(|s| s.trim() == name))
}

/// How the CPU maps VRAM through BAR1 (rings, USERD, pushbuffers, QMDs, bank 0). By default the
/// flags word asks for CACHED, which the driver cannot give a framebuffer mapping on x86-64 and
/// turns into UNCACHED_WEAK. `KERNLAB_RM_VRAM=wc` asks for write-combined instead: on the H100 (a VM) it
/// changed nothing measurable, the lone launch's CPU part 2.6-3.0 us with it against 1.6-2.8
/// uncached, decode the same (docs/device-logs/s11/probe33.log), so the default stays.
fn bar1_caching() -> u32 {
    if vram_switch("wc") {
        NVOS33_FLAGS_CACHING_TYPE_WRITECOMBINED
    } else {
        NVOS33_FLAGS_CACHING_TYPE_CACHED
    }
}

/// VRAM uses 2 MiB pages, also for small buffers (rounded up to 2 MiB): with them instead of
/// 4 KiB pages for the buffers under 8 MiB (activations, KV cache, norm slots), decode on the H100
/// took 0.767 instead of 0.778 ms/token on llama1b-q6k and 0.661 instead of 0.673 on
/// qwen3-0.6b-q8 (session 3, one call; the `4k` switch gives the old choice). With the `512m`
/// switch, buffers of 512 MiB and more use 512 MiB pages. An experiment on the H100: a
/// 1 GB copy (2 GB touched) runs at 57 % of cuda's with 2 MiB pages while 1 GB read and write
/// match; 512 MiB pages did not change it (1682 GB/s) and slowed the 256 MB copy (2921 → 1640
/// GB/s), so TLB reach is not the cause and the default stays 2 MiB. Session 3 (H100,
/// docs/device-logs/s3/chain3.log, probe3.log): `bank`, `contig`, both, `512m`, each with the `max`
/// and `fit` carve-outs, all leave the 1 GB copy at 1605-1694 GB/s (cuda: 2987), and a gap buffer
/// between src and dst (KERNLAB_BW_GAP_MB 0, 2, 64, 1024) changes the 256 MB copy (2925 -> 1721
/// at 2 MiB) but never the 1 GB one: the cause is still unknown.
pub fn vram_page_size(size_b: u64) -> u64 {
    if size_b >= 512 << 20 && vram_switch("512m") {
        PAGE_512M
    } else if size_b < 8 << 20 && vram_switch("4k") {
        PAGE_4K
    } else {
        PAGE_2M
    }
}

impl RmIface {
    /// Reserve `size_b` of GPU VA aligned to `align_b`; `cpu_visible` buffers come from the low
    /// range, where the CPU mapping uses the same address.
    pub(crate) fn alloc_va(&mut self, size_b: u64, align_b: u64, cpu_visible: bool) -> Result<u64> {
        let (next, end) = if cpu_visible {
            (&mut self.va.next_low, LOW_VA_END)
        } else {
            (&mut self.va.next_high, HIGH_VA_END)
        };
        let va = round_up(*next, align_b);
        if va + size_b > end {
            return Err(HcqError::OutOfMemory {
                want_b: size_b,
                what: "GPU virtual address range".into(),
            });
        }
        *next = va + size_b;
        Ok(va)
    }

    /// RM_ALLOC of VRAM (`contiguous` for channel rings) or RM-owned sysmem (`sysmem`).
    pub(crate) fn rm_alloc_memory(
        &mut self,
        size_b: u64,
        page_b: u64,
        contiguous: bool,
        sysmem: bool,
    ) -> Result<NvHandle> {
        let huge = page_b >= PAGE_2M;
        let contiguous = contiguous || (!sysmem && vram_switch("contig"));
        let bank = !sysmem && vram_switch("bank");
        let mut p = NvMemoryAllocationParams {
            owner: self.rm.client,
            type_: if sysmem {
                NVOS32_TYPE_NOTIFIER
            } else {
                NVOS32_TYPE_IMAGE
            },
            flags: if bank {
                0
            } else {
                NVOS32_ALLOC_FLAGS_IGNORE_BANK_PLACEMENT
            } | NVOS32_ALLOC_FLAGS_ALIGNMENT_FORCE
                | NVOS32_ALLOC_FLAGS_MAP_NOT_REQUIRED
                | if sysmem {
                    0
                } else {
                    NVOS32_ALLOC_FLAGS_PERSISTENT_VIDMEM
                },
            attr: if contiguous {
                NVOS32_ATTR_PHYSICALITY_CONTIGUOUS
            } else {
                NVOS32_ATTR_PHYSICALITY_ALLOW_NONCONTIGUOUS
            } | if huge { NVOS32_ATTR_PAGE_SIZE_HUGE } else { 0 }
                | if sysmem { NVOS32_ATTR_LOCATION_PCI } else { 0 },
            attr2: NVOS32_ATTR2_ZBC_PREFER_NO_ZBC
                | if sysmem {
                    NVOS32_ATTR2_GPU_CACHEABLE_NO
                } else {
                    NVOS32_ATTR2_GPU_CACHEABLE_YES
                }
                | match page_b {
                    PAGE_512M => NVOS32_ATTR2_PAGE_SIZE_HUGE_512MB,
                    PAGE_2M => NVOS32_ATTR2_PAGE_SIZE_HUGE_2MB,
                    _ => 0,
                },
            format: 6,
            size: size_b,
            alignment: page_b,
            limit: size_b - 1,
            ..Default::default()
        };
        let class = if sysmem {
            NV01_MEMORY_SYSTEM
        } else {
            NV01_MEMORY_LOCAL_USER
        };
        self.rm
            .alloc(self.device, class, Some(&mut p))
            .map_err(|e| match e {
                // NV_ERR_NO_MEMORY (0x51) reads better as what it is.
                HcqError::RmStatus { status: 0x51, .. } => HcqError::OutOfMemory {
                    want_b: size_b,
                    what: if sysmem {
                        "RM system memory".into()
                    } else {
                        "VRAM".into()
                    },
                },
                e => e,
            })
    }

    /// Map RM memory `handle` at `va` on the GPU: UVM external range (+ RM virtmem mapping).
    fn gpu_map(&mut self, rec: &mut MemRecord, handle: NvHandle) -> Result<()> {
        let uvm_fd = self.uvm.as_raw_fd();
        let mut range = UvmRangeParams {
            base: rec.gpu_va,
            length: rec.size_b,
            ..Default::default()
        };
        uvm_call(
            uvm_fd,
            "UVM_CREATE_EXTERNAL_RANGE",
            UVM_CREATE_EXTERNAL_RANGE,
            &mut range,
            |p| p.rm_status,
        )?;
        rec.uvm_mapped = true;
        if self.opts.map_into_virtmem {
            let mut d = Nvos46 {
                h_client: self.rm.client,
                h_device: self.device,
                h_dma: self.virtmem,
                h_memory: handle,
                length: rec.size_b,
                flags: NVOS46_FLAGS_FIXED_4K_SNOOP,
                dma_offset: rec.gpu_va,
                ..Default::default()
            };
            ioctl::call(
                self.rm.ctl_fd,
                "NV_ESC_RM_MAP_MEMORY_DMA",
                NV_ESC_RM_MAP_MEMORY_DMA_CMD,
                &mut d,
            )?;
            if d.status != 0 {
                return Err(HcqError::RmStatus {
                    call: format!("RM_MAP_MEMORY_DMA 0x{handle:x} at 0x{:x}", rec.gpu_va),
                    status: d.status,
                });
            }
            if d.dma_offset != rec.gpu_va {
                return Err(HcqError::Unsupported(format!(
                    "RM_MAP_MEMORY_DMA placed 0x{handle:x} at 0x{:x}, asked for 0x{:x}",
                    d.dma_offset, rec.gpu_va
                )));
            }
            rec.in_virtmem = true;
        }
        let mut m: UvmMapExternalAllocationParams = bytemuck::Zeroable::zeroed();
        m.base = rec.gpu_va;
        m.length = rec.size_b;
        m.per_gpu_attributes[0] = UvmGpuMappingAttributes {
            gpu_uuid: self.gpu_uuid,
            gpu_mapping_type: UVM_GPU_MAPPING_TYPE_READ_WRITE_ATOMIC,
            ..Default::default()
        };
        m.gpu_attributes_count = 1;
        m.rm_ctrl_fd = self.rm.ctl_fd;
        m.h_client = self.rm.client;
        m.h_memory = handle;
        uvm_call(
            uvm_fd,
            "UVM_MAP_EXTERNAL_ALLOCATION",
            UVM_MAP_EXTERNAL_ALLOCATION,
            &mut m,
            |p| p.rm_status,
        )
    }

    /// Allocate RM-owned system memory mapped for the CPU only (error notifiers).
    pub(crate) fn alloc_rm_sysmem(&mut self, size_b: u64) -> Result<(NvHandle, *mut u8, OwnedFd)> {
        let size_b = round_up(size_b, PAGE_4K);
        let h = self.rm_alloc_memory(size_b, PAGE_4K, false, true)?;
        let map_fd = open_node(NVIDIACTL)?;
        match cpu_map(
            &self.rm,
            self.device,
            h,
            size_b,
            map_fd.as_raw_fd(),
            0,
            NVOS33_FLAGS_CACHING_TYPE_CACHED,
        ) {
            Ok(p) => Ok((h, p, map_fd)),
            Err(e) => {
                let _ = self.rm.free(self.device, h);
                Err(e)
            }
        }
    }

    pub(crate) fn alloc_inner(
        &mut self,
        size_b: u64,
        place: MemPlace,
        contiguous: bool,
    ) -> Result<Mem> {
        if size_b == 0 {
            return Err(HcqError::Unsupported("allocation of 0 bytes".into()));
        }
        let page_b = if place == MemPlace::Host {
            PAGE_4K
        } else {
            vram_page_size(size_b)
        };
        let size_b = round_up(size_b, page_b);
        let cpu_visible = place != MemPlace::Device;
        let gpu_va = self.alloc_va(size_b, page_b, cpu_visible)?;
        let mut rec = MemRecord {
            gpu_va,
            size_b,
            cpu: std::ptr::null_mut(),
            map_fd: None,
            anon_host: false,
            in_virtmem: false,
            uvm_mapped: false,
        };
        let handle = match place {
            MemPlace::Host => {
                rec.cpu = mmap_anon(size_b, gpu_va)?;
                rec.anon_host = true;
                let h = self.next_os_handle;
                self.next_os_handle += 1;
                let mut a = Nvos02WithFd {
                    params: Nvos02 {
                        h_root: self.rm.client,
                        h_object_parent: self.device,
                        h_object_new: h,
                        h_class: NV01_MEMORY_SYSTEM_OS_DESCRIPTOR,
                        flags: NVOS02_FLAGS_OS_DESCRIPTOR,
                        p_memory: gpu_va,
                        limit: size_b - 1,
                        ..Default::default()
                    },
                    fd: -1,
                    _pad0: 0,
                };
                let r = ioctl::call(
                    self.gpu_fd.as_raw_fd(),
                    "NV_ESC_RM_ALLOC_MEMORY",
                    NV_ESC_RM_ALLOC_MEMORY_CMD,
                    &mut a,
                );
                if let Err(e) = r.and_then(|_| {
                    if a.params.status != 0 {
                        Err(HcqError::RmStatus {
                            call: format!("RM_ALLOC_MEMORY OS descriptor ({size_b} B)"),
                            status: a.params.status,
                        })
                    } else {
                        Ok(())
                    }
                }) {
                    munmap(rec.cpu, size_b);
                    return Err(e);
                }
                h
            }
            MemPlace::Device | MemPlace::DeviceMapped => {
                let h = self.rm_alloc_memory(size_b, page_b, contiguous, false)?;
                if place == MemPlace::DeviceMapped {
                    let mapped = open_gpu_fd(self.minor, self.rm.ctl_fd).and_then(|fd| {
                        cpu_map(
                            &self.rm,
                            self.device,
                            h,
                            size_b,
                            fd.as_raw_fd(),
                            gpu_va,
                            bar1_caching(),
                        )
                        .map(|p| (fd, p))
                    });
                    match mapped {
                        Ok((fd, p)) => {
                            rec.map_fd = Some(fd);
                            rec.cpu = p;
                        }
                        Err(e) => {
                            let _ = self.rm.free(self.device, h);
                            return Err(e);
                        }
                    }
                }
                h
            }
        };
        let cpu = rec.cpu;
        let r = self.gpu_map(&mut rec, handle);
        self.mems.insert(handle as u64, rec);
        if let Err(e) = r {
            let _ = self.free_by_handle(handle as u64);
            return Err(e);
        }
        Ok(Mem {
            gpu_va,
            cpu,
            size_b,
            place,
            handle: handle as u64,
        })
    }

    /// Undo everything `alloc_inner` did for `handle`, in reverse; returns the first error.
    pub(crate) fn free_by_handle(&mut self, handle: u64) -> Result<()> {
        let Some(rec) = self.mems.remove(&handle) else {
            return Err(HcqError::Unsupported(format!(
                "free of unknown buffer handle 0x{handle:x}"
            )));
        };
        let mut first: Result<()> = Ok(());
        let mut keep = |r: Result<()>| {
            if first.is_ok() {
                if let Err(e) = r {
                    first = Err(e);
                }
            }
        };
        if rec.uvm_mapped {
            let mut f = UvmRangeParams {
                base: rec.gpu_va,
                length: rec.size_b,
                ..Default::default()
            };
            keep(uvm_call(
                self.uvm.as_raw_fd(),
                "UVM_FREE",
                UVM_FREE,
                &mut f,
                |p| p.rm_status,
            ));
        }
        if rec.in_virtmem {
            let mut u = Nvos47 {
                h_client: self.rm.client,
                h_device: self.device,
                h_dma: self.virtmem,
                h_memory: handle as NvHandle,
                dma_offset: rec.gpu_va,
                ..Default::default()
            };
            keep(
                ioctl::call(
                    self.rm.ctl_fd,
                    "NV_ESC_RM_UNMAP_MEMORY_DMA",
                    NV_ESC_RM_UNMAP_MEMORY_DMA_CMD,
                    &mut u,
                )
                .map(|_| ()),
            );
        }
        if !rec.anon_host {
            munmap(rec.cpu, rec.size_b);
        }
        drop(rec.map_fd);
        keep(self.rm.free(self.device, handle as NvHandle));
        if rec.anon_host {
            // The OS descriptor pinned these pages; unmap only after RM let go of them.
            munmap(rec.cpu, rec.size_b);
        }
        first
    }
}
