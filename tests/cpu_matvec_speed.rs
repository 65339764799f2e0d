//! Matvec throughput and the cost of spawning scoped threads per call (the numbers behind the
//! "scope per call, no pool" choice in src/cpu/matvec.rs). Asserts the threaded result equals the
//! serial one; prints timings (run with --nocapture).

use kernlab::cpu::matvec::matvec;
use kernlab::cpu::ops::matvec_rows;
use std::time::Instant;

fn time_ns(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let t = Instant::now();
    for _ in 0..reps {
        f();
    }
    t.elapsed().as_nanos() as f64 / reps as f64
}

#[test]
fn matvec_speed_and_spawn_cost() {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    // A 1B-model FFN matrix: 8192 x 2048 f32 = 64 MiB.
    let (rows, cols) = (8192, 2048);
    let w: Vec<f32> = (0..rows * cols)
        .map(|i| (i % 97) as f32 * 0.01 - 0.48)
        .collect();
    let x: Vec<f32> = (0..cols).map(|i| (i % 7) as f32 - 3.0).collect();
    let mut y1 = vec![0.0f32; rows];
    let mut yn = vec![0.0f32; rows];
    let serial_ns = time_ns(3, || matvec_rows(&mut y1, &w, &x));
    let par_ns = time_ns(3, || matvec(&mut yn, &w, &x, threads));
    assert_eq!(y1, yn);
    let gb = (rows * cols * 4) as f64;
    println!(
        "matvec {rows}x{cols} f32: 1 thread {:.2} ms ({:.1} GB/s), {threads} threads {:.2} ms ({:.1} GB/s)",
        serial_ns / 1e6,
        gb / serial_ns,
        par_ns / 1e6,
        gb / par_ns
    );
    // Spawn cost: a product at the parallel threshold, threaded vs serial.
    let (r2, c2) = (2048, 1024);
    let w2 = vec![0.5f32; r2 * c2];
    let x2 = vec![1.0f32; c2];
    let mut y2 = vec![0.0f32; r2];
    let small_serial = time_ns(200, || matvec_rows(&mut y2, &w2, &x2));
    let small_par = time_ns(200, || matvec(&mut y2, &w2, &x2, threads));
    assert!(y2.iter().all(|&v| v == 512.0));
    println!(
        "matvec {r2}x{c2}: serial {:.1} us, {threads} threads {:.1} us (spawn overhead bound {:.1} us/call)",
        small_serial / 1e3,
        small_par / 1e3,
        (small_par - small_serial / threads as f64).max(0.0) / 1e3
    );
}
