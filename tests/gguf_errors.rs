//! One hand-built bad file per error kind: each must give `Error::Gguf` naming the field and
//! the byte offset where the problem is (never a panic, never another error kind).

mod gguf_util;

use gguf_util::Bytes;
use kernlab::gguf::GgufFile;
use kernlab::Error;

/// (field, offset, msg) of the error the bytes give.
fn err_of(b: &Bytes) -> (String, u64, String) {
    match GgufFile::from_bytes(b.0.clone(), "bad.gguf") {
        Ok(_) => panic!("expected an error"),
        Err(Error::Gguf {
            file,
            field,
            offset,
            msg,
        }) => {
            assert_eq!(file, "bad.gguf");
            (field, offset, msg)
        }
        Err(e) => panic!("expected Error::Gguf, got {e}"),
    }
}

fn expect(b: &Bytes, field: &str, offset: u64, msg_part: &str) {
    let (f, o, m) = err_of(b);
    assert!(
        f.contains(field),
        "field {f:?} should contain {field:?} ({m})"
    );
    assert_eq!(o, offset, "offset ({f}: {m})");
    assert!(
        m.contains(msg_part),
        "msg {m:?} should contain {msg_part:?}"
    );
}

/// One u32 kv and one tensor info (no data yet). Returns (bytes, position of the tensor info).
fn one_tensor(dims: &[u64], ty: u32, offset: u64) -> (Bytes, u64) {
    let mut b = Bytes::new();
    b.header(1, 1).kv_u32("general.x", 1);
    let at = b.pos();
    b.tensor("t", dims, ty, offset);
    (b, at)
}

/// Offset of the n_dims field of a tensor info starting at `at` with a 1-byte name.
fn n_dims_at(at: u64) -> u64 {
    at + 8 + 1
}

#[test]
fn valid_base_file_parses() {
    let (mut b, _) = one_tensor(&[4], 0, 0);
    b.pad(32).zeros(16);
    let f = GgufFile::from_bytes(b.0.clone(), "ok.gguf").unwrap();
    assert_eq!(f.tensors[0].size_b, 16);
    assert_eq!(f.data_offset, (b.pos() - 16));
}

#[test]
fn bad_magic() {
    let mut b = Bytes::new();
    b.raw(b"GGUG").u32(3).u64(0).u64(0);
    expect(&b, "header.magic", 0, "not a GGUF file");
}

#[test]
fn bad_version() {
    let mut b = Bytes::new();
    b.raw(b"GGUF").u32(7).u64(0).u64(0);
    expect(&b, "header.version", 4, "unknown GGUF version 7");
}

#[test]
fn version_1_rejected() {
    let mut b = Bytes::new();
    b.raw(b"GGUF").u32(1).u64(0).u64(0);
    expect(&b, "header.version", 4, "v1 is not supported");
}

#[test]
fn big_endian_rejected() {
    let mut b = Bytes::new();
    b.raw(b"GGUF")
        .raw(&3u32.to_be_bytes())
        .raw(&0u64.to_be_bytes())
        .raw(&0u64.to_be_bytes());
    expect(&b, "header.version", 4, "big-endian");
}

#[test]
fn truncated_header_everywhere() {
    let (mut b, _) = one_tensor(&[4], 0, 0);
    b.pad(32).zeros(16);
    let full = b.0.clone();
    // every cut inside the header and infos is a clean truncation error at or before the cut
    let header_end = full.len() - 16;
    for cut in 0..header_end {
        let (f, o, m) = err_of(&Bytes(full[..cut].to_vec()));
        assert!(
            o as usize <= cut,
            "cut {cut}: offset {o} past the cut ({f}: {m})"
        );
    }
    expect(
        &Bytes(full[..10].to_vec()),
        "header.tensor_count",
        8,
        "truncated",
    );
    expect(&Bytes(full[..2].to_vec()), "header.magic", 0, "truncated");
    expect(
        &Bytes(full[..30].to_vec()),
        "header.kv_count",
        16,
        "cannot fit",
    );
    expect(
        &Bytes(full[..70].to_vec()),
        "tensor[0] t.type",
        70,
        "truncated",
    );
}

#[test]
fn tensor_data_past_end_of_file() {
    let (mut b, at) = one_tensor(&[4], 0, 0);
    b.pad(32).zeros(15); // one byte short
    expect(
        &b,
        "tensor[0] t.offset",
        at + 8 + 1 + 4 + 8 + 4,
        "past the end",
    );
}

#[test]
fn overlapping_tensors() {
    let mut b = Bytes::new();
    b.header(2, 0).tensor("a", &[16], 0, 0);
    let second = b.pos();
    b.tensor("b", &[4], 0, 32); // a is 64 bytes: [0, 64)
    b.pad(32).zeros(128);
    expect(
        &b,
        "tensor[1] b.offset",
        second + 9 + 4 + 8 + 4,
        "overlaps 'a'",
    );
}

#[test]
fn misaligned_tensor_offset() {
    let (mut b, at) = one_tensor(&[4], 0, 8);
    b.pad(32).zeros(64);
    expect(
        &b,
        "tensor[0] t.offset",
        at + 9 + 4 + 8 + 4,
        "not a multiple of the alignment 32",
    );
}

#[test]
fn too_many_dims() {
    let (mut b, at) = one_tensor(&[1, 1, 1, 1, 4], 0, 0);
    b.pad(32).zeros(16);
    expect(&b, "tensor[0] t.n_dims", n_dims_at(at), "n_dims 5");
}

#[test]
fn zero_dims() {
    let (mut b, at) = one_tensor(&[], 0, 0);
    b.pad(32).zeros(16);
    expect(&b, "tensor[0] t.n_dims", n_dims_at(at), "n_dims 0");
}

#[test]
fn zero_element_dim() {
    let (mut b, at) = one_tensor(&[4, 0], 0, 0);
    b.pad(32).zeros(16);
    expect(&b, "tensor[0] t.dims", n_dims_at(at) + 4, "dims[1] is 0");
}

#[test]
fn element_count_overflows() {
    let (mut b, at) = one_tensor(&[1 << 32, 1 << 32], 0, 0);
    b.pad(32).zeros(16);
    expect(&b, "tensor[0] t.dims", n_dims_at(at) + 4, "element count");
}

#[test]
fn byte_size_overflows() {
    // 2^62 F32 values fit a u64 count but not a u64 byte size
    let (mut b, at) = one_tensor(&[1 << 62], 0, 0);
    b.pad(32).zeros(16);
    expect(&b, "tensor[0] t.dims", n_dims_at(at) + 4, "byte size");
}

#[test]
fn unknown_tensor_type() {
    let (mut b, at) = one_tensor(&[4], 4, 0); // id 4 (old Q4_2) is gone
    b.pad(32).zeros(16);
    expect(
        &b,
        "tensor[0] t.type",
        n_dims_at(at) + 4 + 8,
        "unknown ggml type id 4",
    );
}

#[test]
fn row_not_whole_blocks() {
    let (mut b, at) = one_tensor(&[33, 2], 8, 0); // Q8_0 blocks are 32 values
    b.pad(32).zeros(128);
    expect(
        &b,
        "tensor[0] t.dims",
        n_dims_at(at) + 4,
        "not a whole number of Q8_0 blocks",
    );
}

#[test]
fn string_length_past_end() {
    let mut b = Bytes::new();
    b.header(0, 1).u64(u64::MAX).raw(b"abc").zeros(16);
    expect(
        &b,
        "kv[0].key",
        24,
        "string length 18446744073709551615 runs past the end",
    );
    let mut v = Bytes::new();
    v.header(0, 1).str("k").u32(8);
    let at = v.pos();
    v.u64(1 << 40).raw(b"xyz");
    expect(&v, "kv[0] k", at, "runs past the end");
}

#[test]
fn array_count_past_end() {
    let mut b = Bytes::new();
    b.header(0, 1).str("k").u32(9).u32(4);
    let at = b.pos();
    b.u64(u64::MAX / 2).u32(1).u32(2);
    expect(
        &b,
        "kv[0] k",
        at,
        "array of 9223372036854775807 u32 runs past the end",
    );
    // strings: each needs at least 8 bytes
    let mut s = Bytes::new();
    s.header(0, 1).str("k").u32(9).u32(8);
    let at = s.pos();
    s.u64(3).str("a").str("b");
    expect(&s, "kv[0] k", at, "array of 3 str");
}

#[test]
fn huge_kv_and_tensor_counts() {
    let mut b = Bytes::new();
    b.header(0, u64::MAX).zeros(64);
    expect(&b, "header.kv_count", 16, "cannot fit");
    let mut t = Bytes::new();
    t.header(u64::MAX, 0).zeros(64);
    expect(&t, "header.tensor_count", 8, "cannot fit");
}

#[test]
fn duplicate_key() {
    let mut b = Bytes::new();
    b.header(0, 2).kv_u32("a.b", 1);
    let at = b.pos();
    b.kv_u32("a.b", 2);
    expect(&b, "kv[1].key", at, "duplicate key 'a.b'");
}

#[test]
fn duplicate_tensor_name() {
    let mut b = Bytes::new();
    b.header(2, 0).tensor("w", &[8], 0, 0);
    let at = b.pos();
    b.tensor("w", &[8], 0, 32).pad(32).zeros(64);
    expect(&b, "tensor[1].name", at, "duplicate tensor name 'w'");
}

#[test]
fn invalid_utf8() {
    let mut b = Bytes::new();
    b.header(0, 1).u64(3).raw(&[b'a', 0xff, b'b']).u32(4).u32(0);
    expect(&b, "kv[0].key", 24 + 8 + 1, "not valid UTF-8");
    let mut v = Bytes::new();
    v.header(0, 1).str("k").u32(8);
    let at = v.pos();
    v.u64(2).raw(&[0xc3, 0x28]);
    expect(&v, "kv[0] k", at + 8, "not valid UTF-8");
    let mut t = Bytes::new();
    t.header(1, 0)
        .u64(1)
        .raw(&[0x80])
        .u32(1)
        .u64(4)
        .u32(0)
        .u64(0)
        .pad(32)
        .zeros(16);
    expect(&t, "tensor[0].name", 24 + 8, "not valid UTF-8");
}

#[test]
fn bad_alignment() {
    for (a, ok) in [(0u32, false), (24, false), (64, true)] {
        let mut b = Bytes::new();
        b.header(0, 1).str("general.alignment").u32(4);
        let at = b.pos();
        b.u32(a);
        if ok {
            let f = GgufFile::from_bytes(b.0.clone(), "ok").unwrap();
            assert_eq!(f.alignment, 64);
            assert_eq!(f.data_offset, 64);
        } else {
            expect(
                &b,
                "kv[0] general.alignment",
                at,
                "not a non-zero power of two",
            );
        }
    }
}

#[test]
fn data_offset_follows_alignment() {
    let mut b = Bytes::new();
    b.header(1, 1)
        .str("general.alignment")
        .u32(4)
        .u32(256)
        .tensor("t", &[4], 0, 0);
    let infos_end = b.pos();
    b.pad(256).zeros(16);
    let f = GgufFile::from_bytes(b.0.clone(), "a").unwrap();
    assert_eq!(f.data_offset, infos_end.div_ceil(256) * 256);
}

#[test]
fn unknown_value_types_and_bad_bool() {
    let mut b = Bytes::new();
    b.header(0, 1).str("k");
    let at = b.pos();
    b.u32(13).u32(0);
    expect(&b, "kv[0] k", at, "unknown value type 13");
    let mut a = Bytes::new();
    a.header(0, 1).str("k").u32(9);
    let at = a.pos();
    a.u32(99).u64(0);
    expect(&a, "kv[0] k", at, "unknown array element type 99");
    let mut x = Bytes::new();
    x.header(0, 1).str("k").u32(7);
    let at = x.pos();
    x.u8(2);
    expect(&x, "kv[0] k", at, "bool byte is 2");
}

#[test]
fn arrays_nested_too_deep() {
    let mut b = Bytes::new();
    b.header(0, 1).str("k").u32(9);
    for _ in 0..100 {
        b.u32(9).u64(1);
    }
    b.zeros(64);
    let (f, _, m) = err_of(&b);
    assert_eq!(f, "kv[0] k");
    assert!(m.contains("nested deeper"), "{m}");
}

#[test]
fn version_2_accepted() {
    let mut b = Bytes::new();
    b.raw(b"GGUF").u32(2).u64(0).u64(1).kv_u32("a", 5);
    let f = GgufFile::from_bytes(b.0, "v2").unwrap();
    assert_eq!(f.version, 2);
    assert_eq!(f.get_u64("a"), Some(5));
}

#[test]
fn missing_file_is_an_io_error() {
    match GgufFile::open("/nonexistent/kernlab/x.gguf") {
        Err(Error::Io { path, .. }) => assert!(path.contains("x.gguf")),
        other => panic!("expected Io error, got {other:?}"),
    }
}
