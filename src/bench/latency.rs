//! `kernlab latency`: host-measured cost of small GPU operations, each waited for before the
//! next (launch + wait), plus launch-only throughput and prebuilt replays of 100 kernels (empty, and
//! kernels that write).

use super::kernels::{self, Kernels};
use super::table::Table;
use super::timing;
use crate::gpu::{Arg, Backend, GpuInfo, Launch};
use crate::json::Json;
use crate::stats::summarize;
use crate::Result;
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct LatRow {
    pub name: &'static str,
    pub what: &'static str,
    /// Per-operation host nanoseconds (per kernel for the batch rows).
    pub samples_ns: Vec<f64>,
    pub avg_us: f64,
    pub median_us: f64,
    pub p99_us: f64,
}

fn row(name: &'static str, what: &'static str, samples_ns: Vec<f64>) -> LatRow {
    let s = summarize(&samples_ns);
    LatRow {
        name,
        what,
        avg_us: s.mean / 1e3,
        median_us: s.median / 1e3,
        p99_us: s.p99 / 1e3,
        samples_ns,
    }
}

/// Milliseconds of all-SM load before each row (after the process's first warm-up): a row of
/// back-to-back round trips leaves the GPU mostly idle, and on the nv path, which holds no
/// clock request as a CUDA context does, the SM clock then sank towards idle between rows.
const ROW_WARMUP_MS: u64 = 20;

/// Time `op` + wait, `iters` times after a load warm-up and `iters / 10` untimed runs. Returns
/// the round trips and, of each, the host time inside `op` alone (the submission's CPU cost; the
/// rest is the GPU's part and the host seeing it done).
fn each(
    b: &mut dyn Backend,
    iters: usize,
    op: &mut dyn FnMut(&mut dyn Backend) -> Result<()>,
) -> Result<(Vec<f64>, Vec<f64>)> {
    timing::warm_clocks(b)?;
    timing::busy_all_sms(b, ROW_WARMUP_MS)?;
    for _ in 0..iters / 10 {
        op(b)?;
        b.sync()?;
    }
    let mut out = Vec::with_capacity(iters);
    let mut submit = Vec::with_capacity(iters);
    for _ in 0..iters {
        let t = Instant::now();
        op(b)?;
        submit.push(t.elapsed().as_nanos() as f64);
        b.sync()?;
        out.push(t.elapsed().as_nanos() as f64);
    }
    Ok((out, submit))
}

/// Kernels in the replay row.
pub const REPLAY_KERNELS: usize = 100;

pub fn run(b: &mut dyn Backend, iters: usize) -> Result<Vec<LatRow>> {
    let k = Kernels::load(b)?;
    let mut rows = Vec::new();
    let empty = Launch::linear(k.empty, 1, 1, vec![]);
    let (t, submit) = each(b, iters, &mut |b| b.launch(&empty))?;
    rows.push(row("empty", "empty kernel launch + wait", t));
    rows.push(row(
        "empty_submit",
        "of that, the launch call alone (host CPU)",
        submit,
    ));
    // Where the backend times its launch's steps (nv): the launch call taken apart, in a pass
    // of its own (the clock reads would add to the rows above). Its warm-up launches are
    // recorded too; the last `iters` are the timed ones.
    if b.record_launch_steps(true) {
        let pass = each(b, iters, &mut |b| b.launch(&empty));
        b.record_launch_steps(false);
        pass?;
        for (name, what, mut ns) in b.take_launch_steps() {
            let skip = ns.len().saturating_sub(iters);
            ns.drain(..skip);
            rows.push(row(name, what, ns));
        }
    }
    // No kernel: a timing mark (nv: a semaphore release on the channel; cuda: an event record)
    // and the wait. What the round trip costs without the compute engine's part.
    let (t, _) = each(b, iters, &mut |b| {
        b.clear_marks();
        b.mark().map(|_| ())
    })?;
    rows.push(row("signal", "signal only (no kernel) + wait", t));

    let small = b.alloc(4096)?;
    let fill1 = kernels::fill_u32(&k, small, 1, 7);
    let (t, _) = each(b, iters, &mut |b| b.launch(&fill1))?;
    rows.push(row("fill1", "fill of 1 u32 + wait", t));
    let fill16 = kernels::fill_u32(&k, small, 16, 7);
    let (t, _) = each(b, iters, &mut |b| b.launch(&fill16))?;
    rows.push(row("fill16", "fill of 16 u32 + wait", t));

    let mm_a = b.alloc(1024)?;
    let mm_b = b.alloc(1024)?;
    let mm_c = b.alloc(1024)?;
    let mut rng = super::rng::Rng::fresh();
    b.upload(mm_a, bytemuck::cast_slice(&rng.vec_f32_signed(256)))?;
    b.upload(mm_b, bytemuck::cast_slice(&rng.vec_f32_signed(256)))?;
    let mm = kernels::matmul16(&k, mm_c, mm_a, mm_b);
    let (t, _) = each(b, iters, &mut |b| b.launch(&mm))?;
    rows.push(row("matmul16", "16x16x16 f32 matmul + wait", t));

    // Launch-only: `iters` launches back to back, one wait; per-launch host time of each call,
    // and the batch average (wait included) as the last sample's weight is small.
    timing::busy_all_sms(b, ROW_WARMUP_MS)?;
    for _ in 0..iters / 10 {
        b.launch(&empty)?;
    }
    b.sync()?;
    let mut per_call = Vec::with_capacity(iters);
    let start = Instant::now();
    for _ in 0..iters {
        let t = Instant::now();
        b.launch(&empty)?;
        per_call.push(t.elapsed().as_nanos() as f64);
    }
    b.sync()?;
    let batch_ns = start.elapsed().as_nanos() as f64;
    let mut r = row(
        "launch_only",
        "empty launches, one wait at the end (per launch)",
        per_call,
    );
    r.avg_us = batch_ns / iters as f64 / 1e3;
    rows.push(r);

    // Prebuilt replays of 100 kernels: replay + wait, per kernel. Empty kernels, then kernels
    // that write (16 u32 each, one after the other into one buffer): what a replay's grid-end
    // barrier costs, which the empty kernel (no writes) may skip.
    for (name, what, one) in [
        (
            "replay100",
            "prebuilt replay of 100 empty kernels + wait (per kernel)",
            &empty,
        ),
        (
            "replay100_fill",
            "prebuilt replay of 100 fill16 kernels + wait (per kernel)",
            &fill16,
        ),
    ] {
        let id = b.build_replay(&vec![one.clone(); REPLAY_KERNELS])?;
        let (t, _) = each(b, iters, &mut |b| b.replay(id))?;
        let per_kernel: Vec<f64> = t.iter().map(|ns| ns / REPLAY_KERNELS as f64).collect();
        rows.push(row(name, what, per_kernel));
    }

    // The spin kernel keeps the timing helper honest; make sure it is exercised here too.
    b.launch(&Launch::linear(k.spin, 1, 1, vec![Arg::U64(1000)]))?;
    b.sync()?;
    for buf in [small, mm_a, mm_b, mm_c] {
        b.free(buf)?;
    }
    Ok(rows)
}

pub fn render(rows: &[LatRow], iters: usize, backend: &str) -> String {
    let mut t = Table::new(&["operation", "avg µs", "median µs", "p99 µs", "what"]);
    for r in rows {
        t.row(vec![
            r.name.to_string(),
            format!("{:.2}", r.avg_us),
            format!("{:.2}", r.median_us),
            format!("{:.2}", r.p99_us),
            r.what.to_string(),
        ]);
    }
    format!(
        "latency on {backend}: host wall time per operation over {iters} iterations (warm-up \
         excluded); each waited for by polling the queue (no blocking sync); launch_only avg is \
         the batch time / launches, its median/p99 the launch call alone.\n\n{}",
        t.render()
    )
}

pub fn json(rows: &[LatRow], info: &GpuInfo) -> Json {
    Json::Arr(
        rows.iter()
            .map(|r| {
                let mut j = super::report::record(
                    info,
                    r.name,
                    &format!("latency {}", r.name),
                    0,
                    &r.samples_ns,
                );
                j.insert("avg_us", r.avg_us);
                j.insert("p99_us", r.p99_us);
                j.insert("what", r.what);
                j
            })
            .collect(),
    )
}
