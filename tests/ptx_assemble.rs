//! Every kernel assembles with ptxas for Orin (sm_87) and the H100 (sm_90) without a spill.
//! Skips with a note when no ptxas is found (CI installs it: scripts/ci-setup.sh).

use kernlab::ptx::{self, toolchain};

fn assemble_all(arch: &str) {
    let Some(path) = toolchain::find_ptxas() else {
        eprintln!(
            "note: ptxas not found (python3 -m pip install nvidia-cuda-nvcc); skipping {arch}"
        );
        return;
    };
    // A private cache folder, so this test really runs the assembler.
    let dir =
        std::env::temp_dir().join(format!("kernlab-test-cubin-{}-{arch}", std::process::id()));
    for spec in ptx::kernels() {
        let text = spec.ptx_for(arch).unwrap();
        let (cubin, log) = toolchain::ptxas(&path, &text, arch, spec.entry)
            .unwrap_or_else(|e| panic!("{} for {arch}: {e}", spec.entry));
        assert!(
            cubin.starts_with(b"\x7fELF"),
            "{}: not an ELF cubin",
            spec.entry
        );
        let usage = ptx::parse_ptxas_log(&log);
        let u = usage
            .iter()
            .find(|u| u.kernel == spec.entry)
            .unwrap_or_else(|| panic!("{} for {arch}: no resource line in\n{log}", spec.entry));
        assert!(u.registers > 0, "{}: no register count", spec.entry);
        assert!(
            !u.spills(),
            "{} for {arch} spills: {} B stores, {} B loads",
            spec.entry,
            u.spill_stores_b,
            u.spill_loads_b
        );
        assert_eq!(u.stack_frame_b, 0, "{} for {arch}: stack frame", spec.entry);
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn every_kernel_assembles_for_sm_87_without_spills() {
    assemble_all("sm_87");
}

#[test]
fn every_kernel_assembles_for_sm_90_without_spills() {
    assemble_all("sm_90");
}

#[test]
fn assembly_errors_name_the_kernel() {
    let Some(path) = toolchain::find_ptxas() else {
        eprintln!("note: ptxas not found; skipping");
        return;
    };
    let bad = ".version 7.0\n.target sm_80\n.address_size 64\n.visible .entry broken()\n{\n    frobnicate;\n}\n";
    let e = toolchain::ptxas(&path, bad, "sm_90", "broken").unwrap_err();
    let text = e.to_string();
    assert!(text.contains("broken") && text.contains("sm_90"), "{text}");
}

#[test]
fn the_disk_cache_returns_the_same_cubin() {
    if toolchain::find_ptxas().is_none() {
        eprintln!("note: ptxas not found; skipping");
        return;
    }
    let dir = std::env::temp_dir().join(format!("kernlab-test-cache-{}", std::process::id()));
    // Only this test sets the variable; the others call toolchain::ptxas directly.
    std::env::set_var("KERNLAB_CACHE_DIR", &dir);
    let spec = ptx::kernel("fill_u32").unwrap();
    let first = ptx::assemble(&spec, "sm_87", None).unwrap();
    let second = ptx::assemble(&spec, "sm_87", None).unwrap();
    assert!(!first.cached);
    assert!(second.cached);
    assert_eq!(first.cubin, second.cubin);
    assert_eq!(first.log, second.log);
    let other_arch = ptx::assemble(&spec, "sm_90", None).unwrap();
    assert!(!other_arch.cached);
    assert_ne!(other_arch.cubin, first.cubin);
    let _ = std::fs::remove_dir_all(&dir);
}
