//! `ModelConfig` from GGUF metadata (models-and-quants.md §1 keys and defaults, §3 rope). The
//! parsing is written against [`MetaSource`], which the GGUF reader implements.

use super::config::{Arch, ModelConfig};
use crate::gguf::{GgufFile, Value};
use crate::{quant, Error, Result};

/// One metadata value, reduced to what a config needs.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaScalar {
    Int(i128),
    Float(f64),
    Bool(bool),
    Str(String),
    /// An array: only its length matters here (token count).
    Array(usize),
}

/// What the config reader needs from a model file.
pub trait MetaSource {
    /// The file's name for error messages.
    fn source_name(&self) -> String;
    fn meta(&self, key: &str) -> Option<MetaScalar>;
    /// ne-order dims of a tensor, None when absent.
    fn tensor_dims(&self, name: &str) -> Option<Vec<u64>>;
    /// A tensor's values as f32 (dequantized if stored quantized).
    fn tensor_f32(&self, name: &str) -> Result<Vec<f32>>;
}

struct Reader<'a> {
    src: &'a dyn MetaSource,
    arch: &'static str,
}

impl Reader<'_> {
    fn err(&self, msg: String) -> Error {
        Error::Model(format!("{}: {msg}", self.src.source_name()))
    }

    fn key(&self, k: &str) -> String {
        format!("{}.{k}", self.arch)
    }

    fn opt_uint(&self, key: &str) -> Result<Option<usize>> {
        match self.src.meta(key) {
            None => Ok(None),
            Some(MetaScalar::Int(v)) if v >= 0 && v <= u32::MAX as i128 => Ok(Some(v as usize)),
            Some(other) => Err(self.err(format!(
                "key {key} should be a non-negative integer, found {other:?}"
            ))),
        }
    }

    fn uint(&self, key: &str) -> Result<usize> {
        self.opt_uint(key)?
            .ok_or_else(|| self.err(format!("missing required key {key}")))
    }

    fn opt_float(&self, key: &str) -> Result<Option<f32>> {
        match self.src.meta(key) {
            None => Ok(None),
            Some(MetaScalar::Float(v)) => Ok(Some(v as f32)),
            Some(MetaScalar::Int(v)) => Ok(Some(v as f32)),
            Some(other) => Err(self.err(format!("key {key} should be a number, found {other:?}"))),
        }
    }

    fn opt_bool(&self, key: &str) -> Result<Option<bool>> {
        match self.src.meta(key) {
            None => Ok(None),
            Some(MetaScalar::Bool(b)) => Ok(Some(b)),
            Some(MetaScalar::Int(v)) => Ok(Some(v != 0)),
            Some(other) => Err(self.err(format!("key {key} should be a bool, found {other:?}"))),
        }
    }
}

impl ModelConfig {
    /// The config of an opened GGUF file.
    pub fn from_gguf(f: &GgufFile) -> Result<ModelConfig> {
        ModelConfig::from_meta(f)
    }

    /// The config of the GGUF file at `path` (mapped; only the header and rope_freqs are read).
    pub fn from_path(path: &std::path::Path) -> Result<ModelConfig> {
        ModelConfig::from_gguf(&GgufFile::open(path)?)
    }

    /// Reads the config of a `llama` or `qwen3` file; a missing or ill-typed key, an unknown
    /// architecture or inconsistent shapes give one `Error::Model` line naming the key.
    pub fn from_meta(src: &dyn MetaSource) -> Result<ModelConfig> {
        let name = src.source_name();
        let arch_s = match src.meta("general.architecture") {
            Some(MetaScalar::Str(s)) => s,
            Some(o) => {
                return Err(Error::Model(format!(
                    "{name}: key general.architecture should be a string, found {o:?}"
                )))
            }
            None => {
                return Err(Error::Model(format!(
                    "{name}: missing required key general.architecture"
                )))
            }
        };
        let arch = Arch::from_gguf_name(&arch_s).ok_or_else(|| {
            Error::Model(format!(
                "{name}: general.architecture is '{arch_s}'; kernlab runs llama and qwen3"
            ))
        })?;
        let r = Reader {
            src,
            arch: arch.gguf_name(),
        };
        let n_embd = r.uint(&r.key("embedding_length"))?;
        let n_layer = r.uint(&r.key("block_count"))?;
        let n_ff = r.uint(&r.key("feed_forward_length"))?;
        let n_head = r.uint(&r.key("attention.head_count"))?;
        let n_head_kv = r
            .opt_uint(&r.key("attention.head_count_kv"))?
            .unwrap_or(n_head);
        let n_ctx_train = r.uint(&r.key("context_length"))?;
        let rms_eps = r
            .opt_float(&r.key("attention.layer_norm_rms_epsilon"))?
            .ok_or_else(|| {
                r.err(format!(
                    "missing required key {}",
                    r.key("attention.layer_norm_rms_epsilon")
                ))
            })?;
        if n_head == 0 || n_head_kv == 0 || n_head % n_head_kv != 0 || n_layer == 0 {
            return Err(r.err(format!(
                "bad head counts: head_count {n_head}, head_count_kv {n_head_kv}, block_count {n_layer}"
            )));
        }
        if n_embd % n_head != 0 && src.meta(&r.key("attention.key_length")).is_none() {
            return Err(r.err(format!(
                "embedding_length {n_embd} is not a multiple of head_count {n_head} and {} is absent",
                r.key("attention.key_length")
            )));
        }
        let head_dim = r
            .opt_uint(&r.key("attention.key_length"))?
            .unwrap_or(n_embd / n_head);
        let v_dim = r
            .opt_uint(&r.key("attention.value_length"))?
            .unwrap_or(head_dim);
        if v_dim != head_dim || head_dim == 0 || head_dim % 2 != 0 {
            return Err(r.err(format!(
                "key_length {head_dim} / value_length {v_dim}: kernlab needs equal, even head sizes"
            )));
        }
        let rope_theta = r.opt_float(&r.key("rope.freq_base"))?.unwrap_or(10000.0);
        let rope_dim = r
            .opt_uint(&r.key("rope.dimension_count"))?
            .unwrap_or(head_dim);
        if rope_dim == 0 || rope_dim > head_dim || rope_dim % 2 != 0 {
            return Err(r.err(format!(
                "rope.dimension_count {rope_dim} must be even and at most the head size {head_dim}"
            )));
        }
        let embd = src
            .tensor_dims("token_embd.weight")
            .ok_or_else(|| r.err("missing tensor token_embd.weight".to_string()))?;
        let n_vocab_t = embd.get(1).copied().unwrap_or(0) as usize;
        if embd.first().copied() != Some(n_embd as u64) {
            return Err(r.err(format!(
                "token_embd.weight has dims {embd:?}, expected [{n_embd}, n_vocab]"
            )));
        }
        let n_vocab = match r.opt_uint(&r.key("vocab_size"))? {
            Some(v) => v,
            None => n_vocab_t,
        };
        if n_vocab != n_vocab_t || n_vocab == 0 {
            return Err(r.err(format!(
                "vocab_size {n_vocab} but token_embd.weight has {n_vocab_t} rows"
            )));
        }
        let tied_embeddings = src.tensor_dims("output.weight").is_none();
        let qk_norm = src.tensor_dims("blk.0.attn_q_norm.weight").is_some();
        let rope_freqs = match src.tensor_dims("rope_freqs.weight") {
            None => None,
            Some(d) => {
                let v = src.tensor_f32("rope_freqs.weight")?;
                if v.len() != rope_dim / 2 || d.iter().product::<u64>() != v.len() as u64 {
                    return Err(r.err(format!(
                        "rope_freqs.weight has {} values, expected rope_dim/2 = {}",
                        v.len(),
                        rope_dim / 2
                    )));
                }
                if v.iter().any(|x| !x.is_finite() || *x <= 0.0) {
                    return Err(r.err(
                        "rope_freqs.weight holds a non-positive or non-finite divisor".into(),
                    ));
                }
                Some(v)
            }
        };
        let tok = |k: &str| -> Result<Option<u32>> {
            Ok(r.opt_uint(&format!("tokenizer.ggml.{k}"))?
                .map(|v| v as u32))
        };
        let bos_token = tok("bos_token_id")?;
        let eos_token = tok("eos_token_id")?;
        let add_bos = r
            .opt_bool("tokenizer.ggml.add_bos_token")?
            .unwrap_or(arch == Arch::Llama);
        Ok(ModelConfig {
            arch,
            n_embd,
            n_layer,
            n_head,
            n_head_kv,
            head_dim,
            n_ff,
            n_vocab,
            n_ctx_train,
            rope_theta,
            rope_dim,
            rope_style: arch.rope_style(),
            rms_eps,
            qk_norm,
            tied_embeddings,
            rope_freqs,
            bos_token,
            eos_token,
            add_bos,
        })
    }
}

/// A GGUF value as the config reader sees it.
pub fn scalar_of(v: &Value) -> MetaScalar {
    match v {
        Value::F32(x) => MetaScalar::Float(*x as f64),
        Value::F64(x) => MetaScalar::Float(*x),
        Value::Bool(b) => MetaScalar::Bool(*b),
        Value::Str(s) => MetaScalar::Str(s.clone()),
        Value::Arr(a) => MetaScalar::Array(a.len()),
        Value::U8(x) => MetaScalar::Int(*x as i128),
        Value::I8(x) => MetaScalar::Int(*x as i128),
        Value::U16(x) => MetaScalar::Int(*x as i128),
        Value::I16(x) => MetaScalar::Int(*x as i128),
        Value::U32(x) => MetaScalar::Int(*x as i128),
        Value::I32(x) => MetaScalar::Int(*x as i128),
        Value::U64(x) => MetaScalar::Int(*x as i128),
        Value::I64(x) => MetaScalar::Int(*x as i128),
    }
}

impl MetaSource for GgufFile {
    fn source_name(&self) -> String {
        self.path.display().to_string()
    }

    fn meta(&self, key: &str) -> Option<MetaScalar> {
        self.get(key).map(scalar_of)
    }

    fn tensor_dims(&self, name: &str) -> Option<Vec<u64>> {
        self.tensor(name).map(|t| t.dims.clone())
    }

    fn tensor_f32(&self, name: &str) -> Result<Vec<f32>> {
        let t = self
            .tensor(name)
            .ok_or_else(|| Error::Model(format!("{}: no tensor {name}", self.path.display())))?;
        let data = self.tensor_data(t);
        if data.len() as u64 != t.size_b {
            return Err(Error::Model(format!(
                "{}: {name} data does not fit in the file",
                self.path.display()
            )));
        }
        quant::dequantize_to_vec(t.ty, data, t.n_elems() as usize)
    }
}
