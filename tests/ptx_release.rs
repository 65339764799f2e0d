//! `ptx::release` on the registry's own kernels: the empty kernel (latency's replay) writes no
//! global memory, so a replay may drop the barrier after it; the fill kernel stores and has no
//! release fence, and neither do the decode kernels (the fence before every `ret` was measured
//! on the H100 and made decode 12-23 % slower on both paths, session 5), so they keep it.

use kernlab::engine::kernels::all_specs;
use kernlab::ptx::release::releases_before_exit;

#[test]
fn only_kernels_without_writes_or_with_the_fence_drop_the_barrier() {
    let empty = kernlab::ptx::kernel("empty").unwrap();
    assert!(releases_before_exit(&empty.ptx().unwrap(), "empty"));
    let fill = kernlab::ptx::kernel("fill_u32").unwrap();
    assert!(!releases_before_exit(&fill.ptx().unwrap(), "fill_u32"));
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
