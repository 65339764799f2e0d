//! A device: one interface, one compute and one copy channel, the timeline signal that orders
//! every submission, and the shader local-memory setup kernels need.

use crate::classes::*;
use crate::error::{HcqError, Result};
use crate::gpfifo::Ring;
use crate::iface::{Engine, GpuInfo, Iface, Mem, MemPlace};
use crate::pushbuf::PushBuf;
use crate::qmd::QmdVersion;
use crate::signal::{emit_acquire, emit_release, wait, Signal, SignalPool, WaitCtx};

pub const GPFIFO_ENTRIES: u32 = 1024;
pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;

pub struct Device {
    pub iface: Box<dyn Iface>,
    pub info: GpuInfo,
    pub qmd_version: QmdVersion,
    pub compute: Ring,
    pub copy: Ring,
    /// Every submission ends by releasing `timeline_value` into this signal.
    pub timeline: Signal,
    pub timeline_value: u64,
    pub timeout_ms: u64,
    /// Name of what was submitted last (for error messages).
    pub running: String,
    signals: SignalPool,
    /// One-off pushbuffers and the SLM buffer, freed on drop.
    owned: Vec<Mem>,
    slm_per_thread_b: u64,
}

impl Device {
    /// Create both channels, bind the classes and the shared/local windows, and wait for it.
    pub fn new(mut iface: Box<dyn Iface>) -> Result<Device> {
        let info = iface.info().clone();
        let mut signals = SignalPool::new(&mut *iface, 256)?;
        let timeline = signals.take()?;
        let compute = Ring::new(iface.create_channel(Engine::Compute, GPFIFO_ENTRIES)?)?;
        let copy = Ring::new(iface.create_channel(Engine::Copy, GPFIFO_ENTRIES)?)?;
        let mut dev = Device {
            qmd_version: qmd_version_for(info.classes.compute),
            iface,
            info,
            compute,
            copy,
            timeline,
            timeline_value: 0,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            running: "device setup".into(),
            signals,
            owned: Vec::new(),
            slm_per_thread_b: 0,
        };
        let windows = dev.info.shader_windows;
        let mut pb = PushBuf::new();
        pb.set_object(SUBC_COMPUTE, dev.info.classes.compute);
        pb.method(
            SUBC_COMPUTE,
            NVCBC0_SET_SHADER_LOCAL_MEMORY_WINDOW_A,
            &hi_lo(windows.local_va),
        );
        pb.method(
            SUBC_COMPUTE,
            NVCBC0_SET_SHADER_SHARED_MEMORY_WINDOW_A,
            &hi_lo(windows.shared_va),
        );
        dev.submit_once(Engine::Compute, pb, "compute setup")?;
        let mut pb = PushBuf::new();
        pb.set_object(SUBC_COPY, dev.info.classes.copy);
        dev.submit_once(Engine::Copy, pb, "copy setup")?;
        dev.synchronize()?;
        Ok(dev)
    }

    pub fn alloc(&mut self, size_b: u64, place: MemPlace) -> Result<Mem> {
        self.iface.alloc(size_b, place)
    }

    pub fn free(&mut self, mem: Mem) -> Result<()> {
        self.iface.free(mem)
    }

    pub fn new_signal(&mut self) -> Result<Signal> {
        self.signals.take()
    }

    /// Wait until `sig` ≥ `value` (bounded by `timeout_ms`, faults end it at once).
    pub fn wait_signal(&mut self, sig: &Signal, value: u64, queue: &str) -> Result<()> {
        let ctx = WaitCtx {
            queue,
            running: &self.running,
            timeout_ms: self.timeout_ms,
        };
        wait(
            &mut *self.iface,
            &[&self.compute.ch, &self.copy.ch],
            sig,
            value,
            &ctx,
        )
    }

    /// Wait for every submission so far.
    pub fn synchronize(&mut self) -> Result<()> {
        let (t, v) = (self.timeline, self.timeline_value);
        self.wait_signal(&t, v, "timeline")
    }

    /// Continue the timeline from `value` (not below where it is), the GPU idle: the CPU
    /// writes the signal and every later release counts on from there. For tests of the 64-bit
    /// payloads: started just under 2^32, the releases cross into the upper word at once.
    pub fn restart_timeline_at(&mut self, value: u64) -> Result<()> {
        self.synchronize()?;
        if value < self.timeline_value {
            return Err(HcqError::Unsupported(format!(
                "timeline restart at {value}: it is at {} already",
                self.timeline_value
            )));
        }
        self.timeline.set(value);
        self.timeline_value = value;
        Ok(())
    }

    /// Submit a pushbuffer used once (setup); it is ordered on the timeline like any queue.
    pub fn submit_once(&mut self, engine: Engine, body: PushBuf, what: &str) -> Result<u64> {
        let v = self.timeline_value + 1;
        let mut pb = PushBuf::new();
        emit_acquire(&mut pb, self.timeline.gpu_va, v - 1);
        pb.extend_raw(body.words());
        emit_release(&mut pb, self.timeline.gpu_va, v);
        let mut mem = self
            .iface
            .alloc(pb.len() as u64 * 4, MemPlace::DeviceMapped)?;
        mem.cpu_slice()?[..pb.len() * 4].copy_from_slice(bytemuck::cast_slice(pb.words()));
        self.iface.sync_for_device(&mem)?;
        let (va, len) = (mem.gpu_va, pb.len() as u64);
        self.owned.push(mem);
        self.ring_submit(engine, va, len, v, what)
    }

    /// Put a pushbuffer (already ending with the release of `value`) on `engine`'s ring.
    pub fn ring_submit(
        &mut self,
        engine: Engine,
        pb_gpu_va: u64,
        len_words: u64,
        value: u64,
        what: &str,
    ) -> Result<u64> {
        if value != self.timeline_value + 1 {
            return Err(HcqError::Unsupported(format!(
                "submission '{what}' releases timeline {value}, expected {}",
                self.timeline_value + 1
            )));
        }
        let ring = match engine {
            Engine::Compute => &mut self.compute,
            Engine::Copy => &mut self.copy,
        };
        ring.submit(&mut *self.iface, pb_gpu_va, len_words)?;
        self.timeline_value = value;
        // Reuses the string's buffer: a launch loop allocates nothing here.
        self.running.clear();
        self.running.push_str(what);
        Ok(value)
    }

    /// Make sure kernels may use `per_thread_b` bytes of local memory (stack, spills): sizes and
    /// binds the SLM buffer as tinygrad's `_ensure_has_local_memory` does. The SM count comes from
    /// GpuInfo; per-TPC sizing assumes 2 SMs per TPC and 64 warps per SM (the maximum on sm_80
    /// and sm_90; sm_86/87 have 48), so it errs on the large side.
    pub fn ensure_local_memory(&mut self, per_thread_b: u64) -> Result<()> {
        if per_thread_b <= self.slm_per_thread_b {
            return Ok(());
        }
        let per_thread = per_thread_b.next_multiple_of(32);
        let (max_warps_per_sm, sms_per_tpc) = (64u64, 2u64);
        let tpcs = (self.info.num_sms as u64).div_ceil(sms_per_tpc).max(1);
        let per_tpc = ((per_thread * 32).next_multiple_of(0x200) * max_warps_per_sm * sms_per_tpc)
            .next_multiple_of(0x8000);
        let size = (per_tpc * tpcs).next_multiple_of(0x2_0000);
        self.synchronize()?;
        let mem = self.iface.alloc(size, MemPlace::Device)?;
        let mut pb = PushBuf::new();
        pb.method(
            SUBC_COMPUTE,
            NVCBC0_SET_SHADER_LOCAL_MEMORY_A,
            &hi_lo(mem.gpu_va),
        );
        // NON_THROTTLED_C: the SM count the size covers; 0xFF = all (rm-hcq.md §4.1).
        let [a, b] = hi_lo(per_tpc);
        pb.method(
            SUBC_COMPUTE,
            NVCBC0_SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_A,
            &[a, b, 0xFF],
        );
        self.owned.push(mem);
        self.submit_once(Engine::Compute, pb, "local memory setup")?;
        self.synchronize()?;
        self.slm_per_thread_b = per_thread;
        Ok(())
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        // Best effort: the GPU must be done with buffers before they go back.
        if self.synchronize().is_ok() {
            for m in self.owned.drain(..) {
                let _ = self.iface.free(m);
            }
        }
    }
}

/// [upper 32 bits, lower 32 bits], the order of every *_A/_B method pair.
pub fn hi_lo(v: u64) -> [u32; 2] {
    [(v >> 32) as u32, v as u32]
}
