//! GPU time of repeated operations: warm-up excluded, a spin kernel queued first so the host's
//! enqueueing never shows up as GPU idle time, one mark between consecutive repetitions.

use crate::gpu::{Arg, Backend, KernelId, Launch};
use crate::Result;

/// GPU nanoseconds of each of `reps` runs of `op` after `warmup` untimed runs.
pub fn gpu_times_ns(
    b: &mut dyn Backend,
    spin: KernelId,
    warmup: usize,
    reps: usize,
    op: &mut dyn FnMut(&mut dyn Backend) -> Result<()>,
) -> Result<Vec<f64>> {
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
