//! Streams a GGUF v3 file whose tensor data is produced piece by piece (a 1B model is ~1 GB; it
//! never sits in memory whole). Layout per models-and-quants.md §1: header, KVs, tensor infos,
//! zero padding to ALIGN_B, then each tensor's data padded to ALIGN_B.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::{Error, GgmlType, Result};

/// GGUF_DEFAULT_ALIGNMENT (no general.alignment key is written).
pub const ALIGN_B: u64 = 32;
const GGUF_MAGIC: u32 = 0x4655_4747;
const GGUF_VERSION: u32 = 3;

/// GGUF KV value type tags (models-and-quants.md §1).
pub mod tag {
    pub const U8: u32 = 0;
    pub const I8: u32 = 1;
    pub const U16: u32 = 2;
    pub const I16: u32 = 3;
    pub const U32: u32 = 4;
    pub const I32: u32 = 5;
    pub const F32: u32 = 6;
    pub const BOOL: u32 = 7;
    pub const STR: u32 = 8;
    pub const ARR: u32 = 9;
    pub const U64: u32 = 10;
    pub const I64: u32 = 11;
    pub const F64: u32 = 12;
}

/// A metadata value. Arrays of strings, i32 and f32 (the tokenizer's) have their own variants;
/// other arrays hold their element tag and scalar elements.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaValue {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    F32(f32),
    Bool(bool),
    Str(String),
    U64(u64),
    I64(i64),
    F64(f64),
    ArrStr(Vec<String>),
    ArrI32(Vec<i32>),
    ArrF32(Vec<f32>),
    Arr(u32, Vec<MetaValue>),
}

impl MetaValue {
    /// The value as the config reader sees it.
    pub fn to_scalar(&self) -> crate::models::MetaScalar {
        use crate::models::MetaScalar as S;
        match self {
            MetaValue::U8(x) => S::Int(*x as i128),
            MetaValue::I8(x) => S::Int(*x as i128),
            MetaValue::U16(x) => S::Int(*x as i128),
            MetaValue::I16(x) => S::Int(*x as i128),
            MetaValue::U32(x) => S::Int(*x as i128),
            MetaValue::I32(x) => S::Int(*x as i128),
            MetaValue::U64(x) => S::Int(*x as i128),
            MetaValue::I64(x) => S::Int(*x as i128),
            MetaValue::F32(x) => S::Float(*x as f64),
            MetaValue::F64(x) => S::Float(*x),
            MetaValue::Bool(b) => S::Bool(*b),
            MetaValue::Str(s) => S::Str(s.clone()),
            MetaValue::ArrStr(a) => S::Array(a.len()),
            MetaValue::ArrI32(a) => S::Array(a.len()),
            MetaValue::ArrF32(a) => S::Array(a.len()),
            MetaValue::Arr(_, a) => S::Array(a.len()),
        }
    }

    pub fn tag(&self) -> u32 {
        match self {
            MetaValue::U8(_) => tag::U8,
            MetaValue::I8(_) => tag::I8,
            MetaValue::U16(_) => tag::U16,
            MetaValue::I16(_) => tag::I16,
            MetaValue::U32(_) => tag::U32,
            MetaValue::I32(_) => tag::I32,
            MetaValue::F32(_) => tag::F32,
            MetaValue::Bool(_) => tag::BOOL,
            MetaValue::Str(_) => tag::STR,
            MetaValue::U64(_) => tag::U64,
            MetaValue::I64(_) => tag::I64,
            MetaValue::F64(_) => tag::F64,
            MetaValue::ArrStr(_)
            | MetaValue::ArrI32(_)
            | MetaValue::ArrF32(_)
            | MetaValue::Arr(..) => tag::ARR,
        }
    }
}

/// One tensor info as it goes into the header.
pub struct TensorHeader {
    pub name: String,
    pub dims: Vec<u64>,
    pub ty: GgmlType,
    pub size_b: u64,
}

fn align_up(x: u64) -> u64 {
    x.div_ceil(ALIGN_B) * ALIGN_B
}

/// Appends GGUF-encoded header parts to a byte vector.
struct Enc(Vec<u8>);

impl Enc {
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
    /// The value's bytes without its tag.
    fn payload(&mut self, v: &MetaValue) {
        match v {
            MetaValue::U8(x) => self.0.push(*x),
            MetaValue::I8(x) => self.0.extend_from_slice(&x.to_le_bytes()),
            MetaValue::U16(x) => self.0.extend_from_slice(&x.to_le_bytes()),
            MetaValue::I16(x) => self.0.extend_from_slice(&x.to_le_bytes()),
            MetaValue::U32(x) => self.u32(*x),
            MetaValue::I32(x) => self.0.extend_from_slice(&x.to_le_bytes()),
            MetaValue::F32(x) => self.0.extend_from_slice(&x.to_le_bytes()),
            MetaValue::Bool(x) => self.0.push(*x as u8),
            MetaValue::Str(s) => self.str(s),
            MetaValue::U64(x) => self.u64(*x),
            MetaValue::I64(x) => self.0.extend_from_slice(&x.to_le_bytes()),
            MetaValue::F64(x) => self.0.extend_from_slice(&x.to_le_bytes()),
            MetaValue::ArrStr(a) => {
                self.u32(tag::STR);
                self.u64(a.len() as u64);
                for s in a {
                    self.str(s);
                }
            }
            MetaValue::ArrI32(a) => {
                self.u32(tag::I32);
                self.u64(a.len() as u64);
                for x in a {
                    self.0.extend_from_slice(&x.to_le_bytes());
                }
            }
            MetaValue::ArrF32(a) => {
                self.u32(tag::F32);
                self.u64(a.len() as u64);
                for x in a {
                    self.0.extend_from_slice(&x.to_le_bytes());
                }
            }
            MetaValue::Arr(t, a) => {
                self.u32(*t);
                self.u64(a.len() as u64);
                for x in a {
                    self.payload(x);
                }
            }
        }
    }

    fn value(&mut self, v: &MetaValue) {
        self.u32(v.tag());
        self.payload(v);
    }
}

/// The header bytes (up to and including the padding before tensor data).
pub fn encode_header(kvs: &[(String, MetaValue)], tensors: &[TensorHeader]) -> Vec<u8> {
    let mut e = Enc(Vec::new());
    e.u32(GGUF_MAGIC);
    e.u32(GGUF_VERSION);
    e.u64(tensors.len() as u64);
    e.u64(kvs.len() as u64);
    for (k, v) in kvs {
        e.str(k);
        e.value(v);
    }
    let mut offset = 0u64;
    for t in tensors {
        e.str(&t.name);
        e.u32(t.dims.len() as u32);
        for &d in &t.dims {
            e.u64(d);
        }
        e.u32(t.ty.id());
        e.u64(offset);
        offset += align_up(t.size_b);
    }
    let len = align_up(e.0.len() as u64) as usize;
    e.0.resize(len, 0);
    e.0
}

/// Writes the file: header first, then the caller's data tensor by tensor.
pub struct StreamWriter {
    path: PathBuf,
    out: BufWriter<std::fs::File>,
    written_b: u64,
}

impl StreamWriter {
    pub fn create(path: &Path, header: &[u8]) -> Result<StreamWriter> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let f = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
        let mut w = StreamWriter {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(8 << 20, f),
            written_b: 0,
        };
        w.write(header)?;
        Ok(w)
    }

    pub fn write(&mut self, b: &[u8]) -> Result<()> {
        self.out
            .write_all(b)
            .map_err(|e| Error::io(&self.path, e))?;
        self.written_b += b.len() as u64;
        Ok(())
    }

    /// Zero padding after a tensor so the next one starts aligned.
    pub fn pad(&mut self) -> Result<()> {
        let pad = (align_up(self.written_b) - self.written_b) as usize;
        self.write(&[0u8; ALIGN_B as usize][..pad])
    }

    pub fn written_b(&self) -> u64 {
        self.written_b
    }

    pub fn finish(mut self) -> Result<u64> {
        self.out.flush().map_err(|e| Error::io(&self.path, e))?;
        Ok(self.written_b)
    }
}
