//! The backend trait and the small value types it passes around.

use crate::ptx::KernelSpec;
use crate::Result;

/// A device allocation: its GPU virtual address and size. Owned by the backend that made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Buf {
    pub gpu_va: u64,
    pub size_b: u64,
}

/// One kernel parameter, in the order of the PTX `.param` list.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Arg {
    Buf(Buf),
    U32(u32),
    U64(u64),
    F32(f32),
}

/// A kernel loaded by [`Backend::load`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelId(pub usize);

/// A point in the backend's queue whose GPU time can be read back ([`Backend::mark`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark(pub usize);

/// A prebuilt list of launches ([`Backend::build_replay`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayId(pub usize);

/// One kernel launch: kernel, grid and block (x, y, z), dynamic shared bytes, parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Launch {
    pub kernel: KernelId,
    pub grid: [u32; 3],
    pub block: [u32; 3],
    pub shared_b: u32,
    /// 0: no cap. Else the backend asks for enough shared memory (beyond `shared_b`) that no SM
    /// holds more than this many of the launch's blocks at once. A dependent grid launched early
    /// (nv's pdl replay) otherwise piles its blocks onto the SMs the previous grid frees first.
    pub max_blocks_per_sm: u32,
    pub args: Vec<Arg>,
}

impl Launch {
    /// A 1-D launch with no dynamic shared memory.
    pub fn linear(kernel: KernelId, blocks: u32, threads: u32, args: Vec<Arg>) -> Launch {
        Launch {
            kernel,
            grid: [blocks, 1, 1],
            block: [threads, 1, 1],
            shared_b: 0,
            max_blocks_per_sm: 0,
            args,
        }
    }
}

/// How a cap on the blocks per SM ([`Launch::max_blocks_per_sm`]) sizes each block's shared
/// memory (`KERNLAB_CAP_SHARED`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapSizing {
    /// The SM's shared memory / cap: the capped grid fills the SM's shared memory, so no block of
    /// the next grid lands beside it before one of its blocks ends (session 10's default).
    Even,
    /// The least size that still holds the cap (just over SM / (cap + 1)): what is left over
    /// lets the next grid's early-launched blocks start beside it. The default since session
    /// 11: on the H100's nv path llama1b-q6k 0.686 / 0.690 -> 0.676 / 0.681 ms/token,
    /// qwen3-0.6b-q8 0.596 / 0.597 -> 0.577 / 0.578, qwen3-1.7b-q4km 1.038 / 1.035 -> 1.034 /
    /// 1.030 (A/B/A/B, docs/device-logs/s11/probe30.log; CPU check 64/64).
    Least,
}

impl CapSizing {
    /// `KERNLAB_CAP_SHARED=even|least` (default least).
    pub fn from_env() -> crate::Result<CapSizing> {
        match std::env::var("KERNLAB_CAP_SHARED").as_deref() {
            Ok("even") => Ok(CapSizing::Even),
            Err(_) | Ok("least") => Ok(CapSizing::Least),
            Ok(v) => Err(crate::Error::Usage(format!(
                "KERNLAB_CAP_SHARED={v}: expected even or least"
            ))),
        }
    }
}

/// Shared memory per block (static, dynamic and the driver's reservation) that lets an SM with
/// `sm_shared_b` of shared memory hold at most `cap` blocks ([`Launch::max_blocks_per_sm`]),
/// in 128-B allocation units, never less than `cta_shared_b`: `sm_shared_b / cap` rounded down
/// ([`CapSizing::Even`]) or the least unit past `sm_shared_b / (cap + 1)` ([`CapSizing::Least`]).
/// `cap` 0: no cap, `cta_shared_b`.
pub fn capped_cta_shared_b(cta_shared_b: u64, sm_shared_b: u64, cap: u32, how: CapSizing) -> u64 {
    if cap == 0 {
        return cta_shared_b;
    }
    let sized = match how {
        CapSizing::Even => (sm_shared_b / cap as u64) & !127,
        CapSizing::Least => (sm_shared_b / (cap as u64 + 1) / 128 + 1) * 128,
    };
    cta_shared_b.max(sized)
}

/// What the benchmarks print about the device.
#[derive(Debug, Clone, PartialEq)]
pub struct GpuInfo {
    pub backend: &'static str,
    pub name: String,
    /// "sm_90"
    pub arch: String,
    pub sm_count: u32,
    pub l2_b: u64,
    pub mem_b: u64,
    /// "13.0" (CUDA driver API version) on cuda.
    pub driver: String,
}

/// A GPU as the benchmarks and the selftest drive it. All work is queued in order on one
/// queue; `sync` waits for it with a deadline (never a hang).
pub trait Backend {
    fn info(&self) -> &GpuInfo;

    /// Allocate `size_b` bytes of device memory.
    fn alloc(&mut self, size_b: u64) -> Result<Buf>;
    /// Free a buffer from `alloc` (all are freed when the backend drops).
    fn free(&mut self, buf: Buf) -> Result<()>;
    /// Copy host bytes to the start of `dst` after the queued work (returns when done).
    fn upload(&mut self, dst: Buf, src: &[u8]) -> Result<()>;
    /// Copy the start of `src` to host bytes after the queued work (returns when done).
    fn download(&mut self, src: Buf, dst: &mut [u8]) -> Result<()>;
    /// Queue: fill the whole buffer with the 32-bit `value`.
    fn memset_u32(&mut self, dst: Buf, value: u32) -> Result<()>;
    /// Queue: copy `size_b` bytes device to device with the driver's/copy engine's own path.
    fn copy(&mut self, dst: Buf, src: Buf, size_b: u64) -> Result<()>;

    /// Assemble (or take from the cache) and load a kernel of the PTX registry.
    fn load(&mut self, spec: &KernelSpec) -> Result<KernelId>;
    /// Queue one launch.
    fn launch(&mut self, launch: &Launch) -> Result<()>;
    /// Wait until everything queued has finished (with a deadline).
    fn sync(&mut self) -> Result<()>;

    /// Queue a timing mark (an event on cuda; a signal timestamp on nv).
    fn mark(&mut self) -> Result<Mark>;
    /// GPU nanoseconds between two marks (waits for `to`).
    fn elapsed_ns(&mut self, from: Mark, to: Mark) -> Result<f64>;
    /// Forget all marks so their slots are reused.
    fn clear_marks(&mut self);

    /// Prebuild `launches` once so they can be replayed with one call.
    fn build_replay(&mut self, launches: &[Launch]) -> Result<ReplayId>;
    /// Queue one replay of a prebuilt list.
    fn replay(&mut self, id: ReplayId) -> Result<()>;

    /// Whether a replayed grid may be launched before the previous one ends (nv's pdl replay:
    /// when the previous grid's last block starts), so that its blocks land on whichever SMs
    /// free first. The decode plan's defaults depend on it
    /// ([`crate::engine::PlanOptions::tuned_for`]).
    fn replay_launches_early(&self) -> bool {
        false
    }

    /// From now on, replays built record the GPU time at which each of their grids completes
    /// ([`Backend::grid_end_times`]); false where the backend cannot (a CUDA graph's nodes have
    /// no completion time of their own without a profiler).
    fn time_replay_grids(&mut self) -> bool {
        false
    }
    /// For a replay built after [`Backend::time_replay_grids`]: the GPU nanoseconds at which
    /// each of its grids completed in its latest run (call after `sync`); None when it records
    /// none.
    fn grid_end_times(&mut self, _id: ReplayId) -> Result<Option<Vec<u64>>> {
        Ok(None)
    }

    /// From now on, record how long each lone launch's host steps take (nv: building the QMD
    /// and bank 0, writing them to the launch slot, the pushbuffer, the GPFIFO entry and
    /// doorbell); false where the backend does not take its launch apart (cuda).
    fn record_launch_steps(&mut self, _on: bool) -> bool {
        false
    }
    /// The recorded steps since [`Backend::record_launch_steps`]: each step's name, what it
    /// covers and its nanoseconds per launch, in launch order; cleared by the call.
    fn take_launch_steps(&mut self) -> Vec<(&'static str, &'static str, Vec<f64>)> {
        Vec::new()
    }
}

#[cfg(test)]
mod cap_tests {
    use super::{capped_cta_shared_b, CapSizing};

    #[test]
    fn capped_size_lets_the_sm_hold_exactly_the_cap() {
        // The H100's largest carve-out (228 KiB) and nv's default (164 KiB).
        for sm_b in [233_472u64, 164 * 1024] {
            for cap in 1..=8u32 {
                let even = capped_cta_shared_b(7 * 1024, sm_b, cap, CapSizing::Even);
                let least = capped_cta_shared_b(7 * 1024, sm_b, cap, CapSizing::Least);
                for b in [even, least] {
                    assert_eq!(b % 128, 0);
                    assert_eq!(sm_b / b, cap as u64, "sm {sm_b} cap {cap}: {b}");
                }
                // Least leaves the most: one unit less would let cap + 1 blocks in.
                assert!(least <= even);
                assert!(sm_b / (least - 128) > cap as u64, "sm {sm_b} cap {cap}");
            }
        }
        // No cap, or a block already larger than the cap's share: unchanged.
        for how in [CapSizing::Even, CapSizing::Least] {
            assert_eq!(capped_cta_shared_b(7000, 233_472, 0, how), 7000);
            assert_eq!(capped_cta_shared_b(150_000, 233_472, 2, how), 150_000);
        }
    }
}
