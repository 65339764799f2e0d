//! nvmap buffers: CREATE → ALLOC(IOVMM) → GET_FD → MAP_BUFFER_EX → mmap, and back in reverse
//! (UNMAP_BUFFER, munmap, close, FREE by value). Every placement is an IOVMM buffer the CPU maps:
//! the iGPU and the CPU share DRAM, so uploads are plain stores with no staging copy.

use super::layout::*;
use super::open::TegraIface;
use super::sys::TegraSys;
use super::uapi::*;
use crate::error::{HcqError, Result};
use crate::iface::{Mem, MemPlace};

/// One nvmap buffer and every reference this interface holds on it.
#[derive(Debug)]
pub(crate) struct Buf {
    pub handle: u32,
    /// dma-buf fd from GET_FD (-1 before).
    pub fd: i32,
    pub size_b: u64,
    /// 0 when not GPU-mapped by us (rings and USERD are mapped by the kernel at SETUP_BIND).
    pub gpu_va: u64,
    pub cpu: *mut u8,
    pub nvmap_flags: u32,
}

impl<S: TegraSys> TegraIface<S> {
    /// CREATE + ALLOC(IOVMM, flags, align 4 KiB) + GET_FD + CPU mmap (+ MAP_BUFFER_EX when
    /// `gpu_map`). On failure everything done so far is undone.
    pub(crate) fn new_buffer(
        &mut self,
        size_b: u64,
        nvmap_flags: u32,
        gpu_map: bool,
        what: &str,
    ) -> Result<Buf> {
        let size_b = size_b.max(1).next_multiple_of(PAGE_B);
        let size_u32 = u32::try_from(size_b).map_err(|_| HcqError::OutOfMemory {
            want_b: size_b,
            what: format!("{what}: NVMAP_IOC_CREATE takes a 32-bit size"),
        })?;
        let mut create = NvmapCreateHandle {
            size: size_u32,
            handle: 0,
        };
        self.sys.ioctl(
            self.nvmap_fd,
            "NVMAP_IOC_CREATE",
            NVMAP_IOC_CREATE,
            &mut create,
        )?;
        let mut buf = Buf {
            handle: create.handle,
            fd: -1,
            size_b,
            gpu_va: 0,
            cpu: std::ptr::null_mut(),
            nvmap_flags,
        };
        match self.fill_buffer(&mut buf, gpu_map, what) {
            Ok(()) => Ok(buf),
            Err(e) => {
                let _ = self.release_buffer(buf);
                Err(e)
            }
        }
    }

    fn fill_buffer(&mut self, buf: &mut Buf, gpu_map: bool, what: &str) -> Result<()> {
        let mut alloc = NvmapAllocHandle {
            handle: buf.handle,
            heap_mask: NVMAP_HEAP_IOVMM,
            flags: buf.nvmap_flags,
            align: PAGE_B as u32,
            numa_nid: 0,
        };
        self.sys
            .ioctl(
                self.nvmap_fd,
                "NVMAP_IOC_ALLOC",
                NVMAP_IOC_ALLOC,
                &mut alloc,
            )
            .map_err(|e| match e {
                HcqError::Ioctl { errno, .. } if errno == libc::ENOMEM => HcqError::OutOfMemory {
                    want_b: buf.size_b,
                    what: format!("{what} (nvmap IOVMM heap)"),
                },
                e => e,
            })?;
        let mut get_fd = NvmapCreateHandleFd {
            fd: 0,
            handle: buf.handle,
        };
        self.sys.ioctl(
            self.nvmap_fd,
            "NVMAP_IOC_GET_FD",
            NVMAP_IOC_GET_FD,
            &mut get_fd,
        )?;
        buf.fd = get_fd.fd;
        if gpu_map {
            let mut map = NvgpuAsMapBufferExArgs {
                flags: 0,
                compr_kind: NV_KIND_INVALID,
                incompr_kind: 0,
                dmabuf_fd: buf.fd as u32,
                page_size: PAGE_B as u32,
                buffer_offset: 0,
                mapping_size: 0,
                offset: 0,
            };
            self.sys.ioctl(
                self.as_fd,
                "NVGPU_AS_IOCTL_MAP_BUFFER_EX",
                NVGPU_AS_IOCTL_MAP_BUFFER_EX,
                &mut map,
            )?;
            buf.gpu_va = map.offset;
            if overlaps_window(buf.gpu_va, buf.size_b) {
                return Err(HcqError::Unsupported(format!(
                    "{what}: the kernel mapped 0x{:x}+{} B inside a shader window (0x{LOCAL_WINDOW_VA:x}/0x{SHARED_WINDOW_VA:x}); it would fault as MISALIGNED_ADDR",
                    buf.gpu_va, buf.size_b
                )));
            }
        }
        buf.cpu = self.sys.mmap(buf.fd, buf.size_b as usize, what)?;
        Ok(())
    }

    /// UNMAP_BUFFER → munmap → close(dma-buf fd) → NVMAP_IOC_FREE(handle by value). Tries every
    /// step and returns the first error.
    pub(crate) fn release_buffer(&mut self, buf: Buf) -> Result<()> {
        let mut first: Option<HcqError> = None;
        let mut keep = |r: Result<()>| {
            if let Err(e) = r {
                first.get_or_insert(e);
            }
        };
        if buf.gpu_va != 0 {
            let mut unmap = NvgpuAsUnmapBufferArgs { offset: buf.gpu_va };
            keep(
                self.sys
                    .ioctl(
                        self.as_fd,
                        "NVGPU_AS_IOCTL_UNMAP_BUFFER",
                        NVGPU_AS_IOCTL_UNMAP_BUFFER,
                        &mut unmap,
                    )
                    .map(|_| ()),
            );
        }
        if !buf.cpu.is_null() {
            keep(self.sys.munmap(buf.cpu, buf.size_b as usize));
        }
        if buf.fd >= 0 {
            self.sys.close(buf.fd);
        }
        keep(
            self.sys
                .ioctl_value(
                    self.nvmap_fd,
                    "NVMAP_IOC_FREE",
                    NVMAP_IOC_FREE,
                    buf.handle as u64,
                )
                .map(|_| ()),
        );
        match first {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    pub(crate) fn alloc_mem(&mut self, size_b: u64, place: MemPlace) -> Result<Mem> {
        let what = format!("{place:?} buffer of {size_b} B");
        let buf = self.new_buffer(size_b, nvmap_flags_for(place), true, &what)?;
        let mem = Mem {
            gpu_va: buf.gpu_va,
            cpu: buf.cpu,
            size_b: buf.size_b,
            place,
            handle: buf.handle as u64,
        };
        self.bufs.insert(mem.handle, buf);
        Ok(mem)
    }

    pub(crate) fn free_mem(&mut self, mem: Mem) -> Result<()> {
        let buf = self.bufs.remove(&mem.handle).ok_or_else(|| {
            HcqError::Unsupported(format!(
                "free of buffer 0x{:x} (nvmap handle 0x{:x}) that this interface does not hold",
                mem.gpu_va, mem.handle
            ))
        })?;
        self.release_buffer(buf)
    }

    /// Cache maintenance for `mem`: none when the GPU is IO-coherent (Orin reports
    /// SUPPORT_IO_COHERENCE) or the buffer is not CPU-cached (WC/UC); otherwise
    /// NVMAP_IOC_CACHE_64 write-back + invalidate over the whole buffer, so CPU writes reach
    /// DRAM before the GPU reads and stale lines are dropped before the CPU reads GPU results.
    pub(crate) fn sync_mem(&mut self, mem: &Mem) -> Result<()> {
        let Some(buf) = self.bufs.get(&mem.handle) else {
            return Err(HcqError::Unsupported(format!(
                "sync of buffer 0x{:x} that this interface does not hold",
                mem.gpu_va
            )));
        };
        if self.io_coherent || !cpu_cached(buf.nvmap_flags) {
            return Ok(());
        }
        let mut op = NvmapCacheOp64 {
            addr: buf.cpu as u64,
            handle: buf.handle,
            _pad0: 0,
            len: buf.size_b,
            op: NVMAP_CACHE_OP_WB_INV,
            _pad1: 0,
        };
        self.sys.ioctl(
            self.nvmap_fd,
            "NVMAP_IOC_CACHE_64",
            NVMAP_IOC_CACHE_64,
            &mut op,
        )?;
        Ok(())
    }
}
