//! Signals: a 16-byte slot {value u64, timestamp u64 (GPU ptimer ns)} in Host memory that the
//! GPU writes with a semaphore release, and a bounded CPU wait on it that notices a dead
//! channel as soon as the driver reports it.

use crate::classes::*;
use crate::error::{HcqError, Result};
use crate::iface::{Channel, Iface, Mem, MemPlace};
use crate::pushbuf::PushBuf;
use std::time::{Duration, Instant};

pub const SIGNAL_SIZE_B: u64 = 16;

/// One signal slot. Copyable handle; the memory belongs to a `SignalPool`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signal {
    pub gpu_va: u64,
    cpu: *mut u64,
}

// The slot is plain shared memory; the handle may move between threads.
unsafe impl Send for Signal {}

impl Signal {
    /// # Safety
    /// `cpu` must map 16 writable, 8-byte aligned bytes that the GPU sees at `gpu_va` and that
    /// outlive every use of the returned handle.
    pub unsafe fn from_raw(cpu: *mut u8, gpu_va: u64) -> Signal {
        Signal {
            gpu_va,
            cpu: cpu as *mut u64,
        }
    }

    pub fn value(&self) -> u64 {
        // SAFETY: from_raw's contract; volatile because the GPU writes it.
        unsafe { std::ptr::read_volatile(self.cpu) }
    }

    /// GPU ptimer at the release (ns), when the release asked for a timestamp.
    pub fn timestamp_ns(&self) -> u64 {
        // SAFETY: as above; the slot is 16 bytes.
        unsafe { std::ptr::read_volatile(self.cpu.add(1)) }
    }

    pub fn set(&self, value: u64) {
        // SAFETY: as above.
        unsafe { std::ptr::write_volatile(self.cpu, value) }
    }
}

/// Signal slots carved from one Host allocation.
#[derive(Debug)]
pub struct SignalPool {
    mem: Mem,
    next: u64,
}

impl SignalPool {
    pub fn new(iface: &mut dyn Iface, slots: u64) -> Result<SignalPool> {
        let mut mem = iface.alloc(slots.max(1) * SIGNAL_SIZE_B, MemPlace::Host)?;
        mem.cpu_slice()?.fill(0);
        Ok(SignalPool { mem, next: 0 })
    }

    pub fn take(&mut self) -> Result<Signal> {
        let off = self.next * SIGNAL_SIZE_B;
        if off + SIGNAL_SIZE_B > self.mem.size_b {
            return Err(HcqError::OutOfMemory {
                want_b: SIGNAL_SIZE_B,
                what: "signal slot (pool full)".into(),
            });
        }
        self.next += 1;
        // SAFETY: off+16 ≤ size_b of a CPU-mapped Host buffer the pool keeps alive.
        Ok(unsafe { Signal::from_raw(self.mem.cpu.add(off as usize), self.mem.gpu_va + off) })
    }

    pub fn into_mem(self) -> Mem {
        self.mem
    }
}

/// Host semaphore release of the 16-byte form on any channel: SEM_ADDR_LO..SEM_EXECUTE in one
/// burst (RELEASE | RELEASE_WFI | 64-bit | TIMESTAMP), then NON_STALL_INTERRUPT so a driver event
/// could wake a sleeper. Returns the word index of SEM_PAYLOAD_LO (PAYLOAD_HI follows it).
pub fn emit_release(pb: &mut PushBuf, signal_gpu_va: u64, value: u64) -> usize {
    emit_release_irq(pb, signal_gpu_va, value, true)
}

/// As `emit_release`; the NON_STALL_INTERRUPT only with `irq` (a poller needs none).
pub fn emit_release_irq(pb: &mut PushBuf, signal_gpu_va: u64, value: u64, irq: bool) -> usize {
    let r = pb.method(
        SUBC_HOST,
        NVC86F_SEM_ADDR_LO,
        &[
            signal_gpu_va as u32,
            (signal_gpu_va >> 32) as u32,
            value as u32,
            (value >> 32) as u32,
            SEM_EXECUTE_SIGNAL,
        ],
    );
    if irq {
        pb.method(SUBC_HOST, NVC86F_NON_STALL_INTERRUPT, &[0]);
    }
    r.start + 2
}

/// The copy engine's own release of `value` (64-bit payload, ptimer timestamp: the 16-byte
/// form of the host release) at `signal_gpu_va`, once the copies before it are done: one
/// LAUNCH_DMA with no transfer, FLUSH and a four-word semaphore, as tinygrad signals from its
/// copy queue (with a 32-bit payload there). Returns the word index of SET_SEMAPHORE_PAYLOAD.
pub fn emit_copy_release(pb: &mut PushBuf, signal_gpu_va: u64, value: u64) -> usize {
    let r = pb.method(
        SUBC_COPY,
        NVC8B5_SET_SEMAPHORE_A,
        &[
            (signal_gpu_va >> 32) as u32,
            signal_gpu_va as u32,
            value as u32,
            (value >> 32) as u32,
        ],
    );
    pb.method(
        SUBC_COPY,
        NVC8B5_LAUNCH_DMA,
        &[launch_dma::SEMAPHORE_FOUR_WORD | launch_dma::SEMAPHORE_PAYLOAD_SIZE_64_BIT],
    );
    r.start + 2
}

/// Host semaphore acquire: stall the channel until the 64-bit value at `signal_gpu_va` is
/// circularly ≥ `value` (ACQ_CIRC_GEQ). Returns the word index of SEM_PAYLOAD_LO.
pub fn emit_acquire(pb: &mut PushBuf, signal_gpu_va: u64, value: u64) -> usize {
    let r = pb.method(
        SUBC_HOST,
        NVC86F_SEM_ADDR_LO,
        &[
            signal_gpu_va as u32,
            (signal_gpu_va >> 32) as u32,
            value as u32,
            (value >> 32) as u32,
            SEM_EXECUTE_WAIT,
        ],
    );
    r.start + 2
}

/// What a wait reports when it fails.
#[derive(Debug, Clone)]
pub struct WaitCtx<'a> {
    pub queue: &'a str,
    /// The kernel (or copy) that was last submitted, for the error message.
    pub running: &'a str,
    /// Give up after this long without the value changing.
    pub timeout_ms: u64,
}

/// Check the driver's fault report every this many spins (the check may read a notifier page).
const FAULT_CHECK_EVERY: u32 = 16;

/// Spin until `sig` ≥ `want`. A fault on any of `channels` ends the wait at once with
/// ChannelError; `timeout_ms` without progress ends it with Timeout.
pub fn wait(
    iface: &mut dyn Iface,
    channels: &[&Channel],
    sig: &Signal,
    want: u64,
    ctx: &WaitCtx,
) -> Result<()> {
    let start = Instant::now();
    let mut last_change = start;
    let mut last = sig.value();
    let mut spins = 0u32;
    loop {
        let now = sig.value();
        if now >= want {
            return Ok(());
        }
        if now != last {
            // Progress (another submission finished): restart the clock, as tinygrad does.
            last = now;
            last_change = Instant::now();
        }
        if spins.is_multiple_of(FAULT_CHECK_EVERY) {
            for ch in channels {
                if let Some(f) = iface.channel_fault(ch) {
                    return Err(HcqError::ChannelError {
                        queue: ctx.queue.to_string(),
                        code: f.code,
                        what: f.what,
                        running: ctx.running.to_string(),
                        last_signal: sig.value(),
                    });
                }
            }
            if last_change.elapsed() >= Duration::from_millis(ctx.timeout_ms) {
                return Err(HcqError::Timeout {
                    queue: ctx.queue.to_string(),
                    signal_va: sig.gpu_va,
                    want,
                    got: sig.value(),
                    waited_ms: start.elapsed().as_millis() as u64,
                    running: ctx.running.to_string(),
                });
            }
        }
        spins = spins.wrapping_add(1);
        std::hint::spin_loop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pushbuf::decode;

    #[test]
    fn release_and_acquire_encodings() {
        let mut pb = PushBuf::new();
        let rel = emit_release(&mut pb, 0x10_2000_0010, 0x1_0000_0007);
        let acq = emit_acquire(&mut pb, 0x10_2000_0010, 6);
        let w = decode(pb.words()).unwrap();
        let exec: Vec<u32> = w
            .iter()
            .filter(|m| m.mthd == NVC86F_SEM_EXECUTE)
            .map(|m| m.value)
            .collect();
        assert_eq!(exec, vec![0x0310_0001, 0x0100_0003]);
        assert_eq!(pb.words()[rel], 7);
        assert_eq!(pb.words()[rel + 1], 1);
        assert_eq!(pb.words()[acq], 6);
        assert!(w.iter().any(|m| m.mthd == NVC86F_NON_STALL_INTERRUPT));
        assert!(w.iter().all(|m| m.subc == SUBC_HOST));
        let addr: Vec<u32> = w
            .iter()
            .filter(|m| m.mthd == NVC86F_SEM_ADDR_HI)
            .map(|m| m.value)
            .collect();
        assert_eq!(addr, vec![0x10, 0x10]);
    }
}
