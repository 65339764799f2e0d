//! Reads the header of a GGUF file: KVs and tensor infos (not the data). synth needs this to copy
//! tokenizer.* keys from llama.cpp's vocab-only GGUFs, and its tests to check what it wrote.
//! Every length is checked against the bytes left, so a bad file is an `Error::Gguf`, never a panic.

use std::path::Path;

use super::stream::{tag, MetaValue};
use crate::{Error, Result};

const GGUF_MAGIC: u32 = 0x4655_4747;

struct Cursor<'a> {
    file: String,
    b: &'a [u8],
    pos: usize,
    field: String,
}

impl<'a> Cursor<'a> {
    fn err(&self, msg: impl Into<String>) -> Error {
        Error::Gguf {
            file: self.file.clone(),
            field: self.field.clone(),
            offset: self.pos as u64,
            msg: msg.into(),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.b.len() - self.pos < n {
            return Err(self.err(format!("needs {n} bytes, {} left", self.b.len() - self.pos)));
        }
        let s = &self.b[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn arr<const N: usize>(&mut self) -> Result<[u8; N]> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.arr()?))
    }

    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.arr()?))
    }

    /// A count of items of at least `min_item_b` bytes each, bounded by the bytes left.
    fn count(&mut self, min_item_b: usize) -> Result<usize> {
        let n = self.u64()?;
        let left = (self.b.len() - self.pos) as u64;
        if n.saturating_mul(min_item_b as u64) > left {
            return Err(self.err(format!("count {n} exceeds the {left} bytes left")));
        }
        Ok(n as usize)
    }

    fn str(&mut self) -> Result<String> {
        let n = self.count(1)?;
        let s = self.take(n)?;
        String::from_utf8(s.to_vec()).map_err(|_| self.err("string is not UTF-8"))
    }

    fn scalar(&mut self, t: u32) -> Result<MetaValue> {
        Ok(match t {
            tag::U8 => MetaValue::U8(self.arr::<1>()?[0]),
            tag::I8 => MetaValue::I8(i8::from_le_bytes(self.arr()?)),
            tag::U16 => MetaValue::U16(u16::from_le_bytes(self.arr()?)),
            tag::I16 => MetaValue::I16(i16::from_le_bytes(self.arr()?)),
            tag::U32 => MetaValue::U32(self.u32()?),
            tag::I32 => MetaValue::I32(i32::from_le_bytes(self.arr()?)),
            tag::F32 => MetaValue::F32(f32::from_le_bytes(self.arr()?)),
            tag::BOOL => MetaValue::Bool(self.arr::<1>()?[0] != 0),
            tag::STR => MetaValue::Str(self.str()?),
            tag::U64 => MetaValue::U64(self.u64()?),
            tag::I64 => MetaValue::I64(i64::from_le_bytes(self.arr()?)),
            tag::F64 => MetaValue::F64(f64::from_le_bytes(self.arr()?)),
            _ => return Err(self.err(format!("unknown value type {t}"))),
        })
    }

    fn value(&mut self) -> Result<MetaValue> {
        let t = self.u32()?;
        if t != tag::ARR {
            return self.scalar(t);
        }
        let et = self.u32()?;
        if et == tag::ARR {
            return Err(self.err("nested arrays are not supported"));
        }
        let n = self.count(1)?;
        Ok(match et {
            tag::STR => MetaValue::ArrStr((0..n).map(|_| self.str()).collect::<Result<_>>()?),
            tag::I32 => MetaValue::ArrI32(
                (0..n)
                    .map(|_| Ok(i32::from_le_bytes(self.arr()?)))
                    .collect::<Result<_>>()?,
            ),
            tag::F32 => MetaValue::ArrF32(
                (0..n)
                    .map(|_| Ok(f32::from_le_bytes(self.arr()?)))
                    .collect::<Result<_>>()?,
            ),
            _ => MetaValue::Arr(et, (0..n).map(|_| self.scalar(et)).collect::<Result<_>>()?),
        })
    }
}

/// One tensor info of a GGUF header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorEntry {
    pub name: String,
    pub dims: Vec<u64>,
    pub ty_id: u32,
    /// Relative to the start of tensor data.
    pub offset: u64,
}

/// A GGUF header: KVs in file order, tensor infos, and where tensor data starts.
#[derive(Debug, Clone)]
pub struct Header {
    pub kvs: Vec<(String, MetaValue)>,
    pub tensors: Vec<TensorEntry>,
    pub data_start: u64,
}

/// All KV pairs of the GGUF file at `path`, in file order.
pub fn read_kvs(path: &Path) -> Result<Vec<(String, MetaValue)>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_kvs(&path.display().to_string(), &bytes)
}

/// All KV pairs of a GGUF image.
pub fn parse_kvs(file: &str, bytes: &[u8]) -> Result<Vec<(String, MetaValue)>> {
    parse(file, bytes, false).map(|h| h.kvs)
}

/// KVs and tensor infos of a GGUF image (alignment: general.alignment or 32).
pub fn parse_header(file: &str, bytes: &[u8]) -> Result<Header> {
    parse(file, bytes, true)
}

fn parse(file: &str, bytes: &[u8], with_tensors: bool) -> Result<Header> {
    let mut c = Cursor {
        file: file.to_string(),
        b: bytes,
        pos: 0,
        field: "magic".into(),
    };
    if c.u32()? != GGUF_MAGIC {
        c.pos = 0;
        return Err(c.err("not a GGUF file (magic is not 'GGUF')"));
    }
    c.field = "version".into();
    let version = c.u32()?;
    if !(2..=3).contains(&version) {
        return Err(c.err(format!("version {version}, expected 2 or 3")));
    }
    c.field = "tensor_count".into();
    let n_tensors = c.u64()?;
    c.field = "kv_count".into();
    let n_kv = c.count(12)?;
    let mut kvs = Vec::with_capacity(n_kv);
    for i in 0..n_kv {
        c.field = format!("kv {i} key");
        let k = c.str()?;
        c.field = k.clone();
        let v = c.value()?;
        kvs.push((k, v));
    }
    let mut tensors = Vec::new();
    if !with_tensors {
        return Ok(Header {
            kvs,
            tensors,
            data_start: 0,
        });
    }
    c.field = "tensor_count".into();
    if n_tensors.saturating_mul(24) > (bytes.len() - c.pos) as u64 {
        return Err(c.err(format!("tensor_count {n_tensors} exceeds the file")));
    }
    for i in 0..n_tensors {
        c.field = format!("tensor {i} name");
        let name = c.str()?;
        c.field = format!("{name} n_dims");
        let n_dims = c.u32()?;
        if n_dims > 4 {
            return Err(c.err(format!("n_dims {n_dims} > 4")));
        }
        c.field = format!("{name} dims");
        let dims = (0..n_dims).map(|_| c.u64()).collect::<Result<Vec<_>>>()?;
        c.field = format!("{name} type");
        let ty_id = c.u32()?;
        c.field = format!("{name} offset");
        let offset = c.u64()?;
        tensors.push(TensorEntry {
            name,
            dims,
            ty_id,
            offset,
        });
    }
    let align = kvs
        .iter()
        .find_map(|(k, v)| match (k.as_str(), v) {
            ("general.alignment", MetaValue::U32(a)) => Some(*a as u64),
            _ => None,
        })
        .unwrap_or(32);
    if align == 0 || !align.is_power_of_two() {
        c.field = "general.alignment".into();
        return Err(c.err(format!("alignment {align} is not a power of two")));
    }
    Ok(Header {
        kvs,
        tensors,
        data_start: (c.pos as u64).div_ceil(align) * align,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::synth::stream::encode_header;

    #[test]
    fn round_trips_every_value_type_and_rejects_truncation() {
        let kvs = vec![
            ("a.u8".to_string(), MetaValue::U8(7)),
            ("a.i8".into(), MetaValue::I8(-7)),
            ("a.u16".into(), MetaValue::U16(700)),
            ("a.i16".into(), MetaValue::I16(-700)),
            ("a.u32".into(), MetaValue::U32(70000)),
            ("a.i32".into(), MetaValue::I32(-70000)),
            ("a.f32".into(), MetaValue::F32(1.5)),
            ("a.bool".into(), MetaValue::Bool(true)),
            ("a.str".into(), MetaValue::Str("héllo".into())),
            ("a.u64".into(), MetaValue::U64(1 << 40)),
            ("a.i64".into(), MetaValue::I64(-(1 << 40))),
            ("a.f64".into(), MetaValue::F64(-2.25)),
            (
                "a.as".into(),
                MetaValue::ArrStr(vec!["x".into(), "".into()]),
            ),
            ("a.ai".into(), MetaValue::ArrI32(vec![1, -2])),
            ("a.af".into(), MetaValue::ArrF32(vec![0.5])),
            (
                "a.au".into(),
                MetaValue::Arr(tag::U64, vec![MetaValue::U64(3)]),
            ),
        ];
        let bytes = encode_header(&kvs, &[]);
        assert_eq!(parse_kvs("mem", &bytes).unwrap(), kvs);
        // Every truncation point inside the KVs is an error, not a panic.
        let kv_end = bytes.len() - bytes.iter().rev().take_while(|&&b| b == 0).count();
        for cut in 0..kv_end {
            assert!(parse_kvs("mem", &bytes[..cut]).is_err(), "cut {cut}");
        }
        let mut bad = bytes.clone();
        bad[0] = b'X';
        assert!(parse_kvs("mem", &bad)
            .unwrap_err()
            .to_string()
            .contains("magic"));
    }
}
