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
const _: () = assert!(QMD_OFF.is_multiple_of(256));

pub struct Arena {
    pub mem: Mem,
    slots: usize,
    next: usize,
    /// Timeline value whose completion frees each slot (0: never used).
    busy_until: Vec<u64>,
    /// What the CPU last wrote to the arena: `write` stores only what differs from it, so a
    /// repeated launch of one kernel writes its changed parameters and grid, not 1 KiB of bank 0
    /// and QMD, through the BAR1 mapping (uncached by default: every store a PCIe write of its
    /// own, and no read may be used to compare).
    shadow: Vec<u8>,
}

/// Granule of `Arena::write`'s comparison (a write-combining buffer line).
const LINE_B: usize = 64;
/// Granule of what `Arena::write` stores inside a line that differs: the words from the first
/// difference to the last, 8-byte aligned (a lone launch's pushbuffer changes in its release
/// payload only: 8 bytes stored instead of the 40-byte line, 1 uncached store instead of 2 or more).
const WORD_B: usize = 8;

impl Arena {
    pub fn new(dev: &mut Device, slots: usize, place: MemPlace) -> Result<Arena> {
        let mem = dev.alloc(slots as u64 * SLOT_B, place)?;
        if (mem.gpu_va + mem.size_b) >> 40 != 0 {
            let (va, size) = (mem.gpu_va, mem.size_b);
            let _ = dev.free(mem);
            return Err(Error::Unsupported(format!(
                "nv launch arena ({place:?}) at 0x{va:x}+0x{size:x}: pushbuffers and QMDs need GPU \
                 addresses below 2^40; use KERNLAB_NV_ARENA=vram"
            )));
        }
        Ok(Arena {
            mem,
            slots,
            next: 0,
            busy_until: vec![0; slots],
            shadow: Vec::new(),
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

    /// Store `bytes` at `off` of slot `i`, skipping 64-byte lines that already hold them and,
    /// in a line that differs, the 8-byte words before its first difference and after its last.
    pub fn write(&mut self, i: usize, off: usize, bytes: &[u8]) -> Result<()> {
        let base = self.place(i, off, bytes.len())?;
        let all = self.mem.cpu_slice()?;
        let mut at = 0;
        while at < bytes.len() {
            let end = ((base + at) / LINE_B + 1) * LINE_B - base;
            let end = end.min(bytes.len());
            let (new, old) = (&bytes[at..end], &self.shadow[base + at..base + end]);
            // The whole-line comparison first (memcmp): most lines are unchanged.
            if new != old {
                let differs = |(a, b): (&u8, &u8)| a != b;
                let first = new.iter().zip(old).position(differs).unwrap_or(0);
                let last = new.iter().zip(old).rposition(differs).unwrap_or(first) + 1;
                // Arena offsets of the words holding the difference, kept inside this line.
                let s = ((base + at + first) / WORD_B * WORD_B).max(base + at);
                let d = (base + at + last).next_multiple_of(WORD_B).min(base + end);
                let src = &bytes[s - base..d - base];
                all[s..d].copy_from_slice(src);
                self.shadow[s..d].copy_from_slice(src);
            }
            at = end;
        }
        Ok(())
    }

    /// Store `bytes` at `off` of slot `i` unconditionally (the QMD: the hardware may use its
    /// memory while the grid runs, so the shadow cannot vouch for it), once: the shadow is
    /// brought up to date without a write of its own (until session 11 the changed lines went
    /// through `write` first and then everything again: twice the stores through BAR1).
    pub fn write_all(&mut self, i: usize, off: usize, bytes: &[u8]) -> Result<()> {
        let base = self.place(i, off, bytes.len())?;
        self.shadow[base..base + bytes.len()].copy_from_slice(bytes);
        self.mem.cpu_slice()?[base..base + bytes.len()].copy_from_slice(bytes);
        Ok(())
    }

    /// The arena offset of `len_b` bytes at `off` of slot `i`, checked against the slot; on
    /// first use the shadow is created and the GPU memory (unknown bytes) zeroed to match it.
    fn place(&mut self, i: usize, off: usize, len_b: usize) -> Result<usize> {
        if off + len_b > SLOT_B as usize {
            return Err(Error::Unsupported(format!(
                "nv arena: {len_b} B at +0x{off:x} overflow a {SLOT_B} B slot"
            )));
        }
        if self.shadow.is_empty() {
            self.shadow = vec![0; self.mem.size_b as usize];
            self.mem.cpu_slice()?.fill(0);
        }
        Ok(i * SLOT_B as usize + off)
    }

    /// The CPU view of slot `i`.
    pub fn slot(&mut self, i: usize) -> Result<&mut [u8]> {
        let all = self.mem.cpu_slice()?;
        let off = i * SLOT_B as usize;
        all.get_mut(off..off + SLOT_B as usize)
            .ok_or_else(|| Error::Unsupported(format!("nv arena has no slot {i}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hcq::MockGpu;

    /// What `write` stores is the span of 8-byte words around the differences of each line:
    /// bytes outside it are left as the GPU memory holds them (here poisoned behind the shadow's
    /// back, which a store would undo), and the slot reads back as written where it was.
    #[test]
    fn write_stores_only_the_words_that_changed() {
        let mut dev = Device::new(Box::new(MockGpu::new(0x900))).unwrap();
        let mut a = Arena::new(&mut dev, 2, MemPlace::DeviceMapped).unwrap();
        let pb: Vec<u8> = (0..40u8).collect();
        a.write(1, PB_OFF, &pb).unwrap();
        assert_eq!(&a.slot(1).unwrap()[PB_OFF..PB_OFF + 40], &pb[..]);
        a.slot(1).unwrap()[PB_OFF..PB_OFF + 40].fill(0xEE);
        // The release payload changes in bytes 29 and 33: the words at 24 and 32 are stored.
        let mut next = pb.clone();
        next[29] = 0xA1;
        next[33] = 0xA2;
        a.write(1, PB_OFF, &next).unwrap();
        let got = a.slot(1).unwrap()[PB_OFF..PB_OFF + 40].to_vec();
        assert_eq!(&got[24..40], &next[24..40], "the changed words land");
        assert!(
            got[..24].iter().all(|&b| b == 0xEE),
            "words before the change are not stored"
        );
        // Unchanged bytes: nothing stored at all.
        a.write(1, PB_OFF, &next).unwrap();
        assert_eq!(a.slot(1).unwrap()[PB_OFF..PB_OFF + 40].to_vec(), got);
        // A change across two lines stores a span in each, bounded by the line.
        let mut wide = vec![0u8; 128];
        a.write(0, 0, &wide).unwrap();
        a.slot(0).unwrap()[..128].fill(0xEE);
        wide[60] = 1;
        wide[66] = 2;
        a.write(0, 0, &wide).unwrap();
        let got = a.slot(0).unwrap()[..128].to_vec();
        assert!(got[..56].iter().all(|&b| b == 0xEE));
        assert_eq!(&got[56..72], &wide[56..72]);
        assert!(got[72..].iter().all(|&b| b == 0xEE));
    }
}
