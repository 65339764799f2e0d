//! The fused Q8_0 / Q4_K matvecs (the default decode kernels of the Qwen models) and llama's
//! Q6_K matvec_q6_k_n run in scripts/ptxemu's SIMT interpreter on random GGUF blocks against
//! gguf-py's dequantization and float64 dot products (scripts/mvq8/check.py and
//! scripts/mvq6n/check.py: every mode, with and without the fused or folded norm, rows of 768 to
//! 8192 columns, so the staging loops' partial trips run). This is the host's check of a kernel
//! change before the device's selftest; it skips with a note when python3, numpy or gguf is
//! missing (scripts/ci-setup.sh installs them).

mod gguf_util;

use std::path::PathBuf;
use std::process::Command;

#[test]
fn fused_matvecs_match_gguf_py_in_the_ptx_interpreter() {
    if !gguf_util::py::have_gguf_py() {
        eprintln!("note: python3 with numpy and gguf not found; skipping scripts/mvq8/check.py");
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .current_dir(&root)
        .args(["scripts/mvq8/check.py", "7"])
        .output()
        .expect("python3 runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("ALL OK") && !text.contains("FAIL"),
        "scripts/mvq8/check.py:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every shape and mode the script covers printed a line.
    assert!(text.matches(" ok").count() >= 20, "{text}");
}

#[test]
fn q6_k_warp_matvecs_match_gguf_py_in_the_ptx_interpreter() {
    // matvec_q6_k_n, every Q6_K launch of llama1b-q6k's step (scripts/mvq6n/check.py): plain,
    // accumulate and glu modes, the folded norm's consumer scale and producer outputs, rows of
    // 1024 to 8192 columns; and matvec_q6_k_w, plain and accumulate.
    if !gguf_util::py::have_gguf_py() {
        eprintln!("note: python3 with numpy and gguf not found; skipping scripts/mvq6n/check.py");
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    // matvec_q6_k_n (llama), then matvec_q6_k_w (the Q6_K tensors of the Qwen plans).
    for (kernel, cases) in [("n", 14), ("w", 10)] {
        let out = Command::new("python3")
            .current_dir(&root)
            .args(["scripts/mvq6n/check.py", "5", kernel])
            .output()
            .expect("python3 runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("ALL OK") && !text.contains("FAIL"),
            "scripts/mvq6n/check.py {kernel}:\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.matches(" ok").count() >= cases, "{text}");
    }
}
