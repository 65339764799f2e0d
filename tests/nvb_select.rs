//! `--backend auto`: nv first, then cuda, and a one-line note or error naming what was chosen
//! and why the others were passed over (openers faked: no GPU here).

use hcq::MockGpu;
use kernlab::gpu::nv::{NvBackend, NvOptions};
use kernlab::gpu::select::{open_with, BackendKind};
use kernlab::gpu::Backend;
use kernlab::{Error, Result};

fn nv_mock() -> Result<Box<dyn Backend>> {
    let b = NvBackend::with_iface(Box::new(MockGpu::new(0x900)), NvOptions::default())?;
    Ok(Box::new(b))
}

fn nv_missing() -> Result<Box<dyn Backend>> {
    // As the real interface reports it: an hcq error, shown as "nv: …".
    Err(Error::Hcq(hcq::HcqError::Unsupported(
        "/dev/nvidiactl does not exist".into(),
    )))
}

fn cuda_missing() -> Result<Box<dyn Backend>> {
    Err(Error::Unsupported("cuda: libcuda.so.1 not found".into()))
}

fn never() -> Result<Box<dyn Backend>> {
    panic!("auto must not open cuda when nv opened")
}

#[test]
fn auto_prefers_nv_and_says_so() {
    let o = open_with(BackendKind::Auto, nv_mock, never).unwrap();
    assert_eq!(o.backend.info().backend, "nv");
    assert!(o.note.starts_with("backend nv: mock sm_90"), "{}", o.note);
    assert!(o.note.contains("auto: nv is preferred"), "{}", o.note);
    assert!(!o.note.contains('\n'));
}

#[test]
fn auto_falls_back_to_cuda_naming_why_nv_was_passed_over() {
    // A second nv mock plays "cuda" here: what matters is the order and the note.
    let o = open_with(BackendKind::Auto, nv_missing, nv_mock).unwrap();
    assert!(o.note.contains("(auto: nv unavailable: nv: "), "{}", o.note);
    assert!(
        o.note.ends_with("/dev/nvidiactl does not exist)"),
        "{}",
        o.note
    );
}

#[test]
fn auto_with_nothing_is_one_line_naming_all_three() {
    let e = open_with(BackendKind::Auto, nv_missing, cuda_missing)
        .err()
        .unwrap()
        .to_string();
    assert!(!e.contains('\n'), "{e}");
    for part in [
        "backend auto found no GPU backend",
        "found no GPU backend: nv: ",
        "/dev/nvidiactl does not exist; cuda: ",
        "libcuda.so.1 not found",
        "cpu: backend cpu runs no GPU kernels",
    ] {
        assert!(e.contains(part), "missing '{part}' in: {e}");
    }
    // The backend's name is not repeated when the error already starts with it.
    assert!(!e.contains("nv: nv:"), "{e}");
}

#[test]
fn explicit_backends_do_not_fall_back() {
    let e = open_with(BackendKind::Nv, nv_missing, nv_mock)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("/dev/nvidiactl"), "{e}");
    let e = open_with(BackendKind::Cpu, nv_mock, nv_mock)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("use --backend nv or cuda"), "{e}");
}
