//! The kernel registry: every file is embedded, every entry is found in its text, variants
//! substitute every placeholder, and the shared-memory sizes match the PTX's own arithmetic.

use kernlab::ptx::{self, registry};

#[test]
fn every_entry_is_declared_in_its_file() {
    for f in registry::FILES {
        assert!(f.text.contains(".version"), "{} is not PTX", f.file);
        for e in f.entries {
            assert!(
                f.text.contains(&format!(".visible .entry {e}(")),
                "{}: no .entry {e}",
                f.file
            );
        }
    }
}

#[test]
fn default_variants_render_with_no_placeholder_left() {
    let specs = ptx::kernels();
    let entries: usize = registry::FILES.iter().map(|f| f.entries.len()).sum();
    assert_eq!(specs.len(), entries);
    for s in &specs {
        let text = s.ptx().unwrap_or_else(|e| panic!("{}: {e}", s.entry));
        assert!(!text.contains("{{"), "{}: placeholder left", s.entry);
        assert!(text.contains(".target sm_80"), "{}: target", s.entry);
    }
}

#[test]
fn unknown_kernel_is_an_error() {
    let e = ptx::kernel("no_such_kernel").unwrap_err();
    assert!(e.to_string().contains("no_such_kernel"));
}

#[test]
fn tensor_core_variants_substitute_the_ring_size() {
    for c in registry::TC_CONFIGS {
        let spec = registry::tc_variant(c.entry, 3).unwrap();
        let text = spec.ptx().unwrap();
        assert!(text.contains(&format!("setp.ge.u32 %p4, %r30, {};", 3 * c.stage_b())));
        assert!(text.contains("cp.async.wait_group 1;"));
        assert_eq!(spec.dynamic_shared_b(), 3 * c.stage_b());
        // The stage size in the file's own comment matches the registry's formula.
        assert!(
            text.contains(&format!("x {} B", c.stage_b())),
            "{}: stage bytes differ from the PTX comment",
            c.entry
        );
        assert!(registry::tc_variant(c.entry, 1).is_err());
    }
    assert!(registry::tc_variant("copy_v4", 3).is_err());
}

#[test]
fn copy_variants_change_only_the_qualifiers() {
    let plain = registry::copy_variant("plain").unwrap().ptx().unwrap();
    let cs = registry::copy_variant("cs").unwrap().ptx().unwrap();
    assert!(plain.contains("st.global.v4.u32") && !plain.contains("st.global.cs"));
    assert!(cs.contains("st.global.cs.v4.u32"));
    assert_eq!(plain.lines().count(), cs.lines().count());
    let pf = registry::copy_variant("l2pf").unwrap().ptx().unwrap();
    assert!(pf.contains("ld.global.nc.L2::256B.v4.u32"));
    assert!(registry::copy_variant("fast").is_err());
    assert_eq!(
        registry::copy_variant("plain").unwrap().ptx().unwrap(),
        ptx::kernel("copy_v4").unwrap().ptx().unwrap()
    );
}

#[test]
fn read_kernel_block_size_follows_warps() {
    let spec = ptx::kernel("read_sum_f32").unwrap();
    let text = spec.ptx().unwrap();
    let warps = registry::READ_WARPS;
    assert!(text.contains(&format!(".f32 warp_sums[{warps}];")));
    assert!(text.contains(&format!("setp.lt.u32 %p5, %r9, {warps};")));
}

#[test]
fn ptxas_log_parses_per_kernel() {
    let log = "ptxas info    : 0 bytes gmem\n\
ptxas info    : Compiling entry function 'read_sum_f32' for 'sm_87'\n\
ptxas info    : Function properties for read_sum_f32\n\
    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads\n\
ptxas info    : Used 36 registers, used 1 barriers, 32 bytes smem, 376 bytes cmem[0]\n\
ptxas info    : Function properties for spilly\n\
    8 bytes stack frame, 12 bytes spill stores, 8 bytes spill loads\n\
ptxas info    : Used 128 registers, used 1 barriers, 8 bytes cumulative stack size\n";
    let u = ptx::parse_ptxas_log(log);
    assert_eq!(u.len(), 2);
    assert_eq!(u[0].kernel, "read_sum_f32");
    assert_eq!(u[0].registers, 36);
    assert_eq!(u[0].shared_b, 32);
    assert_eq!(u[0].cmem, vec![(0, 376)]);
    assert!(!u[0].spills());
    assert_eq!(u[1].registers, 128);
    assert_eq!(
        (u[1].stack_frame_b, u[1].spill_stores_b, u[1].spill_loads_b),
        (8, 12, 8)
    );
    assert!(u[1].spills());
}

#[test]
fn cache_key_depends_on_text_arch_and_tool() {
    use kernlab::ptx::cache::key;
    let k = key("ptx", "sm_90", "13.0");
    assert_ne!(k, key("ptx2", "sm_90", "13.0"));
    assert_ne!(k, key("ptx", "sm_87", "13.0"));
    assert_ne!(k, key("ptx", "sm_90", "13.5"));
    assert_ne!(key("ab", "c", "d"), key("a", "bc", "d"));
    assert_eq!(k, key("ptx", "sm_90", "13.0"));
}

#[test]
fn arch_names_are_checked() {
    use kernlab::ptx::toolchain::check_arch;
    assert!(check_arch("sm_87").is_ok());
    assert!(check_arch("sm_90a").is_ok());
    assert!(check_arch("90").is_err());
    assert!(check_arch("sm_").is_err());
    assert!(check_arch("sm_9 0").is_err());
}
