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

/// A metadata value, tagged as in the GGUF KV value types.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaValue {
    U32(u32),
    I32(i32),
    F32(f32),
    Bool(bool),
    Str(String),
    ArrStr(Vec<String>),
    ArrI32(Vec<i32>),
    ArrF32(Vec<f32>),
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
    fn value(&mut self, v: &MetaValue) {
        const U32: u32 = 4;
        const I32: u32 = 5;
        const F32: u32 = 6;
        const BOOL: u32 = 7;
        const STR: u32 = 8;
        const ARR: u32 = 9;
        match v {
            MetaValue::U32(x) => {
                self.u32(U32);
                self.u32(*x);
            }
            MetaValue::I32(x) => {
                self.u32(I32);
                self.0.extend_from_slice(&x.to_le_bytes());
            }
            MetaValue::F32(x) => {
                self.u32(F32);
                self.0.extend_from_slice(&x.to_le_bytes());
            }
            MetaValue::Bool(x) => {
                self.u32(BOOL);
                self.0.push(*x as u8);
            }
            MetaValue::Str(s) => {
                self.u32(STR);
                self.str(s);
            }
            MetaValue::ArrStr(a) => {
                self.u32(ARR);
                self.u32(STR);
                self.u64(a.len() as u64);
                for s in a {
                    self.str(s);
                }
            }
            MetaValue::ArrI32(a) => {
                self.u32(ARR);
                self.u32(I32);
                self.u64(a.len() as u64);
                for x in a {
                    self.0.extend_from_slice(&x.to_le_bytes());
                }
            }
            MetaValue::ArrF32(a) => {
                self.u32(ARR);
                self.u32(F32);
                self.u64(a.len() as u64);
                for x in a {
                    self.0.extend_from_slice(&x.to_le_bytes());
                }
            }
        }
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
