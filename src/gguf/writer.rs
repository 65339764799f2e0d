//! A GGUF v3 writer whose files llama.cpp and gguf-py load: key/value pairs in insertion order,
//! tensor infos with aligned offsets, zero padding to the alignment after the infos and after
//! every tensor (as gguf-py's GGUFWriter does). Tensor bytes stream to disk one tensor at a time.

use super::parse::{DEFAULT_ALIGNMENT, GGUF_MAGIC, KEY_ALIGNMENT};
use super::tensor::{align_up, checked_size_b, TensorInfo};
use super::value::{tag, Value};
use crate::{Error, GgmlType, Result};
use std::io::Write;
use std::path::Path;

/// Longest tensor name llama.cpp accepts: GGML_MAX_NAME (64, ggml.h) includes the NUL.
pub const MAX_TENSOR_NAME_B: usize = 63;

/// The version this writer produces.
pub const GGUF_VERSION: u32 = 3;

#[derive(Debug, Default)]
pub struct GgufWriter {
    metadata: Vec<(String, Value)>,
    /// None: the default 32, and no general.alignment key is written.
    alignment: Option<u64>,
    tensors: Vec<TensorInfo>,
    /// Bytes given with `add_tensor`; None for infos whose bytes come from `write_with`'s fill.
    data: Vec<Option<Vec<u8>>>,
}

fn writer_err(field: &str, msg: impl Into<String>) -> Error {
    Error::Gguf {
        file: "(gguf writer)".to_string(),
        field: field.to_string(),
        offset: 0,
        msg: msg.into(),
    }
}

impl GgufWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Alignment of the data start and of every tensor (a power of two; checked at write).
    /// Written as general.alignment (u32).
    pub fn set_alignment(&mut self, align_b: u64) {
        self.alignment = Some(align_b);
        self.relayout();
    }

    fn align_b(&self) -> u64 {
        self.alignment.unwrap_or(DEFAULT_ALIGNMENT)
    }

    /// Add a key (insertion order is kept); adding a key again replaces its value in place.
    pub fn add(&mut self, key: &str, v: Value) {
        match self.metadata.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = v,
            None => self.metadata.push((key.to_string(), v)),
        }
    }

    /// A tensor whose bytes `write_with`'s fill provides.
    pub fn add_tensor_info(&mut self, name: &str, dims: &[u64], ty: GgmlType) -> Result<()> {
        let field = format!("tensor {name}");
        if name.is_empty() || name.len() > MAX_TENSOR_NAME_B {
            return Err(writer_err(
                &field,
                format!("name must be 1..={MAX_TENSOR_NAME_B} bytes (llama.cpp GGML_MAX_NAME)"),
            ));
        }
        if self.tensors.iter().any(|t| t.name == name) {
            return Err(writer_err(&field, "duplicate tensor name"));
        }
        let size_b = checked_size_b(dims, ty).map_err(|m| writer_err(&field, m))?;
        self.tensors.push(TensorInfo {
            name: name.to_string(),
            dims: dims.to_vec(),
            ty,
            offset: 0,
            size_b,
        });
        self.data.push(None);
        self.relayout();
        Ok(())
    }

    /// A tensor with its bytes (exactly its size).
    pub fn add_tensor(
        &mut self,
        name: &str,
        dims: &[u64],
        ty: GgmlType,
        data: Vec<u8>,
    ) -> Result<()> {
        let size_b =
            checked_size_b(dims, ty).map_err(|m| writer_err(&format!("tensor {name}"), m))?;
        if data.len() as u64 != size_b {
            return Err(writer_err(
                &format!("tensor {name}"),
                format!(
                    "{} bytes given, {size_b} expected for {dims:?} {ty}",
                    data.len()
                ),
            ));
        }
        self.add_tensor_info(name, dims, ty)?;
        if let Some(slot) = self.data.last_mut() {
            *slot = Some(data);
        }
        Ok(())
    }

    /// The infos as they will be written (offsets relative to the data start).
    pub fn tensor_infos(&self) -> &[TensorInfo] {
        &self.tensors
    }

    /// Offsets: each tensor starts at the previous end rounded up to the alignment. A bad
    /// alignment is reported by `write_with`; until then lay out with the default.
    fn relayout(&mut self) {
        let align = match self.alignment {
            Some(a) if a.is_power_of_two() => a,
            _ => DEFAULT_ALIGNMENT,
        };
        let mut next = 0u64;
        for t in &mut self.tensors {
            t.offset = next;
            next = align_up(next.saturating_add(t.size_b), align).unwrap_or(u64::MAX);
        }
    }

    pub fn write(&self, path: &Path) -> Result<()> {
        self.write_with(path, &mut |i, t| {
            Err(writer_err(
                &format!("tensor {}", t.name),
                format!("tensor {i} was added without data and write() has no fill"),
            ))
        })
    }

    /// Header, infos, then each tensor's bytes, from `add_tensor`'s data or `fill(index, info)`.
    /// Only one tensor's bytes are held at a time.
    pub fn write_with(
        &self,
        path: &Path,
        fill: &mut dyn FnMut(usize, &TensorInfo) -> Result<Vec<u8>>,
    ) -> Result<()> {
        let align = self.align_b();
        if !align.is_power_of_two() || align > u32::MAX as u64 {
            return Err(writer_err(
                KEY_ALIGNMENT,
                format!("alignment {align} is not a power of two that fits a u32"),
            ));
        }
        let mut kvs: Vec<(&str, Value)> = self
            .metadata
            .iter()
            .filter(|(k, _)| k != KEY_ALIGNMENT || self.alignment.is_none())
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        if self.alignment.is_some() {
            kvs.push((KEY_ALIGNMENT, Value::U32(align as u32)));
        }
        let mut header = Vec::new();
        header.extend_from_slice(&GGUF_MAGIC.to_le_bytes());
        header.extend_from_slice(&GGUF_VERSION.to_le_bytes());
        header.extend_from_slice(&(self.tensors.len() as u64).to_le_bytes());
        header.extend_from_slice(&(kvs.len() as u64).to_le_bytes());
        for (k, v) in &kvs {
            put_str(&mut header, k);
            header.extend_from_slice(&v.tag().to_le_bytes());
            put_value(&mut header, v, k)?;
        }
        for t in &self.tensors {
            put_str(&mut header, &t.name);
            header.extend_from_slice(&(t.dims.len() as u32).to_le_bytes());
            for d in &t.dims {
                header.extend_from_slice(&d.to_le_bytes());
            }
            header.extend_from_slice(&t.ty.id().to_le_bytes());
            header.extend_from_slice(&t.offset.to_le_bytes());
        }
        let data_start = align_up(header.len() as u64, align).unwrap_or(u64::MAX);
        header.resize(data_start as usize, 0);

        let f = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, f);
        let io = |e| Error::io(path, e);
        out.write_all(&header).map_err(io)?;
        let mut pos = 0u64; // relative to data start
        let zeros = vec![0u8; align as usize];
        for (i, t) in self.tensors.iter().enumerate() {
            let filled;
            let bytes: &[u8] = match &self.data[i] {
                Some(d) => d,
                None => {
                    filled = fill(i, t)?;
                    &filled
                }
            };
            if bytes.len() as u64 != t.size_b {
                return Err(writer_err(
                    &format!("tensor {}", t.name),
                    format!("fill gave {} bytes, {} expected", bytes.len(), t.size_b),
                ));
            }
            debug_assert_eq!(pos, t.offset);
            out.write_all(bytes).map_err(io)?;
            pos += t.size_b;
            let padded = align_up(pos, align).unwrap_or(pos);
            out.write_all(&zeros[..(padded - pos) as usize])
                .map_err(io)?;
            pos = padded;
        }
        out.flush().map_err(io)?;
        Ok(())
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// The value's bytes (its tag is written by the caller). Arrays must hold one element type.
fn put_value(out: &mut Vec<u8>, v: &Value, key: &str) -> Result<()> {
    match v {
        Value::U8(x) => out.push(*x),
        Value::I8(x) => out.push(*x as u8),
        Value::U16(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::I16(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::U32(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::I32(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::F32(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::Bool(x) => out.push(*x as u8),
        Value::Str(s) => put_str(out, s),
        Value::U64(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::I64(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::F64(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::Arr(items) => {
            // An empty array has no element to take a type from; u8 reads back as empty too.
            let elem = items.first().map_or(tag::UINT8, Value::tag);
            if let Some(bad) = items.iter().find(|x| x.tag() != elem) {
                return Err(writer_err(
                    key,
                    format!(
                        "array mixes {} and {} elements",
                        tag::name(elem),
                        bad.type_name()
                    ),
                ));
            }
            out.extend_from_slice(&elem.to_le_bytes());
            out.extend_from_slice(&(items.len() as u64).to_le_bytes());
            for x in items {
                put_value(out, x, key)?;
            }
        }
    }
    Ok(())
}
