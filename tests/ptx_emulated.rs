//! The fused Q8_0 / Q4_K matvecs (the default decode kernels of the Qwen models) and llama's
//! Q6_K matvec_q6_k_n (and its variants) run in scripts/ptxemu's SIMT interpreter on random
//! GGUF blocks against gguf-py's dequantization and float64 dot products (scripts/mvq8/check.py
//! and scripts/mvq6n/check.py: every mode, with and without the fused or folded norm, rows of
//! 768 to 8192 columns, so the staging loops' partial trips run). This is the host's check of a
//! kernel change before the device's selftest; it skips with a note when python3, numpy or gguf
//! is missing (scripts/ci-setup.sh installs them).

mod gguf_util;

use std::path::PathBuf;
use std::process::Command;

/// Run an interpreter check script (`args`: the script and its arguments) from the repo root:
/// it must exit 0, print ALL OK and no FAIL, and print at least `cases` ok lines (every shape
/// and mode it covers). False (with a note) when python3, numpy or gguf is missing here.
fn interpreter_check(args: &[&str], cases: usize) -> bool {
    if !gguf_util::py::have_gguf_py() {
        eprintln!(
            "note: python3 with numpy and gguf not found; skipping {}",
            args[0]
        );
        return false;
    }
    let out = Command::new("python3")
        .current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .args(args)
        .output()
        .expect("python3 runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("ALL OK") && !text.contains("FAIL"),
        "{args:?}:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.matches(" ok").count() >= cases, "{args:?}:\n{text}");
    true
}

#[test]
fn fused_matvecs_match_gguf_py_in_the_ptx_interpreter() {
    interpreter_check(&["scripts/mvq8/check.py", "7", "q8_0_f,q4_k_f"], 40);
}

#[test]
fn fused_q4_k_xsum_matvec_matches_gguf_py_in_the_ptx_interpreter() {
    // matvec_q4_k_x (`decode --q4k-xsum true`): the same 20 cases as matvec_q4_k_f.
    interpreter_check(&["scripts/mvq8/check.py", "7", "q4_k_x"], 20);
}

#[test]
fn fused_q4_k_dp4a_matvec_matches_its_int8_x_model_in_the_ptx_interpreter() {
    // matvec_q4_k_d / _d16 against gguf-py's dequantization with x rounded to int8 / int16 as
    // the kernel does (scripts/mvq8/quantize_x.py), and against f32 x within the rounding bound.
    interpreter_check(&["scripts/mvq8/check.py", "7", "q4_k_d,q4_k_d16"], 40);
}

#[test]
fn q6_k_warp_matvecs_match_gguf_py_in_the_ptx_interpreter() {
    // matvec_q6_k_n, every Q6_K launch of llama1b-q6k's step (scripts/mvq6n/check.py): plain,
    // accumulate and glu modes, the folded norm's consumer scale and producer outputs, rows of
    // 1024 to 8192 columns; then matvec_q6_k_w (the Q6_K tensors of the Qwen plans), plain and
    // accumulate.
    if interpreter_check(&["scripts/mvq6n/check.py", "5", "n"], 14) {
        interpreter_check(&["scripts/mvq6n/check.py", "5", "w"], 10);
    }
}

#[test]
fn q6_k_warp_matvec_variants_match_gguf_py_in_the_ptx_interpreter() {
    // matvec_q6_k_n's 14 cases (every mode, the folded norm's parts, 1024 to 8192 columns, so
    // 1 to 8 chunks a row) on each kernel of its parameters and grid:
    // - nx (`decode --q6k-xsum true`): another dequantization;
    // - na, nxa (`--q6k-pipeline async`): the 3-stage cp.async ring through its start, wrap and
    //   end; the interpreter lands a cp.async only at the wait_group that covers it, so a wrong
    //   wait count reads a stage before its copy arrives;
    // - np, nxp (`--q6k-pipeline l2`): the interpreter checks every prefetched address lies in
    //   a mapped buffer (the weights).
    for (seed, variant) in [
        ("5", "nx"),
        ("6", "na"),
        ("6", "nxa"),
        ("7", "np"),
        ("7", "nxp"),
    ] {
        if !interpreter_check(&["scripts/mvq6n/check.py", seed, variant], 14) {
            return;
        }
    }
}

#[test]
fn paired_q4_k_q6_k_matvec_matches_gguf_py_in_the_ptx_interpreter() {
    // matvec_q4k_q6k_f (scripts/ptxgen/pair.py of matvec_q4_k_f and matvec_q6_k_f): both parts'
    // outputs against float64 dots, with and without the norm, odd row counts, part A on a
    // capped grid, and the poisoned floats past each part's rows left alone
    // (scripts/pair/check.py).
    interpreter_check(&["scripts/pair/check.py", "3"], 4);
}

#[test]
fn paired_q4_k_xsum_q6_k_matvec_matches_gguf_py_in_the_ptx_interpreter() {
    // matvec_q4kx_q6k_f: the same checks with matvec_q4_k_x as part A.
    interpreter_check(&["scripts/pair/check.py", "3", "matvec_q4kx_q6k_f"], 4);
}

#[test]
fn paired_q4_k_dp4a_q6_k_matvec_matches_gguf_py_in_the_ptx_interpreter() {
    // matvec_q4kd_q6k_f: part A (matvec_q4_k_d) against its int8-x model.
    interpreter_check(&["scripts/pair/check.py", "3", "matvec_q4kd_q6k_f"], 4);
    interpreter_check(&["scripts/pair/check.py", "3", "matvec_q4kd16_q6k_f"], 4);
}
