//! Row-parallel matrix-vector product over std threads.
//!
//! Each call splits the rows of W into `threads` contiguous bands and runs them under
//! `std::thread::scope`. Spawning measured 10–70 µs per call here (tests/cpu_matvec_speed.rs; the
//! high end on a loaded 2-core machine); a 1B model's token makes ~115 matvecs, most streaming
//! 4–64 MB of f32 weights (milliseconds each), so spawning stays a few percent of a token and a
//! persistent pool is not worth its complexity. Products too small to repay a spawn stay on the
//! calling thread.

use super::ops::matvec_rows;

/// Below this many multiply-adds a matvec runs on the calling thread: 2 M f32 MACs take ~100 µs on
/// one core, more than a spawn costs; smaller ones would be slowed by spawning.
pub const PARALLEL_MIN_MACS: usize = 1 << 21;

/// y = W · x with W row-major `[y.len(), x.len()]`, rows split across `threads` workers.
/// The caller guarantees `w.len() == y.len() * x.len()` (checked once at model load).
pub fn matvec(y: &mut [f32], w: &[f32], x: &[f32], threads: usize) {
    let rows = y.len();
    let cols = x.len();
    debug_assert_eq!(w.len(), rows * cols);
    let threads = threads.clamp(1, rows.max(1));
    if threads == 1 || rows * cols < PARALLEL_MIN_MACS {
        matvec_rows(y, w, x);
        return;
    }
    let band = rows.div_ceil(threads);
    std::thread::scope(|s| {
        let mut bands = y.chunks_mut(band).enumerate();
        // The calling thread takes the first band itself: one spawn fewer per call.
        let first = bands.next();
        for (i, yb) in bands {
            let wb = &w[i * band * cols..(i * band + yb.len()) * cols];
            s.spawn(move || matvec_rows(yb, wb, x));
        }
        if let Some((_, yb)) = first {
            matvec_rows(yb, &w[..yb.len() * cols], x);
        }
    });
}
