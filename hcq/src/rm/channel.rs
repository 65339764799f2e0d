//! GPFIFO channels (rm-hcq.md §1.3 steps 17–25) and the `Iface` implementation.
//!
//! All channels join one channel group (TSG, engine type GRAPHICS) with one subcontext, as
//! tinygrad does. Seen on the H100 (docs/hcq-rm.md): a copy channel alone in its own GRAPHICS
//! TSG cannot run: RM treats it as a GR channel, which in a UVM-owned VA space must be bound
//! with UVM_REGISTER_CHANNEL, and that fails (NV_ERR_INVALID_OBJECT) while the group has no GR
//! context, i.e. no compute object. So the compute channel must exist before a copy channel;
//! the copy class then runs on a graphics copy engine (GRCE). The group is scheduled after each
//! new channel; when the last channel goes, the group goes too (a channel error kills the whole
//! group, so the next channel starts a fresh one).

use super::classes::*;
use super::fd::munmap;
use super::memory::round_up;
use super::notifier::{decode_error_notifier, NOTIFICATION_SIZE_B};
use super::rmcall::uvm_call;
use super::uapi::*;
use super::{ChannelRecord, RmIface};
use crate::error::{HcqError, Result};
use crate::iface::{Channel, ChannelFault, Engine, GpuInfo, Iface, Mem, MemPlace};
use std::os::fd::AsRawFd;
use std::sync::atomic::{fence, Ordering};

/// NOTIFY_CHANNEL_PENDING in the usermode page (clc361.h): write the work-submit token here.
const NVC361_NOTIFY_CHANNEL_PENDING: usize = 0x90;
/// USERD (Nvc86fControl) is 0x200 bytes and must be 512-B aligned.
const USERD_SIZE_B: u64 = 0x200;
/// Error notifier memory: NV_CHANNELGPFIFO_NOTIFICATION_TYPE__SIZE_1 (3) entries are used; one page suffices.
const NOTIFIER_SIZE_B: u64 = 0x1000;
/// VA range UVM maps the channel's RM-internal buffers into (UVM_REGISTER_CHANNEL), as tinygrad.
const UVM_CHANNEL_RANGE_B: u64 = 0x400_0000;

impl RmIface {
    fn create_channel_inner(
        &mut self,
        engine: Engine,
        entries: u32,
        rec: &mut ChannelRecord,
    ) -> Result<Channel> {
        if !entries.is_power_of_two() || entries < 2 {
            return Err(HcqError::Unsupported(format!(
                "GPFIFO entries must be a power of two ≥ 2, got {entries}"
            )));
        }
        let rm = self.rm;
        let has_compute = self.channels.values().any(|c| c.engine == Engine::Compute);
        if engine == Engine::Copy && !has_compute {
            return Err(HcqError::Unsupported(
                "create the compute channel before a copy channel: the copy channel joins the compute channel's group, \
                 whose GR context RM needs bound (UVM_REGISTER_CHANNEL) before it schedules it"
                    .into(),
            ));
        }
        if self.tsg == 0 {
            let mut tsg = NvChannelGroupAllocParams {
                engine_type: NV2080_ENGINE_TYPE_GRAPHICS,
                ..Default::default()
            };
            self.tsg = rm.alloc(self.device, KEPLER_CHANNEL_GROUP_A, Some(&mut tsg))?;
            let mut cs = NvCtxshareAllocParams {
                h_va_space: self.vaspace,
                flags: NV_CTXSHARE_ALLOCATION_FLAGS_SUBCONTEXT_ASYNC,
                subctx_id: 0,
            };
            match rm.alloc(self.tsg, FERMI_CONTEXT_SHARE_A, Some(&mut cs)) {
                Ok(h) => self.ctxshare = h,
                Err(e) => {
                    let _ = rm.free(self.device, self.tsg);
                    self.tsg = 0;
                    return Err(e);
                }
            }
        }
        rec.engine = engine;

        let (nh, ncpu, nfd) = self.alloc_rm_sysmem(NOTIFIER_SIZE_B)?;
        rec.notifier = nh;
        rec.notifier_cpu = ncpu;
        rec.notifier_size_b = NOTIFIER_SIZE_B;
        rec.notifier_fd = Some(nfd);

        // Ring and USERD in one contiguous, CPU-mapped VRAM buffer: ring first, USERD after it.
        let ring_b = entries as u64 * 8;
        let userd_off = round_up(ring_b, USERD_SIZE_B);
        let ring = self.alloc_inner(userd_off + USERD_SIZE_B, MemPlace::DeviceMapped, true)?;
        rec.ring_mem = ring.handle;
        let mut cp = NvChannelAllocParams {
            h_object_error: rec.notifier,
            h_object_buffer: ring.handle as NvHandle,
            gp_fifo_offset: ring.gpu_va,
            gp_fifo_entries: entries,
            h_context_share: self.ctxshare,
            ..Default::default()
        };
        cp.h_userd_memory[0] = ring.handle as NvHandle;
        cp.userd_offset[0] = userd_off;
        let gpfifo_class = self.info.classes.gpfifo;
        rec.channel = rm.alloc(self.tsg, gpfifo_class, Some(&mut cp))?;
        let class = match engine {
            Engine::Compute => self.info.classes.compute,
            Engine::Copy => self.info.classes.copy,
        };
        rec.engine_obj = rm.alloc::<Nv2080AllocParams>(rec.channel, class, None)?;

        let mut tok = NvC36fWorkSubmitTokenParams {
            work_submit_token: u32::MAX,
        };
        rm.control(
            rec.channel,
            NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN,
            &mut tok,
        )?;

        // UVM_REGISTER_CHANNEL lets UVM map the channel's RM-internal buffers (the GR context)
        // into the VA space it owns; RM refuses to schedule an unbound GR channel there.
        let base = self.alloc_va(UVM_CHANNEL_RANGE_B, 0x20_0000, false)?;
        let mut rc = UvmRegisterChannelParams {
            gpu_uuid: self.gpu_uuid,
            rm_ctrl_fd: rm.ctl_fd,
            h_client: rm.client,
            h_channel: rec.channel,
            base,
            length: UVM_CHANNEL_RANGE_B,
            ..Default::default()
        };
        uvm_call(
            self.uvm.as_raw_fd(),
            "UVM_REGISTER_CHANNEL",
            UVM_REGISTER_CHANNEL,
            &mut rc,
            |p| p.rm_status,
        )?;
        rec.uvm_channel_range = base;

        let mut sched = NvA06cScheduleParams {
            b_enable: 1,
            ..Default::default()
        };
        rm.control(self.tsg, NVA06C_CTRL_CMD_GPFIFO_SCHEDULE, &mut sched)?;

        Ok(Channel {
            engine,
            class,
            ring: ring.cpu as *mut u64,
            ring_gpu_va: ring.gpu_va,
            ring_entries: entries,
            // SAFETY: USERD lies inside the ring buffer's CPU mapping (userd_off + 0x200 ≤ size).
            userd: unsafe { ring.cpu.add(userd_off as usize) },
            doorbell_token: tok.work_submit_token,
            handle: rec.channel as u64,
        })
    }

    /// Free a channel's objects in reverse order of creation; returns the first error.
    pub(crate) fn destroy_channel_by_handle(&mut self, handle: u64) -> Result<()> {
        let Some(rec) = self.channels.remove(&handle) else {
            return Err(HcqError::Unsupported(format!(
                "destroy of unknown channel 0x{handle:x}"
            )));
        };
        self.free_channel_record(rec)
    }

    fn free_channel_record(&mut self, rec: ChannelRecord) -> Result<()> {
        let rm = self.rm;
        let mut results = Vec::new();
        if rec.uvm_channel_range != 0 {
            // UVM holds the channel's RM-internal buffers until it lets go of the channel.
            let mut u = UvmUnregisterChannelParams {
                gpu_uuid: self.gpu_uuid,
                h_client: rm.client,
                h_channel: rec.channel,
                rm_status: 0,
            };
            results.push(uvm_call(
                self.uvm.as_raw_fd(),
                "UVM_UNREGISTER_CHANNEL",
                UVM_UNREGISTER_CHANNEL,
                &mut u,
                |p| p.rm_status,
            ));
        }
        // Freeing the channel frees the engine object under it.
        if rec.channel != 0 {
            results.push(rm.free(self.tsg, rec.channel));
        }
        if self.channels.is_empty() && self.tsg != 0 {
            results.push(rm.free(self.device, self.tsg));
            self.tsg = 0;
            self.ctxshare = 0;
        }
        if rec.ring_mem != 0 {
            results.push(self.free_by_handle(rec.ring_mem));
        }
        if rec.notifier != 0 {
            munmap(rec.notifier_cpu, rec.notifier_size_b);
            drop(rec.notifier_fd);
            results.push(rm.free(self.device, rec.notifier));
        }
        results.into_iter().collect::<Result<Vec<()>>>().map(|_| ())
    }
}

impl Iface for RmIface {
    fn info(&self) -> &GpuInfo {
        &self.info
    }

    fn alloc(&mut self, size_b: u64, place: MemPlace) -> Result<Mem> {
        self.alloc_inner(size_b, place, false)
    }

    fn free(&mut self, mem: Mem) -> Result<()> {
        self.free_by_handle(mem.handle)
    }

    fn create_channel(&mut self, engine: Engine, entries: u32) -> Result<Channel> {
        let mut rec = ChannelRecord {
            engine,
            channel: 0,
            engine_obj: 0,
            ring_mem: 0,
            notifier: 0,
            notifier_cpu: std::ptr::null_mut(),
            notifier_size_b: 0,
            notifier_fd: None,
            uvm_channel_range: 0,
        };
        match self.create_channel_inner(engine, entries, &mut rec) {
            Ok(ch) => {
                self.channels.insert(ch.handle, rec);
                Ok(ch)
            }
            Err(e) => {
                let _ = self.free_channel_record(rec);
                Err(e)
            }
        }
    }

    fn destroy_channel(&mut self, ch: Channel) -> Result<()> {
        self.destroy_channel_by_handle(ch.handle)
    }

    fn ring_doorbell(&mut self, ch: &Channel) -> Result<()> {
        fence(Ordering::SeqCst);
        // SAFETY: the usermode page is mapped for the life of self; 0x90 is inside its 64 KiB.
        unsafe {
            std::ptr::write_volatile(
                self.doorbell.add(NVC361_NOTIFY_CHANNEL_PENDING) as *mut u32,
                ch.doorbell_token,
            );
        }
        Ok(())
    }

    fn channel_fault(&mut self, ch: &Channel) -> Option<ChannelFault> {
        let rec = self.channels.get(&ch.handle)?;
        let mut entry = [0u8; NOTIFICATION_SIZE_B];
        for (i, b) in entry.iter_mut().enumerate() {
            // SAFETY: the notifier mapping is at least one page and lives as long as the record.
            *b = unsafe { std::ptr::read_volatile(rec.notifier_cpu.add(i)) };
        }
        decode_error_notifier(&entry)
    }
}
