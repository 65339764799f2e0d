//! `synth_spec`: writes a registry model's GGUF with random weights, tensor by tensor, filling
//! each slab of tensor data on all threads.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::meta;
use super::pool::{Pool, CHUNK_ELEMS, WEIGHT_STD};
use super::rng::Rng;
use super::stream::{encode_header, StreamWriter, TensorHeader};
use super::vocab;
use crate::models::ftype::TensorRole;
use crate::models::plan::PlannedTensor;
use crate::models::registry::ModelSpec;
use crate::{Error, GgmlType, Result};

/// Chunks per PRNG stream: the unit threads split, so the bytes do not depend on thread count.
const SEGMENT_CHUNKS: usize = 4096;
/// Tensor data produced per write (bounded memory for multi-GB files).
const SLAB_B: usize = 64 << 20;

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

    let headers: Vec<TensorHeader> = plan
        .iter()
        .map(|t| TensorHeader {
            name: t.name.clone(),
            dims: t.dims.clone(),
            ty: t.ty,
            size_b: t.size_b(),
        })
        .collect();
    let tensor_b: u64 = headers.iter().map(|h| h.size_b).sum();
    let header = encode_header(&kvs, &headers);
    let total_b = header.len() as u64 + tensor_b;

    // One pool per quantized type used.
    let mut pools: HashMap<GgmlType, Pool> = HashMap::new();
    for t in &plan {
        if t.role != TensorRole::Vector && !pools.contains_key(&t.ty) {
            pools.insert(t.ty, Pool::new(t.ty, opts.seed, threads)?);
        }
    }

    let mut w = StreamWriter::create(path, &header)?;
    let rope_freqs = spec.config().rope_freqs;
    for (i, t) in plan.iter().enumerate() {
        progress(SynthProgress {
            tensor: i + 1,
            n_tensors: plan.len(),
            name: t.name.clone(),
            written_b: w.written_b(),
            total_b,
        });
        if t.role == TensorRole::Vector {
            let vals = vector_values(t, opts.seed, i, rope_freqs.as_deref());
            let bytes: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
            w.write(&bytes)?;
        } else {
            let pool = &pools[&t.ty];
            write_from_pool(&mut w, t, pool, opts.seed, i, threads, &mut |written_b| {
                progress(SynthProgress {
                    tensor: i + 1,
                    n_tensors: plan.len(),
                    name: t.name.clone(),
                    written_b,
                    total_b,
                })
            })?;
        }
        w.pad()?;
    }
    let file_b = w.finish()?;
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

/// A quantized tensor: slabs of chunks copied from `pool`, each segment of SEGMENT_CHUNKS chunks
/// picked by its own PRNG stream, segments spread over `threads`.
fn write_from_pool(
    w: &mut StreamWriter,
    t: &PlannedTensor,
    pool: &Pool,
    seed: u64,
    idx: usize,
    threads: usize,
    on_slab: &mut dyn FnMut(u64),
) -> Result<()> {
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
    let slab_segments = (SLAB_B / seg_b).max(1);
    let mut slab = vec![0u8; (slab_segments * seg_b).min(n_chunks * cb)];
    let n_segments = n_chunks.div_ceil(SEGMENT_CHUNKS);
    let mut seg0 = 0;
    while seg0 < n_segments {
        let seg_end = (seg0 + slab_segments).min(n_segments);
        let chunk_end = (seg_end * SEGMENT_CHUNKS).min(n_chunks);
        let buf = &mut slab[..(chunk_end - seg0 * SEGMENT_CHUNKS) * cb];
        let per_thread = (seg_end - seg0).div_ceil(threads.max(1));
        std::thread::scope(|s| {
            for (k, part) in buf.chunks_mut(per_thread * seg_b).enumerate() {
                let first_seg = seg0 + k * per_thread;
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
        w.write(buf)?;
        on_slab(w.written_b());
        seg0 = seg_end;
    }
    Ok(())
}
