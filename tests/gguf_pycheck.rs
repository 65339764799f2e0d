//! Files from kernlab's writer, read by gguf-py (scripts/gguf_dump.py): every key, value, type,
//! tensor name, type, shape and offset must match the Rust reader's view exactly.

mod gguf_util;

use gguf_util::py::{assert_same_view, gguf_py_dump, rust_view};
use gguf_util::*;
use kernlab::gguf::GgufFile;

fn check_writer_file(alignment: Option<u64>, name: &str) {
    let p = tmp_path(name);
    full_writer(alignment).write(&p).unwrap();
    let Some(py) = gguf_py_dump(&repo_root(), &p, None) else {
        return;
    };
    let f = GgufFile::open(&p).unwrap();
    let rust = rust_view(&f, None);
    assert_same_view(&rust, &py);
    // the comparison is not vacuous: every value type and 13 tensors went through it
    assert_eq!(
        py.get("tensors").unwrap().as_arr().unwrap().len(),
        test_tensors().len()
    );
    assert!(py.get("metadata").unwrap().as_arr().unwrap().len() >= all_value_types().len());
}

#[test]
fn gguf_py_reads_writer_files_default_alignment() {
    check_writer_file(None, "py32.gguf");
}

#[test]
fn gguf_py_reads_writer_files_alignment_64() {
    check_writer_file(Some(64), "py64.gguf");
}
