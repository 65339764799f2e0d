//! Every decode kernel (and the engine's advance kernel) releases its own writes before it
//! ends, so decode replays on nv run without the grid-end barrier (`ptx::release`); the empty
//! kernel of latency's replay writes nothing.

use kernlab::engine::decode_kernels::ADVANCE_FILE;
use kernlab::engine::kernels::all_specs;
use kernlab::ptx::release::releases_before_exit;
use kernlab::ptx::KernelSpec;

#[test]
fn decode_kernels_and_the_empty_kernel_release_before_exit() {
    let mut specs = all_specs();
    specs.push(KernelSpec {
        file: &ADVANCE_FILE,
        entry: "decode_advance",
        vars: vec![],
    });
    specs.push(kernlab::ptx::kernel("empty").unwrap());
    for spec in &specs {
        let ptx = spec.ptx().unwrap();
        assert!(
            releases_before_exit(&ptx, spec.entry),
            "{} {}: a ret without fence.acq_rel.gpu before it",
            spec.file.file,
            spec.entry
        );
    }
    assert!(specs.len() > 30, "only {} kernels checked", specs.len());
    // A writer without the fence is caught: the fill kernel (bandwidth) has none.
    let fill = kernlab::ptx::kernel("fill_u32").unwrap();
    assert!(!releases_before_exit(&fill.ptx().unwrap(), "fill_u32"));
}
