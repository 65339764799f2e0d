//! GPFIFO submission: write an entry pointing at a pushbuffer into the channel's ring, publish
//! GP_PUT in USERD, fence, ring the doorbell. Entry layout (clc86f.h GP_ENTRY0/1): GET 31:2 =
//! VA bits 31:2, GET_HI 39:32, LEVEL 41 (1 = SUBROUTINE, as tinygrad), LENGTH 62:42 in words.

use crate::error::{HcqError, Result};
use crate::iface::{Channel, Iface};
use std::sync::atomic::{fence, Ordering};
use std::time::{Duration, Instant};

/// USERD offsets (Nvc86fControl / AmpereAControlGPFifo).
pub const USERD_GP_GET: usize = 0x88;
pub const USERD_GP_PUT: usize = 0x8C;

/// GP_ENTRY1 LEVEL (bit 41 of the u64 entry) = SUBROUTINE.
pub const GP_ENTRY_LEVEL_SUBROUTINE: u64 = 1 << 41;
pub const GP_ENTRY_LENGTH_SHIFT: u32 = 42;
/// LENGTH is 21 bits.
pub const GP_ENTRY_MAX_WORDS: u64 = (1 << 21) - 1;

/// The 8-byte entry for a pushbuffer at `pb_gpu_va` of `len_words` words.
pub fn gpfifo_entry(pb_gpu_va: u64, len_words: u64) -> Result<u64> {
    if !pb_gpu_va.is_multiple_of(4) || pb_gpu_va >> 40 != 0 {
        return Err(HcqError::Unsupported(format!(
            "pushbuffer at 0x{pb_gpu_va:x}: GPFIFO entries need a 4-byte aligned VA below 2^40"
        )));
    }
    if len_words == 0 || len_words > GP_ENTRY_MAX_WORDS {
        return Err(HcqError::Unsupported(format!(
            "pushbuffer of {len_words} words: a GPFIFO entry holds 1..={GP_ENTRY_MAX_WORDS}"
        )));
    }
    Ok((pb_gpu_va & !3) | (len_words << GP_ENTRY_LENGTH_SHIFT) | GP_ENTRY_LEVEL_SUBROUTINE)
}

/// (VA, length in words) of an entry.
pub fn decode_entry(entry: u64) -> (u64, u64) {
    (
        entry & 0xFF_FFFF_FFFC,
        (entry >> GP_ENTRY_LENGTH_SHIFT) & GP_ENTRY_MAX_WORDS,
    )
}

/// A channel plus the CPU's count of entries it has written.
#[derive(Debug)]
pub struct Ring {
    pub ch: Channel,
    /// Entries written since creation (GP_PUT = put % entries).
    put: u64,
    /// How long a full ring may stay full before submit gives up.
    pub full_timeout_ms: u64,
    /// GP_GET as last read. USERD may live behind BAR1 where a read is an uncached PCIe round
    /// trip (about 1 µs); GP_GET only moves forward, so `submit` re-reads it only when this
    /// stale value says the ring might be full.
    known_get: u32,
}

impl Ring {
    /// Start at the GP_PUT the channel has now (0 for a fresh channel).
    pub fn new(ch: Channel) -> Result<Ring> {
        if ch.ring_entries < 2
            || !ch.ring_entries.is_power_of_two()
            || ch.ring.is_null()
            || ch.userd.is_null()
        {
            return Err(HcqError::Unsupported(format!(
                "channel with {} ring entries (ring {:p}, USERD {:p}): need a mapped power-of-two ring",
                ch.ring_entries, ch.ring, ch.userd
            )));
        }
        let mut r = Ring {
            ch,
            put: 0,
            full_timeout_ms: 30_000,
            known_get: 0,
        };
        r.put = r.gp_put() as u64;
        r.known_get = r.gp_get();
        Ok(r)
    }

    pub fn gp_get(&self) -> u32 {
        // SAFETY: USERD is a mapping of ≥ 0x200 bytes owned by the interface for the channel's life.
        unsafe { std::ptr::read_volatile(self.ch.userd.add(USERD_GP_GET) as *const u32) }
    }

    pub fn gp_put(&self) -> u32 {
        // SAFETY: as above.
        unsafe { std::ptr::read_volatile(self.ch.userd.add(USERD_GP_PUT) as *const u32) }
    }

    /// Entries written by the CPU that the GPU has not fetched yet.
    pub fn pending(&self) -> u32 {
        let n = self.ch.ring_entries;
        ((self.put % n as u64) as u32 + n - self.gp_get() % n) % n
    }

    /// Submit `len_words` of pushbuffer at `pb_gpu_va`. Waits (bounded) while the ring is full.
    pub fn submit(&mut self, iface: &mut dyn Iface, pb_gpu_va: u64, len_words: u64) -> Result<()> {
        let entry = gpfifo_entry(pb_gpu_va, len_words)?;
        let n = self.ch.ring_entries;
        // One slot stays empty: GP_PUT == GP_GET means "empty", never "full".
        let start = Instant::now();
        let stale = ((self.put % n as u64) as u32 + n - self.known_get % n) % n;
        while stale >= n - 1 && self.pending() >= n - 1 {
            if let Some(f) = iface.channel_fault(&self.ch) {
                return Err(HcqError::ChannelError {
                    queue: format!("{:?}", self.ch.engine),
                    code: f.code,
                    what: f.what,
                    running: "waiting for GPFIFO space".into(),
                    last_signal: 0,
                });
            }
            if start.elapsed() > Duration::from_millis(self.full_timeout_ms) {
                return Err(HcqError::Timeout {
                    queue: format!("{:?} GPFIFO", self.ch.engine),
                    signal_va: self.ch.ring_gpu_va,
                    want: self.put % n as u64,
                    got: self.gp_get() as u64,
                    waited_ms: start.elapsed().as_millis() as u64,
                    running: format!("ring full: {} of {n} entries unfetched", self.pending()),
                });
            }
            std::hint::spin_loop();
        }
        if stale >= n - 1 {
            self.known_get = self.gp_get();
        }
        let slot = (self.put % n as u64) as usize;
        // SAFETY: `ring` maps `ring_entries` u64 entries; slot < ring_entries.
        unsafe { std::ptr::write_volatile(self.ch.ring.add(slot), entry) };
        self.put += 1;
        // The entry must be visible before GP_PUT, and GP_PUT before the doorbell.
        fence(Ordering::SeqCst);
        // SAFETY: USERD mapping as in gp_get.
        unsafe {
            std::ptr::write_volatile(
                self.ch.userd.add(USERD_GP_PUT) as *mut u32,
                (self.put % n as u64) as u32,
            )
        };
        fence(Ordering::SeqCst);
        iface.ring_doorbell(&self.ch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_matches_header_fields() {
        let e = gpfifo_entry(0x12_3456_7890, 5).unwrap();
        assert_eq!(e & 0xFFFF_FFFF, 0x3456_7890, "ENTRY0 GET = VA bits 31:2");
        assert_eq!((e >> 32) & 0xFF, 0x12, "ENTRY1 GET_HI = VA bits 39:32");
        assert_eq!((e >> 41) & 1, 1, "LEVEL = SUBROUTINE");
        assert_eq!(decode_entry(e), (0x12_3456_7890, 5));
        assert!(gpfifo_entry(0x1_0000_0000_0000, 5).is_err());
        assert!(gpfifo_entry(0x1002, 5).is_err());
        assert!(gpfifo_entry(0x1000, 0).is_err());
        assert!(gpfifo_entry(0x1000, 1 << 21).is_err());
    }
}
