//! The launch arena: one GPU buffer cut into 4 KiB slots, each holding everything a single
//! submission needs (constant bank 0, its pushbuffer, its QMD). Slots are used round-robin;
//! a slot is reused only once the timeline shows the GPU is done with its last use, so the
//! hot path allocates nothing and makes no ioctl.

use hcq::{Device, Mem, MemPlace};

use crate::{Error, Result};

/// Bytes per slot: bank 0 at 0, pushbuffer at [`PB_OFF`], QMD at [`QMD_OFF`] (256-B aligned, as
/// SEND_PCAS_A takes the address >> 8; V4 QMDs are 384 B and end at 0xF80).
pub const SLOT_B: u64 = 4096;
/// Largest constant bank 0 a slot holds (driver words up to 0x210 on sm_90 plus parameters).
pub const CBUF0_MAX_B: usize = 0xC00;
pub const PB_OFF: usize = 0xC00;
pub const PB_MAX_WORDS: usize = 128;
pub const QMD_OFF: usize = 0xE00;

const _: () = assert!(PB_OFF + PB_MAX_WORDS * 4 <= QMD_OFF);
const _: () = assert!(QMD_OFF + 384 <= SLOT_B as usize);
const _: () = assert!(QMD_OFF % 256 == 0);

pub struct Arena {
    pub mem: Mem,
    slots: usize,
    next: usize,
    /// Timeline value whose completion frees each slot (0: never used).
    busy_until: Vec<u64>,
}

impl Arena {
    pub fn new(dev: &mut Device, slots: usize, place: MemPlace) -> Result<Arena> {
        let mem = dev.alloc(slots as u64 * SLOT_B, place)?;
        Ok(Arena {
            mem,
            slots,
            next: 0,
            busy_until: vec![0; slots],
        })
    }

    /// The next slot, after waiting (bounded) for the GPU to finish its previous use.
    pub fn take(&mut self, dev: &mut Device) -> Result<usize> {
        let i = self.next;
        self.next = (self.next + 1) % self.slots;
        let until = self.busy_until[i];
        if until > dev.timeline.value() {
            let t = dev.timeline;
            dev.wait_signal(&t, until, "nv launch arena")?;
        }
        Ok(i)
    }

    /// Slot `i` is in use until the timeline reaches `value`.
    pub fn used_until(&mut self, i: usize, value: u64) {
        self.busy_until[i] = value;
    }

    pub fn gpu_va(&self, i: usize) -> u64 {
        self.mem.gpu_va + i as u64 * SLOT_B
    }

    /// The CPU view of slot `i`.
    pub fn slot(&mut self, i: usize) -> Result<&mut [u8]> {
        let all = self.mem.cpu_slice()?;
        let off = i * SLOT_B as usize;
        all.get_mut(off..off + SLOT_B as usize)
            .ok_or_else(|| Error::Unsupported(format!("nv arena has no slot {i}")))
    }
}
