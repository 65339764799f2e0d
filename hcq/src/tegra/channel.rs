//! Channels (§3b step 6): dedicated small gpfifo and USERD dma-bufs at offset 0, OPEN_CHANNEL,
//! AS BIND_CHANNEL, TSG BIND_CHANNEL_EX on our subcontext, watchdog off, SETUP_BIND
//! (USERMODE_SUPPORT | DETERMINISTIC), ALLOC_OBJ_CTX, error notifier. Submission is usermode:
//! GP_PUT in USERD, then the token into the doorbell page; no SUBMIT_GPFIFO ioctl.

use super::layout::*;
use super::memory::Buf;
use super::open::TegraIface;
use super::sys::TegraSys;
use super::uapi::*;
use crate::error::{HcqError, Result};
use crate::iface::{Channel, ChannelFault, Engine, Iface, Mem, MemPlace};
use crate::GpuInfo;
use std::sync::atomic::{fence, Ordering};

pub(crate) struct ChanState {
    pub gpfifo: Buf,
    pub userd: Buf,
    pub notifier: Buf,
}

impl<S: TegraSys> TegraIface<S> {
    fn open_channel(&mut self, engine: Engine, entries: u32) -> Result<Channel> {
        let class = match engine {
            Engine::Compute => self.info.classes.compute,
            Engine::Copy => self.info.classes.copy,
        };
        let gpfifo_b = gpfifo_buffer_size(entries, self.chars.max_gpfifo_entries)?;
        let wc = NVMAP_HANDLE_WRITE_COMBINE;
        let gpfifo = self.new_buffer(gpfifo_b, wc, false, "GPFIFO ring")?;
        let userd = match self.new_buffer(USERD_SIZE_B, wc, false, "USERD") {
            Ok(b) => b,
            Err(e) => {
                let _ = self.release_buffer(gpfifo);
                return Err(e);
            }
        };
        let notifier = match self.new_buffer(NOTIFIER_SIZE_B, wc, false, "error notifier") {
            Ok(b) => b,
            Err(e) => {
                let _ = self.release_buffer(gpfifo);
                let _ = self.release_buffer(userd);
                return Err(e);
            }
        };
        let mut st = ChanState {
            gpfifo,
            userd,
            notifier,
        };
        let mut open = NvgpuGpuOpenChannelArgs::runlist(-1);
        if let Err(e) = self.sys.ioctl(
            self.ctrl_fd,
            "NVGPU_GPU_IOCTL_OPEN_CHANNEL",
            NVGPU_GPU_IOCTL_OPEN_CHANNEL,
            &mut open,
        ) {
            self.release_chan_buffers(st);
            return Err(e);
        }
        let ch_fd = open.channel_fd;
        match self.bind_channel(ch_fd, class, entries, &mut st) {
            Ok(token) => {
                let ch = Channel {
                    engine,
                    class,
                    ring: st.gpfifo.cpu as *mut u64,
                    ring_gpu_va: st.gpfifo.gpu_va,
                    ring_entries: entries,
                    userd: st.userd.cpu,
                    doorbell_token: token,
                    handle: ch_fd as u64,
                };
                self.chans.insert(ch_fd as u64, st);
                Ok(ch)
            }
            Err(e) => {
                let _ = self.teardown_channel(ch_fd as u64, st);
                Err(e)
            }
        }
    }

    /// Steps d–i of §3b 6 on an open channel; returns the work submit token.
    fn bind_channel(
        &mut self,
        ch_fd: i32,
        class: u32,
        entries: u32,
        st: &mut ChanState,
    ) -> Result<u32> {
        let mut bind = NvgpuAsBindChannelArgs {
            channel_fd: ch_fd as u32,
        };
        self.sys.ioctl(
            self.as_fd,
            "NVGPU_AS_IOCTL_BIND_CHANNEL",
            NVGPU_AS_IOCTL_BIND_CHANNEL,
            &mut bind,
        )?;
        let mut tsg_bind = NvgpuTsgBindChannelExArgs {
            channel_fd: ch_fd,
            subcontext_id: self.veid,
            reserved: [0; 16],
        };
        self.sys.ioctl(
            self.tsg_fd,
            "NVGPU_TSG_IOCTL_BIND_CHANNEL_EX",
            NVGPU_TSG_IOCTL_BIND_CHANNEL_EX,
            &mut tsg_bind,
        )?;
        // Long kernels must not be killed by the channel watchdog; hangs are caught by the
        // queue's own timeouts and the error notifier.
        let mut wdt = NvgpuChannelWdtArgs {
            wdt_status: NVGPU_IOCTL_CHANNEL_DISABLE_WDT,
            timeout_ms: 0,
        };
        self.sys.ioctl(
            ch_fd,
            "NVGPU_IOCTL_CHANNEL_WDT",
            NVGPU_IOCTL_CHANNEL_WDT,
            &mut wdt,
        )?;
        let mut setup = NvgpuChannelSetupBindArgs {
            num_gpfifo_entries: entries,
            num_inflight_jobs: 0,
            flags: NVGPU_CHANNEL_SETUP_BIND_FLAGS_USERMODE_SUPPORT
                | NVGPU_CHANNEL_SETUP_BIND_FLAGS_DETERMINISTIC,
            userd_dmabuf_fd: st.userd.fd,
            gpfifo_dmabuf_fd: st.gpfifo.fd,
            userd_dmabuf_offset: 0,
            gpfifo_dmabuf_offset: 0,
            ..Default::default()
        };
        self.sys.ioctl(
            ch_fd,
            "NVGPU_IOCTL_CHANNEL_SETUP_BIND",
            NVGPU_IOCTL_CHANNEL_SETUP_BIND,
            &mut setup,
        )?;
        // The kernel maps gpfifo/USERD itself; it reports VAs only with GPU_MAP_RESOURCES.
        st.gpfifo.gpu_va = 0;
        let mut obj = NvgpuAllocObjCtxArgs {
            class_num: class,
            flags: 0,
            obj_id: 0,
        };
        self.sys.ioctl(
            ch_fd,
            "NVGPU_IOCTL_CHANNEL_ALLOC_OBJ_CTX",
            NVGPU_IOCTL_CHANNEL_ALLOC_OBJ_CTX,
            &mut obj,
        )?;
        let mut notifier = NvgpuSetErrorNotifier {
            offset: 0,
            size: std::mem::size_of::<NvgpuNotification>() as u64,
            mem: st.notifier.fd as u32,
            padding: 0,
        };
        self.sys.ioctl(
            ch_fd,
            "NVGPU_IOCTL_CHANNEL_SET_ERROR_NOTIFIER",
            NVGPU_IOCTL_CHANNEL_SET_ERROR_NOTIFIER,
            &mut notifier,
        )?;
        Ok(setup.work_submit_token)
    }

    fn release_chan_buffers(&mut self, st: ChanState) {
        let _ = self.release_buffer(st.gpfifo);
        let _ = self.release_buffer(st.userd);
        let _ = self.release_buffer(st.notifier);
    }

    /// Close the channel (the kernel unbinds it and drops its references to the ring, USERD
    /// and notifier dma-bufs), then release those buffers.
    pub(crate) fn teardown_channel(&mut self, ch_fd: u64, st: ChanState) -> Result<()> {
        self.sys.close(ch_fd as i32);
        let r1 = self.release_buffer(st.gpfifo);
        let r2 = self.release_buffer(st.userd);
        let r3 = self.release_buffer(st.notifier);
        r1.and(r2).and(r3)
    }

    fn read_fault(&self, ch: &Channel) -> Option<ChannelFault> {
        let st = self.chans.get(&ch.handle)?;
        // SAFETY: the notifier mapping is 4 KiB, live while the channel is, 16-byte aligned at 0;
        // the kernel writes it asynchronously, hence the volatile read.
        let n: NvgpuNotification =
            unsafe { std::ptr::read_volatile(st.notifier.cpu as *const NvgpuNotification) };
        if n.status == 0 && n.info32 == 0 {
            return None;
        }
        Some(ChannelFault {
            code: n.info32,
            what: format!(
                "nvgpu error notifier: {} (info32 {}, info16 0x{:x}, status 0x{:x})",
                notifier_code_name(n.info32),
                n.info32,
                n.info16,
                n.status
            ),
        })
    }
}

impl<S: TegraSys> Iface for TegraIface<S> {
    fn info(&self) -> &GpuInfo {
        &self.info
    }

    fn alloc(&mut self, size_b: u64, place: MemPlace) -> Result<Mem> {
        self.alloc_mem(size_b, place)
    }

    fn free(&mut self, mem: Mem) -> Result<()> {
        self.free_mem(mem)
    }

    fn create_channel(&mut self, engine: Engine, entries: u32) -> Result<Channel> {
        self.open_channel(engine, entries)
    }

    fn destroy_channel(&mut self, ch: Channel) -> Result<()> {
        let st = self.chans.remove(&ch.handle).ok_or_else(|| {
            HcqError::Unsupported(format!("destroy of unknown channel fd {}", ch.handle))
        })?;
        self.teardown_channel(ch.handle, st)
    }

    fn ring_doorbell(&mut self, ch: &Channel) -> Result<()> {
        if self.doorbell.is_null() {
            return Err(HcqError::Unsupported(
                "doorbell page is not mapped".to_string(),
            ));
        }
        // GP_PUT is already stored; it must be visible before the GPU is told to fetch.
        fence(Ordering::SeqCst);
        // SAFETY: the doorbell page is a live 4 KiB mapping; +0x90 is the doorbell register.
        unsafe {
            std::ptr::write_volatile(
                self.doorbell.add(DOORBELL_OFFSET) as *mut u32,
                ch.doorbell_token,
            )
        };
        Ok(())
    }

    fn channel_fault(&mut self, ch: &Channel) -> Option<ChannelFault> {
        self.read_fault(ch)
    }

    fn sync_for_device(&mut self, mem: &Mem) -> Result<()> {
        self.sync_mem(mem)
    }
}
