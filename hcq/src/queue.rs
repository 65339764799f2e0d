//! Compute and copy queues. A queue is built once (method words plus the places that change)
//! and submitted many times: `submit` writes the patched values in place — into the pushbuffer,
//! the kernel-argument buffers or the QMDs — and rings the doorbell. Every submission waits for
//! the previous one on the device timeline and ends by releasing the next timeline value.

use crate::classes::*;
use crate::device::{hi_lo, Device};
use crate::error::{HcqError, Result};
use crate::iface::{Engine, Mem, MemPlace};
use crate::pushbuf::PushBuf;
use crate::qmd::{get_field, set_field, Field, Qmd, QmdVersion};
use crate::signal::{emit_acquire, emit_release, Signal};

/// A patchable value of a queue, handed out while building it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot(pub usize);

/// A kernel launch recorded in a compute queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaunchId(pub usize);

#[derive(Debug, Clone)]
enum Target {
    /// Pushbuffer words: value low 32 bits at `lo`, high 32 bits at `hi`, plus `add`.
    Push {
        lo: usize,
        hi: Option<usize>,
        add: u64,
    },
    /// `width_b` (4 or 8) bytes at `off` of kernel-argument buffer `buf`.
    Arg { buf: usize, off: usize, width_b: u8 },
    /// Bits hi..=lo of the QMD at `off` of buffer `buf`.
    QmdBits {
        buf: usize,
        off: usize,
        hi: u32,
        lo: u32,
    },
}

/// The part every queue shares: words, patch table, the buffers it owns, the timeline slots.
#[derive(Debug, Default)]
struct Core {
    pb: PushBuf,
    patches: Vec<Vec<Target>>,
    bufs: Vec<Mem>,
    pb_mem: Option<Mem>,
    /// Word index of the prelude acquire payload and the final release payload (after sealing).
    timeline_words: Option<(usize, usize)>,
    last_value: u64,
    name: String,
}

impl Core {
    fn slot(&mut self, t: Vec<Target>) -> Slot {
        self.patches.push(t);
        Slot(self.patches.len() - 1)
    }

    fn building(&self) -> Result<()> {
        if self.pb_mem.is_some() {
            return Err(HcqError::Unsupported(format!(
                "queue '{}' was already submitted; build a new queue to add commands",
                self.name
            )));
        }
        Ok(())
    }

    fn signal(&mut self, sig: &Signal, value: u64) -> Result<Slot> {
        self.building()?;
        let w = emit_release(&mut self.pb, sig.gpu_va, value);
        Ok(self.slot(vec![Target::Push {
            lo: w,
            hi: Some(w + 1),
            add: 0,
        }]))
    }

    fn wait(&mut self, sig: &Signal, value: u64) -> Result<Slot> {
        self.building()?;
        let w = emit_acquire(&mut self.pb, sig.gpu_va, value);
        Ok(self.slot(vec![Target::Push {
            lo: w,
            hi: Some(w + 1),
            add: 0,
        }]))
    }

    /// Wrap the body in timeline acquire/release and upload it (first submit only).
    fn seal(&mut self, dev: &mut Device) -> Result<()> {
        if self.pb_mem.is_some() {
            return Ok(());
        }
        let mut pb = PushBuf::new();
        let acq = emit_acquire(&mut pb, dev.timeline.gpu_va, 0);
        let shift = pb.len();
        pb.extend_raw(self.pb.words());
        let rel = emit_release(&mut pb, dev.timeline.gpu_va, 0);
        for t in self.patches.iter_mut().flatten() {
            if let Target::Push { lo, hi, .. } = t {
                *lo += shift;
                *hi = hi.map(|h| h + shift);
            }
        }
        let mem = dev.alloc(pb.len() as u64 * 4, MemPlace::DeviceMapped)?;
        self.pb = pb;
        self.pb_mem = Some(mem);
        self.timeline_words = Some((acq, rel));
        Ok(())
    }

    fn submit(&mut self, dev: &mut Device, engine: Engine, patches: &[(Slot, u64)]) -> Result<u64> {
        self.seal(dev)?;
        // Values are patched in place: the previous run of this queue must be finished.
        if self.last_value > 0 {
            let (t, v) = (dev.timeline, self.last_value);
            dev.wait_signal(&t, v, &self.name)?;
        }
        let v = dev.timeline_value + 1;
        let (acq, rel) = self.timeline_words.unwrap_or_default();
        write_u64_words(self.pb.words_mut(), acq, Some(acq + 1), v - 1);
        write_u64_words(self.pb.words_mut(), rel, Some(rel + 1), v);
        for &(slot, value) in patches {
            let targets = self.patches.get(slot.0).cloned().ok_or_else(|| {
                HcqError::Unsupported(format!(
                    "queue '{}' has no patch slot {}",
                    self.name, slot.0
                ))
            })?;
            for t in targets {
                match t {
                    Target::Push { lo, hi, add } => {
                        write_u64_words(self.pb.words_mut(), lo, hi, value.wrapping_add(add))
                    }
                    Target::Arg { buf, off, width_b } => {
                        let mem = &mut self.bufs[buf];
                        let bytes = mem.cpu_slice()?;
                        if width_b == 4 && value >> 32 != 0 {
                            return Err(HcqError::Unsupported(format!(
                                "queue '{}' slot {}: 0x{value:x} does not fit a 32-bit argument",
                                self.name, slot.0
                            )));
                        }
                        bytes[off..off + width_b as usize]
                            .copy_from_slice(&value.to_le_bytes()[..width_b as usize]);
                    }
                    Target::QmdBits { buf, off, hi, lo } => {
                        let bytes = &mut self.bufs[buf].cpu_slice()?[off..];
                        let n = ((hi / 32 + 1) * 4) as usize;
                        let mut words: Vec<u32> = le_words(&bytes[..n]);
                        set_field(&mut words, hi, lo, value).map_err(|e| {
                            HcqError::Unsupported(format!(
                                "queue '{}' slot {}: {e}",
                                self.name, slot.0
                            ))
                        })?;
                        bytes[..n].copy_from_slice(bytemuck::cast_slice(&words));
                    }
                }
            }
        }
        let mem = self
            .pb_mem
            .as_mut()
            .ok_or_else(|| HcqError::Unsupported("queue not sealed".into()))?;
        mem.cpu_slice()?[..self.pb.len() * 4]
            .copy_from_slice(bytemuck::cast_slice(self.pb.words()));
        dev.iface.sync_for_device(mem)?;
        for b in &self.bufs {
            dev.iface.sync_for_device(b)?;
        }
        let (va, len) = (mem.gpu_va, self.pb.len() as u64);
        let v = dev.ring_submit(engine, va, len, v, &self.name)?;
        self.last_value = v;
        Ok(v)
    }

    /// Give the buffers back (after the GPU is done with them).
    fn release(&mut self, dev: &mut Device) -> Result<()> {
        if self.last_value > 0 {
            let (t, v) = (dev.timeline, self.last_value);
            dev.wait_signal(&t, v, &self.name)?;
        }
        for m in self.bufs.drain(..).chain(self.pb_mem.take()) {
            dev.free(m)?;
        }
        Ok(())
    }
}

fn le_words(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn write_u64_words(words: &mut [u32], lo: usize, hi: Option<usize>, v: u64) {
    words[lo] = v as u32;
    if let Some(h) = hi {
        words[h] = (v >> 32) as u32;
    }
}

#[derive(Debug, Clone)]
struct LaunchRec {
    buf: usize,
    qmd_off: usize,
    version: QmdVersion,
}

/// Kernels, barriers and signals on the compute channel.
#[derive(Debug, Default)]
pub struct ComputeQueue {
    core: Core,
    launches: Vec<LaunchRec>,
}

impl ComputeQueue {
    pub fn new(name: &str) -> ComputeQueue {
        ComputeQueue {
            core: Core {
                name: name.to_string(),
                ..Core::default()
            },
            launches: Vec::new(),
        }
    }

    /// Stall the channel until `sig` ≥ `value` (patchable).
    pub fn wait(&mut self, sig: &Signal, value: u64) -> Result<Slot> {
        self.core.wait(sig, value)
    }

    /// Release `value` (patchable) with a timestamp once everything before is done.
    pub fn signal(&mut self, sig: &Signal, value: u64) -> Result<Slot> {
        self.core.signal(sig, value)
    }

    /// Record the GPU time (ptimer ns) at this point into `sig`'s timestamp; the release also
    /// writes value 0, so use a signal dedicated to timing.
    pub fn timestamp(&mut self, sig: &Signal) -> Result<()> {
        self.core.signal(sig, 0).map(|_| ())
    }

    /// Make earlier kernels' global writes visible to later ones: invalidate the shader
    /// instruction, global-data and constant caches (tinygrad's memory barrier).
    pub fn memory_barrier(&mut self) -> Result<()> {
        self.core.building()?;
        self.core.pb.method(
            SUBC_COMPUTE,
            NVCBC0_INVALIDATE_SHADER_CACHES_NO_WFI,
            &[NVCBC0_INVALIDATE_SHADER_CACHES_NO_WFI_INSTRUCTION_TRUE
                | NVCBC0_INVALIDATE_SHADER_CACHES_NO_WFI_GLOBAL_DATA_TRUE
                | NVCBC0_INVALIDATE_SHADER_CACHES_NO_WFI_CONSTANT_TRUE],
        );
        Ok(())
    }

    /// Launch `qmd` (program, grid, block, shared memory already set) with constant buffer 0 =
    /// `cbuf0` (driver words + parameters). Both are copied into a buffer this queue owns:
    /// [cbuf0, padded to 256 B][QMD]; the QMD's cbuf0 binding is pointed at it.
    pub fn launch(&mut self, dev: &mut Device, qmd: &Qmd, cbuf0: &[u8]) -> Result<LaunchId> {
        self.core.building()?;
        let qmd_off = cbuf0.len().next_multiple_of(256).max(256);
        let mut mem = dev.alloc(
            (qmd_off + qmd.version.size_b()) as u64,
            MemPlace::DeviceMapped,
        )?;
        let mut q = qmd.clone();
        q.set_cbuf(0, mem.gpu_va, cbuf0.len().next_multiple_of(16) as u32)?;
        let bytes = mem.cpu_slice()?;
        bytes[..cbuf0.len()].copy_from_slice(cbuf0);
        bytes[qmd_off..qmd_off + q.version.size_b()].copy_from_slice(q.as_bytes());
        let qmd_va = mem.gpu_va + qmd_off as u64;
        if qmd_va >> 40 != 0 {
            return Err(HcqError::Unsupported(format!(
                "QMD at 0x{qmd_va:x}: SEND_PCAS_A takes a VA below 2^40"
            )));
        }
        self.core
            .pb
            .method(SUBC_COMPUTE, NVCBC0_SEND_PCAS_A, &[(qmd_va >> 8) as u32]);
        self.core.pb.method(
            SUBC_COMPUTE,
            NVCBC0_SEND_SIGNALING_PCAS2_B,
            &[NVCBC0_SEND_SIGNALING_PCAS2_B_PCAS_ACTION_PREFETCH_SCHEDULE],
        );
        self.core.bufs.push(mem);
        self.launches.push(LaunchRec {
            buf: self.core.bufs.len() - 1,
            qmd_off,
            version: q.version,
        });
        Ok(LaunchId(self.launches.len() - 1))
    }

    /// A patch slot for `width_b` (4 or 8) bytes at `off_b` of launch `l`'s constant buffer 0
    /// (kernel parameters live at the PARAM_CBANK offset).
    pub fn arg_slot(&mut self, l: LaunchId, off_b: usize, width_b: u8) -> Result<Slot> {
        let rec = self.launch_rec(l)?;
        if !(width_b == 4 || width_b == 8)
            || !off_b.is_multiple_of(width_b as usize)
            || off_b + width_b as usize > rec.qmd_off
        {
            return Err(HcqError::Unsupported(format!(
                "argument slot of {width_b} B at cbuf0+0x{off_b:x}: needs width 4/8, natural alignment, inside 0x{:x} B",
                rec.qmd_off
            )));
        }
        let buf = rec.buf;
        Ok(self.core.slot(vec![Target::Arg {
            buf,
            off: off_b,
            width_b,
        }]))
    }

    /// A patch slot for a QMD field of launch `l` (e.g. Field::GridWidth).
    pub fn qmd_slot(&mut self, l: LaunchId, f: Field) -> Result<Slot> {
        let rec = self.launch_rec(l)?;
        let (hi, lo) = f.bits(rec.version).ok_or_else(|| {
            HcqError::Unsupported(format!("QMD {:?} has no field {f:?}", rec.version))
        })?;
        let (buf, off) = (rec.buf, rec.qmd_off);
        Ok(self.core.slot(vec![Target::QmdBits { buf, off, hi, lo }]))
    }

    /// One slot writing the same value into a QMD field and a 32-bit bank-0 word (a grid
    /// dimension lives in both: GRID_* and nctaid).
    pub fn qmd_and_arg_slot(&mut self, l: LaunchId, f: Field, cbuf0_off_b: usize) -> Result<Slot> {
        let a = self.qmd_slot(l, f)?;
        let b = self.arg_slot(l, cbuf0_off_b, 4)?;
        let mut targets = self.core.patches[a.0].clone();
        targets.extend(self.core.patches[b.0].clone());
        Ok(self.core.slot(targets))
    }

    /// Read back a QMD field of launch `l` as it is in memory now.
    pub fn qmd_field(&mut self, l: LaunchId, f: Field) -> Result<u64> {
        let rec = self.launch_rec(l)?;
        let (hi, lo) = f
            .bits(rec.version)
            .ok_or_else(|| HcqError::Unsupported(format!("no field {f:?}")))?;
        let bytes =
            &self.core.bufs[rec.buf].cpu_slice()?[rec.qmd_off..rec.qmd_off + rec.version.size_b()];
        get_field(&le_words(bytes), hi, lo)
    }

    fn launch_rec(&self, l: LaunchId) -> Result<LaunchRec> {
        self.launches.get(l.0).cloned().ok_or_else(|| {
            HcqError::Unsupported(format!("queue '{}' has no launch {}", self.core.name, l.0))
        })
    }

    /// Patch, submit on the compute channel, return the timeline value it will release.
    pub fn submit(&mut self, dev: &mut Device, patches: &[(Slot, u64)]) -> Result<u64> {
        self.core.submit(dev, Engine::Compute, patches)
    }

    /// The raw words (after the first submit: including the timeline prelude/epilogue).
    pub fn words(&self) -> &[u32] {
        self.core.pb.words()
    }

    /// Wait for the last submission and free the queue's buffers.
    pub fn destroy(mut self, dev: &mut Device) -> Result<()> {
        self.core.release(dev)
    }
}

/// Largest single LINE_LENGTH_IN tinygrad uses (2 GiB); larger copies are chunked.
pub const COPY_CHUNK_B: u64 = 1 << 31;

/// Linear copies and signals on the copy channel.
#[derive(Debug, Default)]
pub struct CopyQueue {
    core: Core,
}

/// The patch slots of one copy: source and destination VAs (all chunks move together).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopySlots {
    pub src: Slot,
    pub dst: Slot,
}

impl CopyQueue {
    pub fn new(name: &str) -> CopyQueue {
        CopyQueue {
            core: Core {
                name: name.to_string(),
                ..Core::default()
            },
        }
    }

    pub fn wait(&mut self, sig: &Signal, value: u64) -> Result<Slot> {
        self.core.wait(sig, value)
    }

    /// Release `value` from the host class once the copies before it are done (RELEASE_WFI
    /// waits for the copy engine to go idle).
    pub fn signal(&mut self, sig: &Signal, value: u64) -> Result<Slot> {
        self.core.signal(sig, value)
    }

    /// Release `value` (64-bit, with timestamp) from the copy engine itself after the copies
    /// before it ([`crate::signal::emit_copy_release`]). tinygrad signals this way with a 32-bit
    /// payload; the 64-bit form has not run on hardware (kernlab's nv backend asks it under
    /// KERNLAB_NV_COPY_SIGNAL=ce) — `signal` (host semaphore) is the default.
    pub fn signal_ce(&mut self, sig: &Signal, value: u64) -> Result<Slot> {
        self.core.building()?;
        let lo = crate::signal::emit_copy_release(&mut self.core.pb, sig.gpu_va, value);
        Ok(self.core.slot(vec![Target::Push {
            lo,
            hi: Some(lo + 1),
            add: 0,
        }]))
    }

    /// Copy `size_b` bytes from `src_gpu_va` to `dst_gpu_va` in ≤ 2 GiB chunks.
    pub fn copy(&mut self, dst_gpu_va: u64, src_gpu_va: u64, size_b: u64) -> Result<CopySlots> {
        self.core.building()?;
        if size_b == 0 {
            return Err(HcqError::Unsupported("copy of 0 bytes".into()));
        }
        let (mut src_t, mut dst_t) = (Vec::new(), Vec::new());
        let mut done = 0;
        while done < size_b {
            let n = (size_b - done).min(COPY_CHUNK_B);
            let [sh, sl] = hi_lo(src_gpu_va + done);
            let [dh, dl] = hi_lo(dst_gpu_va + done);
            let r = self
                .core
                .pb
                .method(SUBC_COPY, NVC8B5_OFFSET_IN_UPPER, &[sh, sl, dh, dl]);
            src_t.push(Target::Push {
                lo: r.start + 1,
                hi: Some(r.start),
                add: done,
            });
            dst_t.push(Target::Push {
                lo: r.start + 3,
                hi: Some(r.start + 2),
                add: done,
            });
            self.core
                .pb
                .method(SUBC_COPY, NVC8B5_LINE_LENGTH_IN, &[n as u32]);
            self.core
                .pb
                .method(SUBC_COPY, NVC8B5_LAUNCH_DMA, &[launch_dma::LINEAR_COPY]);
            done += n;
        }
        Ok(CopySlots {
            src: self.core.slot(src_t),
            dst: self.core.slot(dst_t),
        })
    }

    pub fn submit(&mut self, dev: &mut Device, patches: &[(Slot, u64)]) -> Result<u64> {
        self.core.submit(dev, Engine::Copy, patches)
    }

    pub fn words(&self) -> &[u32] {
        self.core.pb.words()
    }

    pub fn destroy(mut self, dev: &mut Device) -> Result<()> {
        self.core.release(dev)
    }
}
