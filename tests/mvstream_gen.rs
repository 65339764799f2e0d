//! ptx/decode/matvec_q6_k_s.ptx is generated: the committed file must be exactly what
//! scripts/mvstream/gen.py writes (edit the generator, not the PTX). Skips with a note when no
//! python3 is found.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn matvec_q6_k_s_ptx_is_the_generator_output() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = std::env::temp_dir().join(format!("mvstream_gen_{}.ptx", std::process::id()));
    let status = match Command::new("python3")
        .arg(root.join("scripts/mvstream/gen.py"))
        .arg(&out)
        .status()
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("note: python3 not runnable ({e}); skipping the generator check");
            return;
        }
    };
    assert!(status.success(), "scripts/mvstream/gen.py failed: {status}");
    let generated = std::fs::read_to_string(&out).unwrap();
    std::fs::remove_file(&out).ok();
    let committed = std::fs::read_to_string(root.join("ptx/decode/matvec_q6_k_s.ptx")).unwrap();
    assert!(generated.contains(".visible .entry matvec_q6_k_s("));
    assert!(
        generated == committed,
        "ptx/decode/matvec_q6_k_s.ptx differs from scripts/mvstream/gen.py's output: regenerate it \
         (python3 scripts/mvstream/gen.py ptx/decode/matvec_q6_k_s.ptx)"
    );
}
