//! A prebuilt replay: the NV counterpart of a CUDA graph. Every launch's bank 0 and QMD are
//! written once into a buffer of their own, followed by one pushbuffer that launches them in
//! order. Replaying puts that pushbuffer on the compute ring unchanged (one GPFIFO entry) and
//! then an arena slot with the timeline release: nothing is rewritten, nothing waited for.

use super::arena::{CBUF0_MAX_B, QMD_OFF, SLOT_B};
use super::options::{GridMembar, ReplayOrder};
use super::{pcas_launch, NvBackend};
use crate::gpu::Launch;
use crate::{Error, Result};
use hcq::classes::*;
use hcq::qmd::{Field, CWD_MEMBAR_TYPE_L1_MEMBAR, CWD_MEMBAR_TYPE_L1_NONE};
use hcq::{Mem, PushBuf};

const _: () = assert!(CBUF0_MAX_B <= QMD_OFF);

/// The end of a dependent-QMD chain: the last QMD adds 1 to `sig` when the whole chain is done
/// (a reduction release), so after run k it holds k and the channel acquires `runs` behind each
/// replay. The QMDs are never rewritten, so a replay can be queued while its previous run is
/// still on the GPU (a release that wrote `runs` would need the QMD patched per run, and so a
/// host wait for the previous run first: ~7 us of idle GPU per token on the H100).
/// The counter lives in the replay's own buffer (VRAM by default): a reduction is an atomic,
/// which a GPU may not be able to do across PCIe to host memory, and only the channel reads it.
pub struct ChainEnd {
    pub counter_gpu_va: u64,
    pub runs: u64,
}

/// Bytes after the pushbuffer for the chain's run counter (a 16-byte aligned semaphore slot).
const COUNTER_B: u64 = 16;
/// Bytes per grid of the grid-end timestamps (`NvOptions::grid_timestamps`): a four-word
/// semaphore, payload at +0 and ptimer nanoseconds at +8.
const GRID_TIME_B: u64 = 16;

/// The QMD release slot of the grid-end timestamps (slot 0 is the chain end's counter).
const GRID_TIME_RELEASE: u8 = 1;

pub struct Replay {
    pub mem: Mem,
    pub chain: Option<ChainEnd>,
    pub body_gpu_va: u64,
    pub body_words: u64,
    /// Offset in `mem` of the grid-end timestamps (`GRID_TIME_B` per grid), when recorded.
    pub grid_times_off: Option<u64>,
    pub n_grids: usize,
    /// "replay of N launches (kernels …)" for error messages.
    pub what: String,
}

impl Replay {
    pub fn build(b: &mut NvBackend, launches: &[Launch]) -> Result<Replay> {
        if launches.is_empty() {
            return Err(Error::Usage("nv build_replay: no launches".into()));
        }
        let n = launches.len() as u64;
        // Launch i at i * SLOT_B: bank 0 at +0, QMD at +QMD_OFF; the pushbuffer after them.
        let mut pb = PushBuf::new();
        let order = b.options().replay_order;
        let place = b.options().arena_place;
        let body_cap_b = n * 16 * 4 + 64;
        let counter_off = n * SLOT_B + body_cap_b.next_multiple_of(COUNTER_B);
        let grid_times_off = b
            .options()
            .grid_timestamps
            .then_some(counter_off + COUNTER_B);
        let size_b = counter_off + COUNTER_B + grid_times_off.map_or(0, |_| n * GRID_TIME_B);
        let mut mem = b.device().alloc(size_b, place)?;
        let base = mem.gpu_va;
        let mut names: Vec<String> = Vec::new();
        let mut images = Vec::with_capacity(launches.len());
        if matches!(order, ReplayOrder::Pdl | ReplayOrder::Latch)
            && b.device().qmd_version != hcq::QmdVersion::V4
        {
            return Err(Error::Unsupported(format!(
                "KERNLAB_NV_REPLAY={order:?} needs QMD V4 (Hopper); use chain or wfi"
            )));
        }
        let mut chain = None;
        for (i, l) in launches.iter().enumerate() {
            let at = base + i as u64 * SLOT_B;
            let (mut qmd, cbuf0) = b.prepared(l, at)?;
            if i + 1 < launches.len() {
                let released = b.releases_writes(l.kernel);
                let chase = Field::CwdMembarTaskChasingEnable;
                match b.options().grid_membar {
                    GridMembar::Chased | GridMembar::NoneWhereReleased if released => {
                        qmd.set(Field::CwdMembarType, CWD_MEMBAR_TYPE_L1_NONE)?
                    }
                    GridMembar::NoneWhereReleased | GridMembar::Sys => {}
                    GridMembar::Chased => {
                        qmd.set(Field::CwdMembarType, CWD_MEMBAR_TYPE_L1_MEMBAR)?;
                        // QMD V3 has no such field: plain L1_MEMBAR there.
                        if chase.bits(qmd.version).is_some() {
                            qmd.set(chase, 1)?
                        }
                    }
                    GridMembar::GpuBetween => {
                        qmd.set(Field::CwdMembarType, CWD_MEMBAR_TYPE_L1_MEMBAR)?
                    }
                    GridMembar::NoneBetween => {
                        qmd.set(Field::CwdMembarType, CWD_MEMBAR_TYPE_L1_NONE)?
                    }
                }
            }
            if let Some(off) = grid_times_off {
                // Payload i + 1: a slot still 0 after a run names a grid that never released.
                let at = base + off + i as u64 * GRID_TIME_B;
                qmd.set_release_timestamp(GRID_TIME_RELEASE, at, i as u64 + 1)?;
            }
            match order {
                ReplayOrder::Chain | ReplayOrder::Pdl => {
                    if i == 0 {
                        pcas_launch(&mut pb, at + QMD_OFF as u64)?;
                    }
                    // Latch i + 1 joins kernel i (producer) to kernel i + 1 (consumer); 0 is
                    // left unused.
                    let latch = i as u32 + 1;
                    if order == ReplayOrder::Pdl && i > 0 {
                        qmd.wait_on_latch(latch - 1)?;
                        if b.options().invalidate_at_latch_only {
                            for f in [
                                Field::InvalidateTextureHeaderCache,
                                Field::InvalidateTextureSamplerCache,
                                Field::InvalidateTextureDataCache,
                                Field::InvalidateShaderDataCache,
                            ] {
                                qmd.set(f, 0)?;
                            }
                        }
                    }
                    if i + 1 < launches.len() {
                        qmd.set_dependent(0, at + SLOT_B + QMD_OFF as u64)?;
                        if order == ReplayOrder::Pdl {
                            qmd.arrive_at_latch_early(latch)?;
                        }
                    } else {
                        let counter_gpu_va = base + counter_off;
                        qmd.set_release_add(0, counter_gpu_va, 1)?;
                        chain = Some(ChainEnd {
                            counter_gpu_va,
                            runs: 0,
                        });
                    }
                }
                ReplayOrder::Latch => {
                    // Latch i + 1 joins kernel i to kernel i + 1, as in Pdl; no dependents.
                    let latch = i as u32 + 1;
                    if i > 0 {
                        qmd.wait_on_latch(latch - 1)?;
                    }
                    if i + 1 < launches.len() {
                        qmd.arrive_at_latch_early(latch)?;
                    }
                    pcas_launch(&mut pb, at + QMD_OFF as u64)?;
                }
                _ => {
                    if i > 0 && order == ReplayOrder::ComputeWfi {
                        pb.method(SUBC_COMPUTE, NVCBC0_WAIT_FOR_IDLE, &[0]);
                    }
                    pcas_launch(&mut pb, at + QMD_OFF as u64)?;
                }
            }
            let name = b.kernel(l.kernel)?.name.clone();
            if !names.contains(&name) {
                names.push(name);
            }
            images.push((i, qmd, cbuf0));
        }
        let bytes = mem.cpu_slice()?;
        for (i, qmd, cbuf0) in &images {
            let off = i * SLOT_B as usize;
            bytes[off..off + cbuf0.len()].copy_from_slice(cbuf0);
            let q = qmd.as_bytes();
            bytes[off + QMD_OFF..off + QMD_OFF + q.len()].copy_from_slice(q);
        }
        let body_off = (n * SLOT_B) as usize;
        let words = pb.words();
        if (words.len() * 4) as u64 > body_cap_b {
            return Err(Error::Unsupported(format!(
                "nv replay pushbuffer of {} words exceeds its {} B",
                words.len(),
                body_cap_b
            )));
        }
        bytes[body_off..body_off + words.len() * 4].copy_from_slice(bytemuck::cast_slice(words));
        let c = counter_off as usize;
        bytes[c..c + COUNTER_B as usize].fill(0);
        if let Some(off) = grid_times_off {
            let t = off as usize;
            bytes[t..t + (n * GRID_TIME_B) as usize].fill(0);
        }
        b.device().iface.sync_for_device(&mem)?;
        Ok(Replay {
            chain,
            body_gpu_va: base + body_off as u64,
            body_words: words.len() as u64,
            grid_times_off,
            n_grids: launches.len(),
            what: format!(
                "replay of {} launches ({}; {:?})",
                launches.len(),
                names.join(", "),
                order
            ),
            mem,
        })
    }

    /// The grid-end timestamps of the latest run (see `NvOptions::grid_timestamps`), None
    /// when this replay records none. A grid whose slot does not hold its own payload has not
    /// released since the replay was built (it never ran, or its first run has not finished):
    /// an error naming it. Later runs overwrite the same slots, so call this after `sync`.
    pub fn grid_end_times(&mut self) -> Result<Option<Vec<u64>>> {
        let Some(off) = self.grid_times_off else {
            return Ok(None);
        };
        let what = self.what.clone();
        let bytes = self.mem.cpu_slice()?;
        let word = |at: usize| {
            // SAFETY: the slice index bounds-checks `at..at + 8` inside the replay's CPU mapping,
            // and `at` is 8-byte aligned (16-byte slots after a 16-byte aligned counter); the GPU
            // writes these words, so the read must not be elided.
            let p = bytes[at..at + 8].as_ptr() as *const u64;
            unsafe { std::ptr::read_volatile(p) }
        };
        let mut out = Vec::with_capacity(self.n_grids);
        for i in 0..self.n_grids {
            let at = off as usize + i * GRID_TIME_B as usize;
            let payload = word(at);
            if payload != i as u64 + 1 {
                return Err(Error::Unsupported(format!(
                    "{what}: grid {i} wrote no end timestamp (slot holds {payload}; did the replay run and finish?)"
                )));
            }
            out.push(word(at + 8));
        }
        Ok(Some(out))
    }
}
