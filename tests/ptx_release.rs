//! `ptx::release` on the registry's own kernels: the empty kernel (latency's replay) writes no
//! global memory, so a replay may drop the barrier after it; the fill kernel stores and has no
//! release fence in its source, and neither do the decode kernels, so they keep it unless the nv
//! backend adds the fence (`fence_exits`, KERNLAB_NV_EXIT_FENCE=release): then every one of them
//! counts as releasing and still assembles for sm_90.

use kernlab::engine::kernels::all_specs;
use kernlab::ptx::release::{fence_exits, global_writes, releases_before_exit, GlobalWrites};

#[test]
fn only_kernels_without_writes_or_with_the_fence_drop_the_barrier() {
    let empty = kernlab::ptx::kernel("empty").unwrap();
    assert!(releases_before_exit(&empty.ptx().unwrap(), "empty"));
    // No writes at all: a lone launch of it may drop the barrier too.
    assert_eq!(
        global_writes(&empty.ptx().unwrap(), "empty"),
        GlobalWrites::None
    );
    let fill = kernlab::ptx::kernel("fill_u32").unwrap();
    assert!(!releases_before_exit(&fill.ptx().unwrap(), "fill_u32"));
    let fenced = fence_exits(&fill.ptx().unwrap(), "sm_90");
    assert_eq!(global_writes(&fenced, "fill_u32"), GlobalWrites::Released);
    let specs = all_specs();
    assert!(specs.len() > 30);
    // Every decode kernel writes global memory and ends without the fence: its replays keep
    // the barrier (add the fence to a kernel, and this test, only with a measurement).
    for spec in &specs {
        assert!(
            !releases_before_exit(&spec.ptx().unwrap(), spec.entry),
            "{} {} now counts as releasing its writes",
            spec.file.file,
            spec.entry
        );
    }
}

#[test]
fn every_kernel_with_the_exit_fence_releases_and_assembles_for_sm_90() {
    let mut specs = all_specs();
    specs.push(kernlab::ptx::kernel("fill_u32").unwrap());
    specs.push(kernlab::ptx::kernel("bump_u32").unwrap());
    let ptxas = kernlab::ptx::toolchain::find_ptxas();
    if ptxas.is_none() {
        eprintln!("note: no ptxas, the fenced kernels are checked as text only");
    }
    for spec in &specs {
        let text = fence_exits(&spec.ptx_for("sm_90").unwrap(), "sm_90");
        assert!(
            releases_before_exit(&text, spec.entry),
            "{} {}",
            spec.file.file,
            spec.entry
        );
        if let Some(p) = &ptxas {
            kernlab::ptx::toolchain::ptxas(p, &text, "sm_90", spec.entry)
                .unwrap_or_else(|e| panic!("{} {}: {e}", spec.file.file, spec.entry));
        }
    }
}
