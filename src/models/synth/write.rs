//! `synth_spec`: writes a registry model's GGUF with random weights, tensor by tensor, filling
//! each tensor's data on all threads.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::meta;
use super::pool::{Pool, CHUNK_ELEMS, WEIGHT_STD};
use super::rng::Rng;
use super::vocab;
use crate::gguf::GgufWriter;
use crate::models::ftype::TensorRole;
use crate::models::plan::PlannedTensor;
use crate::models::registry::ModelSpec;
use crate::{Error, GgmlType, Result};

/// Chunks per PRNG stream: the unit threads split, so the bytes do not depend on thread count.
const SEGMENT_CHUNKS: usize = 4096;

#[derive(Debug, Clone, Default)]
pub struct SynthOptions {
    pub seed: u64,
    /// Override of the layer count (small test files with the real per-layer shapes).
    pub layers: Option<usize>,
    /// Worker threads; 0 = all cores.
    pub threads: usize,
    /// A vocab GGUF whose tokenizer.* keys are copied; None = look in the default places.
    pub vocab_gguf: Option<PathBuf>,
}

/// Where a long write is, for a progress line.
#[derive(Debug, Clone)]
pub struct SynthProgress {
    /// 1-based index of the tensor being written.
    pub tensor: usize,
    pub n_tensors: usize,
    pub name: String,
    /// Tensor data bytes written before this tensor, of `total_b` in all.
    pub written_b: u64,
    pub total_b: u64,
}

#[derive(Debug, Clone)]
pub struct SynthReport {
    pub path: PathBuf,
    pub name: String,
    pub n_layer: usize,
    pub n_tensors: usize,
    /// Sum of tensor data bytes (llama-bench model_size).
    pub tensor_b: u64,
    pub file_b: u64,
    pub elapsed_s: f64,
    pub threads: usize,
    /// Where the tokenizer came from (copied file, or "generated ...").
    pub vocab_note: String,
}

/// `spec` with the layer override applied.
pub fn effective_spec(spec: &ModelSpec, layers: Option<usize>) -> Result<ModelSpec> {
    let mut s = spec.clone();
    if let Some(n) = layers {
        if n == 0 || n > spec.n_layer {
            return Err(Error::Usage(format!(
                "--layers {n}: {} has 1..={} layers",
                spec.name, spec.n_layer
            )));
        }
        s.n_layer = n;
    }
    Ok(s)
}

/// Writes a random-weight GGUF of `spec` to `path`.
pub fn synth_spec(
    spec: &ModelSpec,
    path: &Path,
    opts: &SynthOptions,
    progress: &mut dyn FnMut(SynthProgress),
) -> Result<SynthReport> {
    let start = Instant::now();
    let spec = effective_spec(spec, opts.layers)?;
    let threads = match opts.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let plan = spec.tensor_plan();

    let mut kvs = meta::model_kvs(&spec, opts.seed);
    let (tok_kvs, vocab_note) = vocab::tokenizer_kvs(&spec, opts.vocab_gguf.as_deref())?;
    kvs.extend(tok_kvs);
    kvs.extend(meta::special_token_kvs(&spec));

    let mut w = GgufWriter::new();
    for (k, v) in kvs {
        w.add(&k, v);
    }
    for t in &plan {
        w.add_tensor_info(&t.name, &t.dims, t.ty)?;
    }
    let tensor_b: u64 = plan.iter().map(|t| t.size_b()).sum();

    // One pool per quantized type used.
    let mut pools: HashMap<GgmlType, Pool> = HashMap::new();
    for t in &plan {
        if t.role != TensorRole::Vector && !pools.contains_key(&t.ty) {
            pools.insert(t.ty, Pool::new(t.ty, opts.seed, threads)?);
        }
    }

    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let rope_freqs = spec.config().rope_freqs;
    let mut written_b = 0u64;
    w.write_with(path, &mut |i, info| {
        let t = &plan[i];
        progress(SynthProgress {
            tensor: i + 1,
            n_tensors: plan.len(),
            name: t.name.clone(),
            written_b,
            total_b: tensor_b,
        });
        written_b += info.size_b;
        if t.role == TensorRole::Vector {
            let vals = vector_values(t, opts.seed, i, rope_freqs.as_deref());
            Ok(vals.iter().flat_map(|v| v.to_le_bytes()).collect())
        } else {
            fill_from_pool(t, &pools[&t.ty], opts.seed, i, threads)
        }
    })?;
    progress(SynthProgress {
        tensor: plan.len(),
        n_tensors: plan.len(),
        name: "done".into(),
        written_b,
        total_b: tensor_b,
    });
    let file_b = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    Ok(SynthReport {
        path: path.to_path_buf(),
        name: spec.name.to_string(),
        n_layer: spec.n_layer,
        n_tensors: plan.len(),
        tensor_b,
        file_b,
        elapsed_s: start.elapsed().as_secs_f64(),
        threads,
        vocab_note,
    })
}

/// 1-D F32 tensors: rope_freqs gets the llama3 divisors; norm weights 1 ± small noise.
fn vector_values(t: &PlannedTensor, seed: u64, idx: usize, rope_freqs: Option<&[f32]>) -> Vec<f32> {
    if t.name == "rope_freqs.weight" {
        if let Some(f) = rope_freqs {
            return f.to_vec();
        }
    }
    let mut rng = Rng::new(seed, 0xF32_0000_0000 | idx as u64);
    (0..t.n_elems())
        .map(|_| 1.0 + WEIGHT_STD * rng.normal())
        .collect()
}

/// A quantized tensor's bytes: chunks copied from `pool`, each segment of SEGMENT_CHUNKS chunks
/// picked by its own PRNG stream, segments spread over `threads`.
fn fill_from_pool(
    t: &PlannedTensor,
    pool: &Pool,
    seed: u64,
    idx: usize,
    threads: usize,
) -> Result<Vec<u8>> {
    let n_chunks = (t.n_elems() / CHUNK_ELEMS as u64) as usize;
    if n_chunks as u64 * CHUNK_ELEMS as u64 != t.n_elems() {
        return Err(Error::Model(format!(
            "{}: {} values is not a whole number of 256-value chunks",
            t.name,
            t.n_elems()
        )));
    }
    let cb = pool.chunk_b;
    let seg_b = SEGMENT_CHUNKS * cb;
    let mut buf = vec![0u8; n_chunks * cb];
    let n_segments = n_chunks.div_ceil(SEGMENT_CHUNKS);
    let per_thread = n_segments.div_ceil(threads.max(1));
    std::thread::scope(|s| {
        for (k, part) in buf.chunks_mut(per_thread * seg_b).enumerate() {
            let first_seg = k * per_thread;
            s.spawn(move || {
                for (j, seg) in part.chunks_mut(seg_b).enumerate() {
                    let stream = ((idx as u64) << 32) | (first_seg + j) as u64;
                    let mut rng = Rng::new(seed, stream);
                    for dst in seg.chunks_exact_mut(cb) {
                        dst.copy_from_slice(pool.chunk(rng.below(super::POOL_CHUNKS)));
                    }
                }
            });
        }
    });
    Ok(buf)
}
