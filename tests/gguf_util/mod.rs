//! Test-only helpers shared by the gguf tests: a raw byte builder for hand-made (often broken)
//! files, and a writer-made file with every value type.
#![allow(dead_code)]

use kernlab::gguf::{GgufWriter, Value};
use kernlab::GgmlType;

/// Appends little-endian fields and remembers nothing: callers note `pos()` before a field
/// whose offset they expect in an error.
#[derive(Default, Clone)]
pub struct Bytes(pub Vec<u8>);

impl Bytes {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn pos(&self) -> u64 {
        self.0.len() as u64
    }
    pub fn u8(&mut self, x: u8) -> &mut Self {
        self.0.push(x);
        self
    }
    pub fn u32(&mut self, x: u32) -> &mut Self {
        self.0.extend_from_slice(&x.to_le_bytes());
        self
    }
    pub fn u64(&mut self, x: u64) -> &mut Self {
        self.0.extend_from_slice(&x.to_le_bytes());
        self
    }
    pub fn raw(&mut self, b: &[u8]) -> &mut Self {
        self.0.extend_from_slice(b);
        self
    }
    /// gguf-string: u64 length + bytes.
    pub fn str(&mut self, s: &str) -> &mut Self {
        self.u64(s.len() as u64).raw(s.as_bytes())
    }
    /// "GGUF", version 3, counts.
    pub fn header(&mut self, n_tensors: u64, n_kv: u64) -> &mut Self {
        self.raw(b"GGUF").u32(3).u64(n_tensors).u64(n_kv)
    }
    /// A u32 key/value pair.
    pub fn kv_u32(&mut self, key: &str, v: u32) -> &mut Self {
        self.str(key).u32(4).u32(v)
    }
    /// A tensor info.
    pub fn tensor(&mut self, name: &str, dims: &[u64], ty: u32, offset: u64) -> &mut Self {
        self.str(name).u32(dims.len() as u32);
        for d in dims {
            self.u64(*d);
        }
        self.u32(ty).u64(offset)
    }
    /// Zero padding to a multiple of `align`.
    pub fn pad(&mut self, align: usize) -> &mut Self {
        while !self.0.len().is_multiple_of(align) {
            self.0.push(0);
        }
        self
    }
    pub fn zeros(&mut self, n: usize) -> &mut Self {
        self.0.resize(self.0.len() + n, 0);
        self
    }
}

/// Deterministic bytes for a tensor.
pub fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Every scalar type, strings with non-ASCII text, arrays of each, nested arrays of strings.
pub fn all_value_types() -> Vec<(&'static str, Value)> {
    vec![
        ("general.architecture", Value::Str("llama".into())),
        ("general.name", Value::Str("kernlab test ✓ ünïcode".into())),
        ("test.u8", Value::U8(200)),
        ("test.i8", Value::I8(-100)),
        ("test.u16", Value::U16(60000)),
        ("test.i16", Value::I16(-30000)),
        ("test.u32", Value::U32(4_000_000_000)),
        ("test.i32", Value::I32(-2_000_000_000)),
        ("test.f32", Value::F32(1.5e-6)),
        ("test.bool_t", Value::Bool(true)),
        ("test.bool_f", Value::Bool(false)),
        ("test.u64", Value::U64(u64::MAX - 7)),
        ("test.i64", Value::I64(i64::MIN + 3)),
        ("test.f64", Value::F64(-1234.5678901234567)),
        ("test.empty_str", Value::Str(String::new())),
        ("llama.block_count", Value::U32(2)),
        ("llama.embedding_length", Value::U32(64)),
        ("llama.rope.freq_base", Value::F32(500000.0)),
        (
            "tokenizer.ggml.tokens",
            Value::Arr(
                ["<s>", "a", "b", "ab", "Ġthe", "日本"]
                    .iter()
                    .map(|s| Value::Str(s.to_string()))
                    .collect(),
            ),
        ),
        (
            "tokenizer.ggml.merges",
            Value::Arr(
                ["a b", "Ġ t"]
                    .iter()
                    .map(|s| Value::Str(s.to_string()))
                    .collect(),
            ),
        ),
        (
            "tokenizer.ggml.scores",
            Value::Arr(vec![Value::F32(0.0), Value::F32(-1.25), Value::F32(3.5)]),
        ),
        (
            "tokenizer.ggml.token_type",
            Value::Arr(vec![Value::I32(3), Value::I32(1), Value::I32(6)]),
        ),
        (
            "test.arr_u8",
            Value::Arr(vec![Value::U8(1), Value::U8(255)]),
        ),
        (
            "test.arr_i8",
            Value::Arr(vec![Value::I8(-1), Value::I8(127)]),
        ),
        ("test.arr_u16", Value::Arr(vec![Value::U16(65535)])),
        (
            "test.arr_i16",
            Value::Arr(vec![Value::I16(-2), Value::I16(2)]),
        ),
        (
            "test.arr_u32",
            Value::Arr(vec![Value::U32(7), Value::U32(8)]),
        ),
        ("test.arr_u64", Value::Arr(vec![Value::U64(1 << 40)])),
        ("test.arr_i64", Value::Arr(vec![Value::I64(-(1 << 40))])),
        (
            "test.arr_f64",
            Value::Arr(vec![Value::F64(0.125), Value::F64(1e300)]),
        ),
        (
            "test.arr_bool",
            Value::Arr(vec![Value::Bool(true), Value::Bool(false)]),
        ),
        ("test.arr_empty", Value::Arr(vec![])),
        (
            "test.arr_arr_str",
            Value::Arr(vec![
                Value::Arr(vec![Value::Str("x".into()), Value::Str("yz".into())]),
                Value::Arr(vec![]),
                Value::Arr(vec![Value::Str("ω".into())]),
            ]),
        ),
        (
            "test.arr_arr_i32",
            Value::Arr(vec![
                Value::Arr(vec![Value::I32(-5)]),
                Value::Arr(vec![Value::I32(6), Value::I32(7)]),
            ]),
        ),
        ("tokenizer.ggml.bos_token_id", Value::U32(0)),
    ]
}

/// Tensors of several types: (name, dims, type).
pub fn test_tensors() -> Vec<(&'static str, Vec<u64>, GgmlType)> {
    vec![
        ("token_embd.weight", vec![64, 6], GgmlType::F16),
        ("output_norm.weight", vec![64], GgmlType::F32),
        ("blk.0.attn_q.weight", vec![64, 64], GgmlType::Q8_0),
        ("blk.0.ffn_down.weight", vec![256, 3], GgmlType::Q6_K),
        ("blk.0.ffn_up.weight", vec![256, 2], GgmlType::Q4_K),
        ("blk.1.attn_k.weight", vec![32, 4], GgmlType::Q4_0),
        ("blk.1.ffn_gate.weight", vec![256, 1, 2], GgmlType::Q5_K),
        ("blk.1.attn_v.weight", vec![32, 2, 1, 2], GgmlType::BF16),
        ("blk.1.x.weight", vec![256], GgmlType::Q2_K),
        ("blk.1.y.weight", vec![256, 2], GgmlType::Q3_K),
        ("blk.1.z.weight", vec![32], GgmlType::Q5_0),
        ("blk.1.w.weight", vec![32], GgmlType::Q4_1),
        ("blk.1.v.weight", vec![32], GgmlType::Q5_1),
    ]
}

/// A writer holding every value type and tensor of several types (data = `pattern`).
pub fn full_writer(alignment: Option<u64>) -> GgufWriter {
    let mut w = GgufWriter::new();
    if let Some(a) = alignment {
        w.set_alignment(a);
    }
    for (k, v) in all_value_types() {
        w.add(k, v);
    }
    for (i, (name, dims, ty)) in test_tensors().into_iter().enumerate() {
        let n: u64 = dims.iter().product();
        let size = ty.bytes_for(n).unwrap() as usize;
        w.add_tensor(name, &dims, ty, pattern(size, i as u8))
            .unwrap();
    }
    w
}

/// A scratch path under the target dir, unique per test name.
pub fn tmp_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("kernlab-gguf-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

pub mod py;

/// The repo root: this crate's manifest dir, or its parent for the bins crate.
pub fn repo_root() -> std::path::PathBuf {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    if dir.join("scripts/gguf_dump.py").exists() {
        dir
    } else {
        dir.parent().map(|p| p.to_path_buf()).unwrap_or(dir)
    }
}
