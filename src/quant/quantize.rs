//! Quantize dispatch: shape checks, the finite-input check, and one call per block.
//!
//! Behaviour on non-finite input: for the block types (Q8_0, Q4_0, Q4_K, Q5_K, Q6_K) a NaN or
//! ±inf value is an `Error::Quant` naming its index; so is a block whose scale would overflow
//! f16 (|x| beyond about 8e6 for Q8_0, less for the K types). F16 and BF16 convert every value as
//! IEEE does (inf stays inf, NaN stays NaN, F16 overflows to ±inf).

use super::quant_k::{quant_q4_k, quant_q5_k, quant_q6_k};
use super::quant_legacy::{quant_bf16, quant_f16, quant_q4_0, quant_q8_0};
pub use super::search::Search;
use crate::{Error, GgmlType, Result};

/// Whether [`quantize`] supports `ty`.
pub fn can_quantize(ty: GgmlType) -> bool {
    matches!(
        ty,
        GgmlType::F16
            | GgmlType::BF16
            | GgmlType::Q8_0
            | GgmlType::Q4_0
            | GgmlType::Q4_K
            | GgmlType::Q5_K
            | GgmlType::Q6_K
    )
}

/// Quantizes `src` (a whole number of blocks) with the full scale search.
pub fn quantize(ty: GgmlType, src: &[f32]) -> Result<Vec<u8>> {
    quantize_with(ty, src, Search::Full)
}

/// As [`quantize`] with the shorter [`Search::Fast`] scale search (same bytes for F16, BF16,
/// Q8_0, Q4_0, which have no search).
pub fn quantize_fast(ty: GgmlType, src: &[f32]) -> Result<Vec<u8>> {
    quantize_with(ty, src, Search::Fast)
}

/// Quantizes `src` into a new vector with the given search.
pub fn quantize_with(ty: GgmlType, src: &[f32], search: Search) -> Result<Vec<u8>> {
    let n_b = out_len(ty, src.len())?;
    let mut out = vec![0u8; n_b];
    quantize_row_into_with(ty, src, &mut out, search)?;
    Ok(out)
}

/// Quantizes `src` into `dst` (exactly `bytes_for(src.len())` bytes) with the full search;
/// allocates nothing, so threaded callers can split a tensor by rows.
pub fn quantize_row_into(ty: GgmlType, src: &[f32], dst: &mut [u8]) -> Result<()> {
    quantize_row_into_with(ty, src, dst, Search::Full)
}

/// As [`quantize_row_into`] with [`Search::Fast`].
pub fn quantize_row_into_fast(ty: GgmlType, src: &[f32], dst: &mut [u8]) -> Result<()> {
    quantize_row_into_with(ty, src, dst, Search::Fast)
}

fn out_len(ty: GgmlType, n_elems: usize) -> Result<usize> {
    if !can_quantize(ty) {
        return Err(Error::Quant(format!("{ty}: no quantizer for this type")));
    }
    ty.bytes_for(n_elems as u64)
        .map(|b| b as usize)
        .ok_or_else(|| {
            Error::Quant(format!(
                "{ty}: {n_elems} values is not a whole number of {}-value blocks",
                ty.block_elems()
            ))
        })
}

/// Quantizes `src` into `dst` with the given search; allocation-free.
pub fn quantize_row_into_with(
    ty: GgmlType,
    src: &[f32],
    dst: &mut [u8],
    search: Search,
) -> Result<()> {
    let want = out_len(ty, src.len())?;
    if dst.len() != want {
        return Err(Error::Quant(format!(
            "{ty}: {} values need a {want}-byte destination, got {}",
            src.len(),
            dst.len()
        )));
    }
    match ty {
        GgmlType::F16 => {
            quant_f16(src, dst);
            return Ok(());
        }
        GgmlType::BF16 => {
            quant_bf16(src, dst);
            return Ok(());
        }
        _ => {}
    }
    if let Some(i) = src.iter().position(|v| !v.is_finite()) {
        return Err(Error::Quant(format!(
            "{ty}: value {i} is {} (only finite values can be quantized)",
            src[i]
        )));
    }
    let (be, bb) = (ty.block_elems(), ty.block_bytes());
    for (k, (x, out)) in src
        .chunks_exact(be)
        .zip(dst.chunks_exact_mut(bb))
        .enumerate()
    {
        let r = match ty {
            GgmlType::Q8_0 => quant_q8_0(x, out),
            GgmlType::Q4_0 => quant_q4_0(x, out),
            GgmlType::Q4_K => quant_q4_k(x, out, search),
            GgmlType::Q5_K => quant_q5_k(x, out, search),
            GgmlType::Q6_K => quant_q6_k(x, out, search),
            _ => Err("no quantizer"),
        };
        r.map_err(|m| {
            Error::Quant(format!(
                "{ty}: block {k} (values {}..{}): {m}",
                k * be,
                (k + 1) * be
            ))
        })?;
    }
    Ok(())
}

/// Quantizes `src` on `n_threads` scoped threads (each a run of whole blocks, no shared state);
/// the bytes equal [`quantize_with`]'s. `n_threads` 0 means `std::thread::available_parallelism`.
pub fn quantize_parallel(
    ty: GgmlType,
    src: &[f32],
    search: Search,
    n_threads: usize,
) -> Result<Vec<u8>> {
    let n_b = out_len(ty, src.len())?;
    let mut out = vec![0u8; n_b];
    let n_threads = match n_threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let (be, bb) = (ty.block_elems(), ty.block_bytes());
    let n_blocks = src.len() / be;
    let per = n_blocks.div_ceil(n_threads.max(1)).max(1);
    std::thread::scope(|s| {
        let jobs: Vec<_> = src
            .chunks(per * be)
            .zip(out.chunks_mut(per * bb))
            .map(|(x, o)| s.spawn(move || quantize_row_into_with(ty, x, o, search)))
            .collect();
        for (k, j) in jobs.into_iter().enumerate() {
            j.join()
                .map_err(|_| Error::Quant(format!("{ty}: quantize thread {k} panicked")))??;
        }
        Ok::<(), Error>(())
    })?;
    Ok(out)
}
