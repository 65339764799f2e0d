//! An opened GGUF file: parsed metadata and tensor infos over a zero-copy view of the bytes
//! (a read-only memory map, or owned bytes for tests and fuzzing).

use super::parse::{parse, Parsed};
use super::tensor::TensorInfo;
use super::value::Value;
use crate::{Error, Result};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Debug)]
enum Bytes {
    Map(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Bytes {
    fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Map(m) => m,
            Bytes::Owned(v) => v,
        }
    }
}

#[derive(Debug)]
pub struct GgufFile {
    pub path: PathBuf,
    pub version: u32,
    /// general.alignment, or 32.
    pub alignment: u64,
    /// Absolute file offset of the tensor data: align_up(end of tensor infos, alignment).
    pub data_offset: u64,
    /// Key/value pairs in file order.
    pub metadata: Vec<(String, Value)>,
    /// Tensor infos in file order.
    pub tensors: Vec<TensorInfo>,
    tensor_index: HashMap<String, usize>,
    bytes: Bytes,
}

impl GgufFile {
    /// Map the file read-only and parse it. The tensor data is not copied.
    pub fn open(path: impl AsRef<Path>) -> Result<GgufFile> {
        let path = path.as_ref();
        let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let len = f.metadata().map_err(|e| Error::io(path, e))?.len();
        let bytes = if len == 0 {
            Bytes::Owned(Vec::new())
        } else {
            // SAFETY: the mapping is read-only and private to this process; a file truncated by
            // another process while mapped would fault on access, which no reader can prevent
            // (llama.cpp and gguf-py map files the same way).
            let map = unsafe { memmap2::Mmap::map(&f) }.map_err(|e| Error::io(path, e))?;
            Bytes::Map(map)
        };
        Self::from_parts(path.to_path_buf(), bytes)
    }

    /// The same parser over bytes in memory; `name` stands for the path in errors.
    pub fn from_bytes(bytes: Vec<u8>, name: &str) -> Result<GgufFile> {
        Self::from_parts(PathBuf::from(name), Bytes::Owned(bytes))
    }

    fn from_parts(path: PathBuf, bytes: Bytes) -> Result<GgufFile> {
        let name = path.display().to_string();
        let Parsed {
            version,
            alignment,
            data_offset,
            metadata,
            tensors,
            tensor_index,
        } = parse(bytes.as_slice(), &name)?;
        Ok(GgufFile {
            path,
            version,
            alignment,
            data_offset,
            metadata,
            tensors,
            tensor_index,
            bytes,
        })
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Any non-negative integer value.
    pub fn get_u64(&self, key: &str) -> Option<u64> {
        self.get(key)?.as_u64()
    }

    /// An f32 or f64 value.
    pub fn get_f32(&self, key: &str) -> Option<f32> {
        self.get(key)?.as_f32()
    }

    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key)?.as_str()
    }

    pub fn get_bool(&self, key: &str) -> Option<bool> {
        self.get(key)?.as_bool()
    }

    /// An array whose elements are all strings.
    pub fn get_str_array(&self, key: &str) -> Option<Vec<&str>> {
        self.get(key)?.as_arr()?.iter().map(Value::as_str).collect()
    }

    /// An array whose elements are all f32 (or f64).
    pub fn get_f32_array(&self, key: &str) -> Option<Vec<f32>> {
        self.get(key)?.as_arr()?.iter().map(Value::as_f32).collect()
    }

    /// An array whose elements are all integers that fit an i32 (token types are i32 in files
    /// from llama.cpp, other widths in some converters).
    pub fn get_i32_array(&self, key: &str) -> Option<Vec<i32>> {
        self.get(key)?
            .as_arr()?
            .iter()
            .map(|v| v.as_i64().and_then(|x| i32::try_from(x).ok()))
            .collect()
    }

    /// general.architecture ("llama", "qwen3").
    pub fn architecture(&self) -> Option<&str> {
        self.get_str("general.architecture")
    }

    pub fn tensor(&self, name: &str) -> Option<&TensorInfo> {
        self.tensor_index.get(name).map(|&i| &self.tensors[i])
    }

    /// The tensor's bytes, a slice of the mapping. Infos from this file were checked at open;
    /// an info that does not fit this file gives an empty slice.
    pub fn tensor_data(&self, t: &TensorInfo) -> &[u8] {
        let start = self.data_offset.checked_add(t.offset);
        let end = start.and_then(|s| s.checked_add(t.size_b));
        match (start, end) {
            (Some(s), Some(e)) => {
                let (Ok(s), Ok(e)) = (usize::try_from(s), usize::try_from(e)) else {
                    return &[];
                };
                self.bytes.as_slice().get(s..e).unwrap_or(&[])
            }
            _ => &[],
        }
    }

    /// Sum of all tensors' sizes (without padding).
    pub fn data_bytes(&self) -> u64 {
        self.tensors.iter().map(|t| t.size_b).sum()
    }

    /// Size of the whole file in bytes.
    pub fn file_bytes(&self) -> u64 {
        self.bytes.as_slice().len() as u64
    }
}
