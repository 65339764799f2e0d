//! GPU time of repeated operations: warm-up excluded, a spin kernel queued first so the host's
//! enqueueing never shows up as GPU idle time, one mark between consecutive repetitions.

use crate::gpu::{Arg, Backend, KernelId, Launch};
use crate::Result;
use std::sync::atomic::{AtomicBool, Ordering};

static CLOCKS_WARMED: AtomicBool = AtomicBool::new(false);

/// Once per process, keep every SM busy for `KERNLAB_WARMUP_MS` (default 200 ms) before the first
/// timed region, so the GPU's own power management has raised its clocks from idle. A CUDA
/// context asks the driver for full clocks when it is created; the nv path asks for nothing
/// (and changes no clock setting), so without load its first measurements ran at idle SM clocks
/// (docs/nvb.md). Untimed; nothing is changed on the card.
pub fn warm_clocks(b: &mut dyn Backend) -> Result<()> {
    if CLOCKS_WARMED.swap(true, Ordering::SeqCst) {
        return Ok(());
    }
    busy_all_sms(b, env_ms("KERNLAB_WARMUP_MS", 200))
}

/// Milliseconds from environment variable `var` (a warm-up length), `default` when unset or
/// not a number.
pub fn env_ms(var: &str, default: u64) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Keep every SM busy for `ms` milliseconds (a spin kernel, 4 blocks an SM) and wait: load, the
/// one thing that holds the clocks up without changing a setting. 0 does nothing.
pub fn busy_all_sms(b: &mut dyn Backend, ms: u64) -> Result<()> {
    if ms == 0 {
        return Ok(());
    }
    let spin = b.load(&crate::ptx::kernel("spin_ns")?)?;
    let blocks = b.info().sm_count.max(1) * 4;
    b.launch(&Launch::linear(
        spin,
        blocks,
        128,
        vec![Arg::U64(ms * 1_000_000)],
    ))?;
    b.sync()
}

/// GPU nanoseconds of each of `reps` runs of `op` after `warmup` untimed runs.
pub fn gpu_times_ns(
    b: &mut dyn Backend,
    spin: KernelId,
    warmup: usize,
    reps: usize,
    op: &mut dyn FnMut(&mut dyn Backend) -> Result<()>,
) -> Result<Vec<f64>> {
    warm_clocks(b)?;
    for _ in 0..warmup {
        op(b)?;
    }
    b.sync()?;
    // About 10 us of host time per queued op; never less than 1 ms, never more than 20 ms.
    let spin_ns = (reps as u64 * 10_000).clamp(1_000_000, 20_000_000);
    b.launch(&Launch::linear(spin, 1, 1, vec![Arg::U64(spin_ns)]))?;
    b.clear_marks();
    let mut marks = Vec::with_capacity(reps + 1);
    marks.push(b.mark()?);
    for _ in 0..reps {
        op(b)?;
        marks.push(b.mark()?);
    }
    b.sync()?;
    let mut out = Vec::with_capacity(reps);
    for w in marks.windows(2) {
        out.push(b.elapsed_ns(w[0], w[1])?);
    }
    Ok(out)
}
