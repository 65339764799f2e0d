//! A minimal read-only GGUF tensor source for the CPU decoder: header, metadata reduced to
//! [`MetaScalar`]s, the tensor table, and tensor data from a memory map.
//!
//! STOPGAP: this exists only because the project's GGUF module (`crate::gguf`) was not available
//! when the decoder was written; once it is, `CpuModel::load` should read through it and this file
//! goes. Layout facts: shared/reference/models-and-quants.md §1. Every length and offset is checked
//! against the file size, so a bad file gives `Error::Gguf` naming the field and offset.

use crate::models::{MetaScalar, MetaSource};
use crate::{quant, Error, GgmlType, Result};
use std::collections::HashMap;
use std::path::Path;

const GGUF_MAGIC: u32 = 0x4655_4747; // "GGUF"
const DEFAULT_ALIGNMENT: u64 = 32;

/// GGUF metadata value type tags (gguf-py GGUFValueType).
mod value_type {
    pub const U8: u32 = 0;
    pub const I8: u32 = 1;
    pub const U16: u32 = 2;
    pub const I16: u32 = 3;
    pub const U32: u32 = 4;
    pub const I32: u32 = 5;
    pub const F32: u32 = 6;
    pub const BOOL: u32 = 7;
    pub const STRING: u32 = 8;
    pub const ARRAY: u32 = 9;
    pub const U64: u32 = 10;
    pub const I64: u32 = 11;
    pub const F64: u32 = 12;
}

struct TensorEntry {
    dims: Vec<u64>,
    ty: GgmlType,
    /// Absolute file offset of the data.
    offset_b: u64,
    size_b: u64,
    n_elems: u64,
}

/// An open GGUF file: metadata and tensor table parsed, data memory-mapped.
pub struct GgufLite {
    name: String,
    map: memmap2::Mmap,
    meta: HashMap<String, MetaScalar>,
    tensors: HashMap<String, TensorEntry>,
}

struct Cursor<'a> {
    file: &'a str,
    b: &'a [u8],
    pos: usize,
    field: String,
}

impl<'a> Cursor<'a> {
    fn err(&self, msg: impl Into<String>) -> Error {
        Error::Gguf {
            file: self.file.to_string(),
            field: self.field.clone(),
            offset: self.pos as u64,
            msg: msg.into(),
        }
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8]> {
        let left = (self.b.len() - self.pos) as u64;
        if n > left {
            return Err(self.err(format!("needs {n} bytes, {left} left")));
        }
        let s = &self.b[self.pos..self.pos + n as usize];
        self.pos += n as usize;
        Ok(s)
    }

    fn arr<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N as u64)?);
        Ok(a)
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.arr()?))
    }

    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.arr()?))
    }

    fn string(&mut self) -> Result<String> {
        let n = self.u64()?;
        let s = self.take(n)?;
        String::from_utf8(s.to_vec()).map_err(|_| self.err("string is not UTF-8"))
    }

    /// One value of type `ty`; arrays become their length.
    fn value(&mut self, ty: u32, depth: u32) -> Result<MetaScalar> {
        use value_type::*;
        Ok(match ty {
            U8 => MetaScalar::Int(self.arr::<1>()?[0] as i128),
            I8 => MetaScalar::Int(self.arr::<1>()?[0] as i8 as i128),
            U16 => MetaScalar::Int(u16::from_le_bytes(self.arr()?) as i128),
            I16 => MetaScalar::Int(i16::from_le_bytes(self.arr()?) as i128),
            U32 => MetaScalar::Int(self.u32()? as i128),
            I32 => MetaScalar::Int(i32::from_le_bytes(self.arr()?) as i128),
            U64 => MetaScalar::Int(self.u64()? as i128),
            I64 => MetaScalar::Int(i64::from_le_bytes(self.arr()?) as i128),
            F32 => MetaScalar::Float(f32::from_le_bytes(self.arr()?) as f64),
            F64 => MetaScalar::Float(f64::from_le_bytes(self.arr()?)),
            BOOL => MetaScalar::Bool(self.arr::<1>()?[0] != 0),
            STRING => MetaScalar::Str(self.string()?),
            ARRAY => {
                if depth > 0 {
                    return Err(self.err("nested arrays are not supported"));
                }
                let et = self.u32()?;
                let n = self.u64()?;
                if n > (self.b.len() - self.pos) as u64 {
                    return Err(self.err(format!("array of {n} items exceeds the file")));
                }
                for _ in 0..n {
                    self.value(et, depth + 1)?;
                }
                MetaScalar::Array(n as usize)
            }
            t => return Err(self.err(format!("unknown value type {t}"))),
        })
    }
}

impl GgufLite {
    pub fn open(path: &Path) -> Result<GgufLite> {
        let name = path.display().to_string();
        let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        // SAFETY: the map is read-only; a file changed underneath while mapped is the user's own
        // race, as with any reader.
        let map = unsafe { memmap2::Mmap::map(&f) }.map_err(|e| Error::io(path, e))?;
        let (meta, tensors) = parse(&name, &map)?;
        Ok(GgufLite {
            name,
            map,
            meta,
            tensors,
        })
    }
}

type Parsed = (HashMap<String, MetaScalar>, HashMap<String, TensorEntry>);

fn parse(file: &str, b: &[u8]) -> Result<Parsed> {
    let mut c = Cursor {
        file,
        b,
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
    let n_kv = c.u64()?;
    let mut meta = HashMap::new();
    for i in 0..n_kv {
        c.field = format!("kv[{i}]");
        let key = c.string()?;
        c.field = key.clone();
        let ty = c.u32()?;
        let v = c.value(ty, 0)?;
        meta.insert(key, v);
    }
    let alignment = match meta.get("general.alignment") {
        Some(MetaScalar::Int(a)) if *a > 0 && (*a as u64).is_power_of_two() => *a as u64,
        None => DEFAULT_ALIGNMENT,
        Some(v) => {
            c.field = "general.alignment".into();
            return Err(c.err(format!("{v:?} is not a power of two")));
        }
    };
    let mut infos = Vec::new();
    for i in 0..n_tensors {
        c.field = format!("tensor_info[{i}]");
        let tname = c.string()?;
        c.field = format!("tensor_info[{i}] {tname}");
        let n_dims = c.u32()?;
        if n_dims == 0 || n_dims > 4 {
            return Err(c.err(format!("{n_dims} dims (want 1..=4)")));
        }
        let dims: Vec<u64> = (0..n_dims).map(|_| c.u64()).collect::<Result<_>>()?;
        let ty_id = c.u32()?;
        let ty =
            GgmlType::from_id(ty_id).ok_or_else(|| c.err(format!("unknown ggml type {ty_id}")))?;
        let rel = c.u64()?;
        let n_elems = dims
            .iter()
            .try_fold(1u64, |a, &d| a.checked_mul(d))
            .ok_or_else(|| c.err("element count overflows"))?;
        let size_b = ty.bytes_for(n_elems).ok_or_else(|| {
            c.err(format!(
                "{n_elems} values are not whole {} blocks",
                ty.name()
            ))
        })?;
        infos.push((
            tname,
            dims,
            ty,
            rel,
            size_b,
            n_elems,
            c.field.clone(),
            c.pos,
        ));
    }
    let data_start = (c.pos as u64).div_ceil(alignment) * alignment;
    let mut tensors = HashMap::new();
    for (tname, dims, ty, rel, size_b, n_elems, field, pos) in infos {
        let offset_b = data_start.checked_add(rel);
        match offset_b.and_then(|o| o.checked_add(size_b)) {
            Some(end) if end <= b.len() as u64 => {}
            _ => {
                return Err(Error::Gguf {
                    file: file.to_string(),
                    field,
                    offset: pos as u64,
                    msg: format!(
                        "data at {data_start}+{rel} of {size_b} bytes runs past the file end ({})",
                        b.len()
                    ),
                })
            }
        }
        tensors.insert(
            tname,
            TensorEntry {
                dims,
                ty,
                offset_b: data_start + rel,
                size_b,
                n_elems,
            },
        );
    }
    Ok((meta, tensors))
}

impl MetaSource for GgufLite {
    fn source_name(&self) -> String {
        self.name.clone()
    }
    fn meta(&self, key: &str) -> Option<MetaScalar> {
        self.meta.get(key).cloned()
    }
    fn tensor_dims(&self, name: &str) -> Option<Vec<u64>> {
        self.tensors.get(name).map(|t| t.dims.clone())
    }
    fn tensor_f32(&self, name: &str) -> Result<Vec<f32>> {
        let t = self
            .tensors
            .get(name)
            .ok_or_else(|| Error::Model(format!("{}: tensor {name} is missing", self.name)))?;
        let data = &self.map[t.offset_b as usize..(t.offset_b + t.size_b) as usize];
        quant::dequantize_to_vec(t.ty, data, t.n_elems as usize)
            .map_err(|e| Error::Model(format!("{}: tensor {name}: {e}", self.name)))
    }
}
