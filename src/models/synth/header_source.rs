//! A parsed GGUF header plus the file bytes, as a [`MetaSource`]: lets synth's tests (and
//! anyone without the full GGUF reader) read a ModelConfig back from a written file.

use super::kv_read::{parse_header, Header};
use crate::models::{MetaScalar, MetaSource, ModelConfig};
use crate::{quant, Error, GgmlType, Result};

pub struct HeaderSource {
    pub file: String,
    pub header: Header,
    /// The file, mapped read-only (only the pages touched are read).
    pub bytes: memmap2::Mmap,
}

impl HeaderSource {
    pub fn open(path: &std::path::Path) -> Result<HeaderSource> {
        let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        // SAFETY: read-only private mapping; kernlab never writes a model file while reading it
        // (a file truncated by another process underneath would fault, as with any mmap reader).
        let bytes = unsafe { memmap2::Mmap::map(&f) }.map_err(|e| Error::io(path, e))?;
        let file = path.display().to_string();
        let header = parse_header(&file, &bytes)?;
        Ok(HeaderSource {
            file,
            header,
            bytes,
        })
    }

    pub fn config(&self) -> Result<ModelConfig> {
        ModelConfig::from_meta(self)
    }

    /// The data bytes of tensor `name` with its type and element count.
    pub fn tensor_data(&self, name: &str) -> Result<(GgmlType, u64, &[u8])> {
        let t = self
            .header
            .tensors
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| Error::Model(format!("{}: no tensor {name}", self.file)))?;
        let ty = GgmlType::from_id(t.ty_id).ok_or_else(|| {
            Error::Model(format!(
                "{}: {name} has unknown type {}",
                self.file, t.ty_id
            ))
        })?;
        let n: u64 = t.dims.iter().product();
        let size = ty.bytes_for(n).ok_or_else(|| {
            Error::Model(format!(
                "{}: {name}: {n} values are not whole blocks",
                self.file
            ))
        })?;
        let start = self.header.data_start.saturating_add(t.offset);
        let end = start.saturating_add(size);
        if end > self.bytes.len() as u64 {
            return Err(Error::Model(format!(
                "{}: {name} data {start}..{end} is past the end of the file ({} bytes)",
                self.file,
                self.bytes.len()
            )));
        }
        Ok((ty, n, &self.bytes[start as usize..end as usize]))
    }
}

impl MetaSource for HeaderSource {
    fn source_name(&self) -> String {
        self.file.clone()
    }

    fn meta(&self, key: &str) -> Option<MetaScalar> {
        self.header
            .kvs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.to_scalar())
    }

    fn tensor_dims(&self, name: &str) -> Option<Vec<u64>> {
        self.header
            .tensors
            .iter()
            .find(|t| t.name == name)
            .map(|t| t.dims.clone())
    }

    fn tensor_f32(&self, name: &str) -> Result<Vec<f32>> {
        let (ty, n, data) = self.tensor_data(name)?;
        quant::dequantize_to_vec(ty, data, n as usize)
    }
}
