//! Writer → reader round trip: every value type, tensors of several types, alignments, and the
//! streaming fill path.

mod gguf_util;

use gguf_util::*;
use kernlab::gguf::{GgufFile, GgufWriter, Value};
use kernlab::GgmlType;

fn check_full(f: &GgufFile, alignment: u64) {
    assert_eq!(f.version, 3);
    assert_eq!(f.alignment, alignment);
    assert_eq!(f.data_offset % alignment, 0);
    let expect = all_value_types();
    for (k, v) in &expect {
        assert_eq!(f.get(k), Some(v), "key {k}");
    }
    // insertion order kept; general.alignment (if written) comes last
    let keys: Vec<&str> = f.metadata.iter().map(|(k, _)| k.as_str()).collect();
    let want: Vec<&str> = expect.iter().map(|(k, _)| *k).collect();
    assert_eq!(&keys[..want.len()], &want[..]);
    assert_eq!(f.architecture(), Some("llama"));
    assert_eq!(f.get_u64("llama.block_count"), Some(2));
    assert_eq!(f.get_u64("test.i8"), None, "negative is not a u64");
    assert_eq!(f.get_f32("llama.rope.freq_base"), Some(500000.0));
    assert_eq!(f.get_str_array("tokenizer.ggml.tokens").unwrap()[5], "日本");
    assert_eq!(
        f.get_f32_array("tokenizer.ggml.scores"),
        Some(vec![0.0, -1.25, 3.5])
    );
    assert_eq!(
        f.get_i32_array("tokenizer.ggml.token_type"),
        Some(vec![3, 1, 6])
    );
    assert_eq!(f.get_i32_array("tokenizer.ggml.tokens"), None);
    let tt = test_tensors();
    assert_eq!(f.tensors.len(), tt.len());
    let mut total = 0;
    for (i, (name, dims, ty)) in tt.iter().enumerate() {
        let t = f.tensor(name).unwrap();
        assert_eq!(&t.dims, dims);
        assert_eq!(t.ty, *ty);
        assert_eq!(t.offset % alignment, 0);
        let n: u64 = dims.iter().product();
        assert_eq!(t.n_elems(), n);
        assert_eq!(t.n_rows(), n / dims[0]);
        assert_eq!(t.row_bytes() * t.n_rows(), t.size_b);
        assert_eq!(f.tensor_data(t), &pattern(t.size_b as usize, i as u8)[..]);
        total += t.size_b;
    }
    assert_eq!(f.data_bytes(), total);
}

#[test]
fn round_trip_default_alignment() {
    let p = tmp_path("rt32.gguf");
    full_writer(None).write(&p).unwrap();
    let f = GgufFile::open(&p).unwrap();
    check_full(&f, 32);
    assert!(
        f.get("general.alignment").is_none(),
        "not written unless set"
    );
    // from_bytes gives the same view
    let g = GgufFile::from_bytes(std::fs::read(&p).unwrap(), "mem").unwrap();
    assert_eq!(g.metadata, f.metadata);
    assert_eq!(g.tensors, f.tensors);
}

#[test]
fn round_trip_custom_alignments() {
    for a in [1u64, 8, 64, 256, 4096] {
        let p = tmp_path(&format!("rt{a}.gguf"));
        full_writer(Some(a)).write(&p).unwrap();
        let f = GgufFile::open(&p).unwrap();
        check_full(&f, a);
        assert_eq!(f.get_u64("general.alignment"), Some(a));
        assert_eq!(f.metadata.last().unwrap().0, "general.alignment");
    }
}

#[test]
fn write_with_streams_filled_tensors_and_checks_sizes() {
    let mut w = GgufWriter::new();
    w.add("general.architecture", Value::Str("qwen3".into()));
    w.add_tensor_info("a", &[256, 4], GgmlType::Q6_K).unwrap();
    w.add_tensor("b", &[3], GgmlType::F32, vec![1; 12]).unwrap();
    w.add_tensor_info("c", &[32, 2], GgmlType::Q8_0).unwrap();
    let p = tmp_path("fill.gguf");
    let mut calls = vec![];
    w.write_with(&p, &mut |i, t| {
        calls.push(i);
        Ok(vec![i as u8 + 10; t.size_b as usize])
    })
    .unwrap();
    assert_eq!(calls, vec![0, 2]);
    let f = GgufFile::open(&p).unwrap();
    assert_eq!(f.tensor_data(f.tensor("a").unwrap()), &vec![10u8; 840][..]);
    assert_eq!(f.tensor_data(f.tensor("b").unwrap()), &[1u8; 12][..]);
    assert_eq!(f.tensor_data(f.tensor("c").unwrap()), &vec![12u8; 68][..]);
    // a fill of the wrong size is an error, not a bad file
    let err = w
        .write_with(&p, &mut |_, t| Ok(vec![0; t.size_b as usize + 1]))
        .unwrap_err();
    assert!(err.to_string().contains("fill gave"), "{err}");
    // write() without data for an info is an error
    assert!(w.write(&p).is_err());
}

#[test]
fn writer_rejects_bad_input() {
    let mut w = GgufWriter::new();
    assert!(w.add_tensor_info("x", &[33], GgmlType::Q8_0).is_err());
    assert!(w.add_tensor_info("x", &[], GgmlType::F32).is_err());
    assert!(w
        .add_tensor_info("x", &[1, 1, 1, 1, 1], GgmlType::F32)
        .is_err());
    assert!(w.add_tensor_info("x", &[0], GgmlType::F32).is_err());
    assert!(w
        .add_tensor_info("x", &[u64::MAX, 2], GgmlType::F32)
        .is_err());
    assert!(w.add_tensor("x", &[4], GgmlType::F32, vec![0; 15]).is_err());
    assert!(
        w.add_tensor_info(&"n".repeat(64), &[4], GgmlType::F32)
            .is_err(),
        "GGML_MAX_NAME"
    );
    assert!(w.add_tensor_info("", &[4], GgmlType::F32).is_err());
    w.add_tensor_info("x", &[4], GgmlType::F32).unwrap();
    assert!(
        w.add_tensor_info("x", &[4], GgmlType::F32).is_err(),
        "duplicate"
    );
    let p = tmp_path("bad.gguf");
    let mut m = GgufWriter::new();
    m.add("mixed", Value::Arr(vec![Value::U8(1), Value::I8(1)]));
    assert!(m.write(&p).unwrap_err().to_string().contains("mixes"));
    let mut a = GgufWriter::new();
    a.set_alignment(24);
    assert!(a.write(&p).is_err());
    // re-adding a key replaces it in place
    let mut r = GgufWriter::new();
    r.add("k1", Value::U8(1));
    r.add("k2", Value::U8(2));
    r.add("k1", Value::U8(3));
    r.write(&p).unwrap();
    let f = GgufFile::open(&p).unwrap();
    assert_eq!(
        f.metadata,
        vec![("k1".into(), Value::U8(3)), ("k2".into(), Value::U8(2))]
    );
    assert_eq!(f.data_bytes(), 0);
}
