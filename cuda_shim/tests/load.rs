//! Loading libcuda: on a machine without the driver every entry point fails with one clear
//! error naming libcuda.so.1; on a machine with it, the context reports a real device.

use cuda_shim::{sys, Context, CudaError};

fn has_libcuda() -> bool {
    sys::open_lib(sys::LIBCUDA).is_ok()
}

#[test]
fn missing_library_is_a_named_error() {
    let e: CudaError = match sys::open_lib("libcuda-does-not-exist.so.1") {
        Ok(_) => panic!("a library that does not exist opened"),
        Err(e) => e,
    };
    assert_eq!(e.call, "dlopen");
    assert_eq!(e.name, "libcuda-does-not-exist.so.1");
    assert!(e.to_string().contains("libcuda-does-not-exist.so.1"));
}

#[test]
fn context_without_driver_names_libcuda() {
    if has_libcuda() {
        let ctx = Context::new(0).expect("libcuda present: context");
        assert!(!ctx.info().name.is_empty());
        assert!(ctx.info().sm_count > 0);
        return;
    }
    let e = match Context::new(0) {
        Ok(_) => panic!("context made without libcuda"),
        Err(e) => e,
    };
    assert_eq!(e.call, "dlopen");
    assert!(e.to_string().contains("libcuda.so.1"), "{e}");
    // The loader keeps its answer: a second try gives the same error, no crash.
    let again = cuda_shim::DeviceBuffer::new(16)
        .err()
        .expect("alloc without driver");
    assert_eq!(again, e);
}

#[test]
fn image_hash_separates_images() {
    let a = cuda_shim::image_hash(b".version 8.0\n.target sm_80\n");
    let b = cuda_shim::image_hash(b".version 8.0\n.target sm_90\n");
    assert_ne!(a, b);
    assert_eq!(a, cuda_shim::image_hash(b".version 8.0\n.target sm_80\n"));
}
