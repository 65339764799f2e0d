//! The fused Q8_0 / Q4_K matvecs (the default decode kernels of the Qwen models) run in
//! scripts/ptxemu's SIMT interpreter on random GGUF blocks against gguf-py's dequantization and
//! float64 dot products (scripts/mvq8/check.py: every mode, with and without the fused norm,
//! rows of 768 to 5120 columns, so the staging loop's partial trips run). This is the host's
//! check of a kernel change before the device's selftest; it skips with a note when python3,
//! numpy or gguf is missing (scripts/ci-setup.sh installs them).

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
