//! `--check-against-cpu` predicted without a GPU: the CPU reference runs every position twice,
//! once exact and once with the roundings a GPU plan makes, and the two are compared as the
//! check compares GPU and CPU ([`Tally`]).
//!
//! The roundings modelled are the ones that move logits measurably: K and V stored in f16 (every
//! plan), and x taken as integers per 32 columns by the Q4_K matvecs of `--q4k-dot i8|i16`
//! (matvec_q4_k_d / _d16, [`reference::matvec_fused_x_int`]). The f32 kernels' other differences
//! from the reference (summation order, f32 instead of f64 partial sums) are left out: on the
//! H100 the f32 plan's whole error (1.2e-3 on qwen3-1.7b-q4km) is the f16 cache's size.

use super::decode_check::{CheckReport, Tally};
use super::kernels::{fused_matvec_named, matvec_pair_named};
use super::plan::DecodePlan;
use super::reference::{q4_k_min_part, quantize_x_int_32, Q4_K_BLOCK_B};
use crate::cpu::matvec::matvec;
use crate::cpu::ops::argmax;
use crate::cpu::{CpuModel, Matrix, Rounding};
use crate::gguf::GgufFile;
use crate::GgmlType;
use crate::{Error, Result};
use std::collections::HashMap;

/// x as integers in one matrix's matvec.
struct XInt {
    /// 127 (int8) or 32767 (int16): [`quantize_x_int_32`]'s `qmax`.
    qmax: u32,
    /// The −dmin·m term of every row's 32-column sub-blocks (rows × cols/32): the kernel takes
    /// it against x itself (its staged f32 sums), only d·sc·q against the rounded x.
    mins: Vec<f32>,
}

/// The roundings of one GPU plan, as a [`Rounding`] for [`CpuModel::forward_rounded`].
pub struct GpuRoundings {
    x_int: HashMap<(usize, Matrix), XInt>,
}

impl GpuRoundings {
    /// The roundings `plan` makes on the weights of `file`: the f16 KV cache, and x as integers
    /// for each Q4_K tensor of a launch whose kernel (or its pair's Q4_K part) takes x so.
    pub fn for_plan(plan: &DecodePlan, file: &GgufFile) -> Result<GpuRoundings> {
        let head =
            DecodePlan::lm_head_tensor(&plan.config, &plan.weights).trim_end_matches(".weight");
        let mut x_int = HashMap::new();
        for l in &plan.launches {
            let entry = l.kernel.entry;
            let qmax = match matvec_pair_named(entry) {
                Some(p) => p
                    .parts
                    .iter()
                    .filter_map(|e| fused_matvec_named(e))
                    .map(|m| m.x_int_max)
                    .max()
                    .unwrap_or(0),
                None => fused_matvec_named(entry).map_or(0, |m| m.x_int_max),
            };
            if qmax == 0 {
                continue;
            }
            let label = if l.label == "lm_head" { head } else { &l.label };
            for name in label.split('+') {
                let Some(t) = file.tensor(&format!("{name}.weight")) else {
                    return Err(Error::Model(format!(
                        "launch {} ({entry}) reads {name}, which the file does not have",
                        l.label
                    )));
                };
                if t.ty != GgmlType::Q4_K {
                    continue; // a pair's Q6_K part takes x as f32
                }
                let key = Matrix::parse(name, head).ok_or_else(|| {
                    Error::Model(format!(
                        "launch {} reads {name}: not a matrix the CPU model knows",
                        l.label
                    ))
                })?;
                let mins = q4_k_mins(file.tensor_data(t))?;
                x_int.insert(key, XInt { qmax, mins });
            }
        }
        Ok(GpuRoundings { x_int })
    }

    /// How many matrices take x as integers, and their largest `qmax` (0: none).
    pub fn x_int_summary(&self) -> (usize, u32) {
        let qmax = self.x_int.values().map(|x| x.qmax).max().unwrap_or(0);
        (self.x_int.len(), qmax)
    }
}

/// −dmin·m of each 32-column sub-block of Q4_K `data`, in order (what dequantizing gives where
/// the nibble is 0: the same f32 product as the weights).
fn q4_k_mins(data: &[u8]) -> Result<Vec<f32>> {
    if !data.len().is_multiple_of(Q4_K_BLOCK_B) {
        return Err(Error::Model(format!(
            "Q4_K data of {} B is not whole {Q4_K_BLOCK_B} B blocks",
            data.len()
        )));
    }
    let mut w = vec![0f32; data.len() / Q4_K_BLOCK_B * 256];
    crate::quant::dequantize(GgmlType::Q4_K, &q4_k_min_part(data), &mut w)?;
    Ok(w.into_iter().step_by(32).collect())
}

impl Rounding for GpuRoundings {
    fn store_kv(&self, kv: &mut [f32]) {
        for v in kv {
            *v = half::f16::from_f32(*v).to_f32();
        }
    }

    /// The kernel's y = s (Wq·v̂ + Wm·v) with v = x rounded per 32 columns (v̂) or not: here
    /// W·v̂ + Wm·(v − v̂), Wm constant over each sub-block. The kernel rounds x∘norm_w before
    /// the 1/rms scale the reference has already applied; rounding per block is scale-free up
    /// to f32's last bit.
    fn matvec(
        &self,
        layer: usize,
        m: Matrix,
        y: &mut [f32],
        w: &[f32],
        x: &[f32],
        threads: usize,
    ) -> bool {
        let Some(xi) = self.x_int.get(&(layer, m)) else {
            return false;
        };
        let (xq, _) = quantize_x_int_32(x, xi.qmax);
        matvec(y, w, &xq, threads);
        let dx: Vec<f32> = x
            .chunks(32)
            .zip(xq.chunks(32))
            .map(|(a, b)| a.iter().zip(b).map(|(a, b)| a - b).sum())
            .collect();
        for (yr, mr) in y.iter_mut().zip(xi.mins.chunks_exact(dx.len())) {
            *yr += mr.iter().zip(&dx).map(|(m, d)| m * d).sum::<f32>();
        }
        true
    }
}

/// Greedy decode of `prompt` then `n_gen` tokens with `g`'s roundings, every position also run
/// exactly on the same token, compared as [`super::check_against_cpu`] compares GPU and CPU.
/// `on_row` gets every rounded logits row (for dumps), `progress` (done, total) after each
/// position.
pub fn predict_check(
    cpu: &mut CpuModel,
    g: &GpuRoundings,
    prompt: &[u32],
    n_gen: usize,
    mut on_row: impl FnMut(usize, &[f32]) -> Result<()>,
    mut progress: impl FnMut(usize, usize),
) -> Result<CheckReport> {
    if prompt.is_empty() {
        return Err(Error::Usage("the prompt needs at least one token".into()));
    }
    let total = prompt.len() + n_gen;
    let (mut rounded_cache, mut exact_cache) = (cpu.new_cache(total), cpu.new_cache(total));
    let n_vocab = cpu.config.n_vocab;
    let (mut rounded, mut exact) = (vec![0.0f32; n_vocab], vec![0.0f32; n_vocab]);
    let mut tally = Tally::new(total, prompt.len());
    for pos in 0..total {
        let token = if pos < prompt.len() {
            prompt[pos]
        } else {
            let t = argmax(&rounded).ok_or_else(|| {
                Error::Check(format!(
                    "every rounded logit at position {} is NaN",
                    pos - 1
                ))
            })? as u32;
            tally.pick(pos, t, &exact);
            t
        };
        cpu.forward_rounded(token, pos, &mut rounded_cache, &mut rounded, g)?;
        cpu.forward(token, pos, &mut exact_cache, &mut exact)?;
        on_row(pos, &rounded)?;
        tally.compare(pos, &rounded, &exact);
        progress(pos + 1, total);
    }
    Ok(tally.r)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Q4_K block with every field set: the mins must be what dequantizing gives at nibble 0.
    #[test]
    fn q4_k_mins_are_the_weights_at_nibble_zero() {
        let mut blk = [0u8; Q4_K_BLOCK_B];
        for (i, b) in blk.iter_mut().enumerate() {
            *b = (i * 37 + 11) as u8;
        }
        // d and dmin finite f16s: 0.5 and 0.25.
        blk[..2].copy_from_slice(&half::f16::from_f32(0.5).to_le_bytes());
        blk[2..4].copy_from_slice(&half::f16::from_f32(0.25).to_le_bytes());
        let mins = q4_k_mins(&blk).unwrap();
        let mut w = [0f32; 256];
        crate::quant::dequantize(GgmlType::Q4_K, &blk, &mut w).unwrap();
        let (sc, m) = (0..8)
            .map(|j| crate::quant::blocks::get_scale_min_k4(j, blk[4..16].try_into().unwrap()))
            .unzip::<_, _, Vec<u8>, Vec<u8>>();
        for j in 0..8 {
            assert_eq!(mins[j], -(0.25 * m[j] as f32), "sub-block {j}");
            // Every weight of the sub-block is its d·sc·q part plus this min.
            for l in 0..32 {
                let q = (blk[16 + 32 * (j / 2) + l] >> (4 * (j % 2))) & 15;
                assert_eq!(w[32 * j + l], 0.5 * sc[j] as f32 * q as f32 + mins[j]);
            }
        }
        assert!(q4_k_mins(&blk[..100]).is_err());
    }

    /// The emulated matvec is the kernel's own model (`reference::matvec_fused_x_int`, which
    /// the PTX interpreter and the GPU selftest hold matvec_q4_k_d / _d16 to), on fresh random
    /// rows for both integer widths; and it is not the f32 matvec.
    #[test]
    fn x_int_matvec_is_the_kernels_model() {
        use crate::bench::rng::Rng;
        use crate::engine::launch::MatvecMode;
        use crate::engine::reference::matvec_fused_x_int;
        let mut rng = Rng::fresh();
        let (rows, cols) = (6, 512);
        let wf = rng.vec_f32_signed(rows * cols);
        let w = crate::quant::quantize(GgmlType::Q4_K, &wf).unwrap();
        let mut wd = vec![0f32; rows * cols];
        crate::quant::dequantize(GgmlType::Q4_K, &w, &mut wd).unwrap();
        let x = rng.vec_f32_signed(cols);
        for qmax in [127, 32767] {
            let mut g = GpuRoundings {
                x_int: HashMap::new(),
            };
            let mins = q4_k_mins(&w).unwrap();
            g.x_int.insert((2, Matrix::FfnUp), XInt { qmax, mins });
            let mut y = vec![f32::NAN; rows];
            assert!(g.matvec(2, Matrix::FfnUp, &mut y, &wd, &x, 1));
            let (want, _) =
                matvec_fused_x_int(qmax, &w, rows, cols, &x, None, 0.0, MatvecMode::Store, None)
                    .unwrap();
            let mut exact = vec![0f32; rows];
            matvec(&mut exact, &wd, &x, 1);
            let scale = want.iter().fold(0f64, |m, v| m.max(v.abs()));
            for r in 0..rows {
                let d = (y[r] as f64 - want[r]).abs();
                assert!(
                    d <= 1e-5 * scale,
                    "qmax {qmax} row {r}: {} vs {}",
                    y[r],
                    want[r]
                );
            }
            if qmax == 127 {
                assert!(y
                    .iter()
                    .zip(&exact)
                    .any(|(a, b)| (a - b).abs() > 1e-4 * scale as f32));
            }
            // Other matrices are left to the exact matvec.
            assert!(!g.matvec(1, Matrix::FfnUp, &mut y, &wd, &x, 1));
        }
    }
}
