//! The launch plan run on the CPU: each planned launch is executed by a host model of its kernel
//! (the semantics in the ptx/decode headers) over byte buffers standing for the device buffers,
//! with the arguments exactly as the plan binds them. Its logits must match the CPU reference
//! decoder at every position, and its chained argmax/advance must reproduce greedy decoding.
//! This checks the plan's wiring (buffers, offsets, layer strides, accumulate flags, tied head,
//! position/token chaining) without a GPU; the kernels themselves are checked by dkern's tests.

use half::f16;
use kernlab::cpu::ops::{argmax, rmsnorm, rope_head, silu, RopeAngles};
use kernlab::cpu::CpuModel;
use kernlab::engine::decode::{layout_of, weights_image};
use kernlab::engine::plan::{BufRole, DecodePlan, PArg, PlanOptions, PlannedLaunch, Q6kPipeline};
use kernlab::gguf::GgufFile;
use kernlab::models::{self, Arch, FileType, RopeStyle, SynthOptions};
use kernlab::{quant, GgmlType};
use std::collections::HashMap;

struct Mem {
    bufs: HashMap<BufRole, Vec<u8>>,
}

impl Mem {
    fn at(a: &PArg) -> (BufRole, usize) {
        match *a {
            PArg::Buf(r, off) => (r, off as usize),
            ref other => panic!("expected a buffer, got {other:?}"),
        }
    }
    fn bytes(&self, a: &PArg, n: usize) -> &[u8] {
        let (r, off) = Mem::at(a);
        &self.bufs[&r][off..off + n]
    }
    fn f32s(&self, a: &PArg, n: usize) -> Vec<f32> {
        self.bytes(a, 4 * n)
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect()
    }
    fn u32_at(&self, a: &PArg, i: usize) -> u32 {
        let (r, off) = Mem::at(a);
        let b = &self.bufs[&r][off + 4 * i..off + 4 * i + 4];
        u32::from_le_bytes(b.try_into().unwrap())
    }
    fn put_u32(&mut self, a: &PArg, i: usize, v: u32) {
        let (r, off) = Mem::at(a);
        self.bufs.get_mut(&r).unwrap()[off + 4 * i..off + 4 * i + 4]
            .copy_from_slice(&v.to_le_bytes());
    }
    fn put_f32s(&mut self, a: &PArg, from: usize, v: &[f32]) {
        let (r, off) = Mem::at(a);
        let buf = self.bufs.get_mut(&r).unwrap();
        for (i, x) in v.iter().enumerate() {
            let o = off + 4 * (from + i);
            buf[o..o + 4].copy_from_slice(&x.to_le_bytes());
        }
    }
    fn put_f16(&mut self, a: &PArg, i: usize, v: f32) {
        let (r, off) = Mem::at(a);
        let o = off + 2 * i;
        self.bufs.get_mut(&r).unwrap()[o..o + 2].copy_from_slice(&f16::from_f32(v).to_le_bytes());
    }
    fn f16_at(&self, a: &PArg, i: usize) -> f32 {
        let (r, off) = Mem::at(a);
        let o = off + 2 * i;
        f16::from_le_bytes(self.bufs[&r][o..o + 2].try_into().unwrap()).to_f32()
    }
}

fn u(a: &PArg) -> usize {
    match *a {
        PArg::U32(v) => v as usize,
        ref other => panic!("expected u32, got {other:?}"),
    }
}

fn f(a: &PArg) -> f32 {
    match *a {
        PArg::F32(v) => v,
        ref other => panic!("expected f32, got {other:?}"),
    }
}

fn ty_of(entry: &str) -> GgmlType {
    // matvec_q6_k_w / _s (warp per row pair; _s grid-stride), _n / _nk / _nx (the folded norm)
    // and matvec_q6_k_f / _p (fused) read the rows as matvec_q6_k; matvec_q8_0_k (split-K) as
    // matvec_q8_0.
    if entry == "matvec_q8_0_k" {
        return GgmlType::Q8_0;
    }
    if let Some(fm) = kernlab::engine::kernels::fused_matvec_named(entry) {
        return fm.ty;
    }
    let suffix = entry
        .strip_prefix("matvec_")
        .map(|s| {
            s.trim_end_matches("_w")
                .trim_end_matches("_s")
                .trim_end_matches("_f")
                .trim_end_matches("_p")
                .trim_end_matches("_nk")
                .trim_end_matches("_nxa")
                .trim_end_matches("_nxp")
                .trim_end_matches("_nx")
                .trim_end_matches("_na")
                .trim_end_matches("_np")
                .trim_end_matches("_n")
        })
        .or_else(|| entry.strip_prefix("embed_"));
    match suffix {
        Some("f16") => GgmlType::F16,
        Some("q4_0") => GgmlType::Q4_0,
        Some("q8_0") => GgmlType::Q8_0,
        Some("q4_k") => GgmlType::Q4_K,
        Some("q5_k") => GgmlType::Q5_K,
        Some("q6_k") => GgmlType::Q6_K,
        other => panic!("{entry}: type {other:?}"),
    }
}

fn row(m: &Mem, w: &PArg, ty: GgmlType, r: usize, cols: usize) -> Vec<f32> {
    let row_b = ty.bytes_for(cols as u64).unwrap() as usize;
    let (role, off) = Mem::at(w);
    let data = &m.bufs[&role][off + r * row_b..off + (r + 1) * row_b];
    quant::dequantize_to_vec(ty, data, cols).unwrap()
}

/// The optional f32 table behind a pointer argument (rope freq factors).
fn opt_f32s(m: &Mem, a: &PArg, n: usize) -> Option<Vec<f32>> {
    match a {
        PArg::Null => None,
        a => Some(m.f32s(a, n)),
    }
}

fn run(m: &mut Mem, l: &PlannedLaunch) {
    let a = &l.args;
    let e = l.kernel.entry;
    match e {
        _ if kernlab::engine::kernels::matvec_pair_named(e).is_some() => {
            // Its two parts' launches: a's 8 arguments, b's 8, a's block count.
            let parts = kernlab::engine::kernels::matvec_pair_named(e)
                .unwrap()
                .parts;
            assert_eq!(a.len(), 17, "{}", l.label);
            for (i, part) in parts.iter().enumerate() {
                let mut one = l.clone();
                one.kernel.entry = part;
                one.args = a[8 * i..8 * i + 8].to_vec();
                run(m, &one);
            }
        }
        _ if e.starts_with("embed_") => {
            let tok = m.u32_at(&a[2], 0) as usize;
            let v = row(m, &a[1], ty_of(e), tok, u(&a[3]));
            m.put_f32s(&a[0], 0, &v);
        }
        _ if e.starts_with("matvec_")
            && kernlab::engine::kernels::fused_matvec_named(e).is_some() =>
        {
            // y, w, x, norm_w, rows, cols, mode, eps (kernels::FUSED_MATVEC_PARAMS).
            let (rows, cols, mode, eps) = (u(&a[4]), u(&a[5]), u(&a[6]), f(&a[7]));
            let mut x = m.f32s(&a[2], cols);
            if a[3] != PArg::Null {
                let w = m.f32s(&a[3], cols);
                let raw = x.clone();
                rmsnorm(&mut x, &raw, &w, eps);
            }
            let dots: Vec<f32> = (0..rows)
                .map(|r| {
                    let w = row(m, &a[1], ty_of(e), r, cols);
                    w.iter().zip(&x).map(|(p, q)| p * q).sum::<f32>()
                })
                .collect();
            let y: Vec<f32> = match mode {
                0 => dots,
                1 => {
                    let y0 = m.f32s(&a[0], rows);
                    y0.iter().zip(&dots).map(|(a, b)| a + b).collect()
                }
                2 => (0..rows / 2)
                    .map(|r| silu(dots[r]) * dots[r + rows / 2])
                    .collect(),
                other => panic!("{e}: mode {other}"),
            };
            m.put_f32s(&a[0], 0, &y);
        }
        _ if e == "matvec_q6_k_nk"
            || kernlab::engine::kernels::NORM_MATVEC_Q6_K_WARP.contains(&e) =>
        {
            // y, w, x, rows, cols, accumulate, sumsq_in, eps, xw_out, norm_next, sumsq_out,
            // sumsq_clear (kernels::NORM_MATVEC_PARAMS): the clear, the consumer's 1 / rms
            // scale before the accumulate add, the producer's X o nw and sum X^2.
            let (rows, cols, mode, eps) = (u(&a[3]), u(&a[4]), u(&a[5]), f(&a[7]));
            let acc = mode == 1;
            if a[11] != PArg::Null {
                assert!(
                    a[11] != a[6] && a[11] != a[10],
                    "{}: clears its own slot",
                    l.label
                );
                m.put_f32s(&a[11], 0, &[0.0]);
            }
            let s = match a[6] {
                PArg::Null => 1.0,
                ref slot => 1.0 / (m.f32s(slot, 1)[0] / cols as f32 + eps).sqrt(),
            };
            let x = m.f32s(&a[2], cols);
            let dot = |m: &Mem, r: usize| {
                let w = row(m, &a[1], ty_of(e), r, cols);
                s * w.iter().zip(&x).map(|(p, q)| p * q).sum::<f32>()
            };
            if mode == 2 {
                // glu: y[p] = silu(gate p) * up p, the up rows after the gate rows.
                let h: Vec<f32> = (0..rows / 2)
                    .map(|p| {
                        let g = dot(m, p);
                        g / (1.0 + (-g).exp()) * dot(m, p + rows / 2)
                    })
                    .collect();
                assert_eq!(a[8], PArg::Null, "{}: glu produces no xw", l.label);
                m.put_f32s(&a[0], 0, &h);
                return;
            }
            let mut y = if acc {
                m.f32s(&a[0], rows)
            } else {
                vec![0.0; rows]
            };
            for (r, yr) in y.iter_mut().enumerate() {
                *yr += dot(m, r);
            }
            m.put_f32s(&a[0], 0, &y);
            if a[8] != PArg::Null {
                let nw = m.f32s(&a[9], rows);
                let xw: Vec<f32> = y.iter().zip(&nw).map(|(p, q)| p * q).collect();
                m.put_f32s(&a[8], 0, &xw);
                let sum = m.f32s(&a[10], 1)[0] + y.iter().map(|v| v * v).sum::<f32>();
                m.put_f32s(&a[10], 0, &[sum]);
            }
        }
        _ if e.starts_with("matvec_") => {
            let (rows, cols, acc) = (u(&a[3]), u(&a[4]), u(&a[5]) != 0);
            let x = m.f32s(&a[2], cols);
            let mut y = if acc {
                m.f32s(&a[0], rows)
            } else {
                vec![0.0; rows]
            };
            for (r, yr) in y.iter_mut().enumerate() {
                let w = row(m, &a[1], ty_of(e), r, cols);
                *yr += w.iter().zip(&x).map(|(p, q)| p * q).sum::<f32>();
            }
            m.put_f32s(&a[0], 0, &y);
        }
        "rmsnorm" => {
            let n = u(&a[3]);
            let x = m.f32s(&a[1], n);
            let w = m.f32s(&a[2], n);
            let mut out = vec![0.0; n];
            rmsnorm(&mut out, &x, &w, f(&a[4]));
            m.put_f32s(&a[0], 0, &out);
        }
        "rope_llama" | "rope_neox" | "qk_norm_rope_neox" => {
            let fused = e == "qk_norm_rope_neox";
            let (nq, nk, hd) = if fused {
                (u(&a[4]), u(&a[5]), u(&a[6]))
            } else {
                (u(&a[2]), u(&a[3]), u(&a[4]))
            };
            let (pos_a, base, ff_a) = if fused {
                (&a[8], f(&a[9]), &a[10])
            } else {
                (&a[5], f(&a[6]), &a[7])
            };
            let pos = m.u32_at(pos_a, 0) as usize;
            let ff = opt_f32s(m, ff_a, hd / 2);
            let angles = RopeAngles::new(pos, hd, base, ff.as_deref());
            let style = if e == "rope_llama" {
                RopeStyle::Norm
            } else {
                RopeStyle::Neox
            };
            for (vec_arg, n_heads, norm_arg) in [(&a[0], nq, &a[2]), (&a[1], nk, &a[3])] {
                let mut v = m.f32s(vec_arg, n_heads * hd);
                let nw = if fused {
                    Some(m.f32s(norm_arg, hd))
                } else {
                    None
                };
                for h in v.chunks_exact_mut(hd) {
                    if let Some(w) = &nw {
                        let x = h.to_vec();
                        rmsnorm(h, &x, w, f(&a[7]));
                    }
                    rope_head(h, &angles, style);
                }
                m.put_f32s(vec_arg, 0, &v);
            }
        }
        "rope_kv_llama" | "rope_kv_neox" | "qk_norm_rope_kv_neox" => {
            // q, k, v, [q_norm, k_norm,] k_cache, v_cache, then as the entry's .param list.
            let norm = e == "qk_norm_rope_kv_neox";
            let c0 = if norm { 5 } else { 3 };
            let (kc, vc) = (&a[c0], &a[c0 + 1]);
            let (pos_a, nq, nk, hd, max_ctx, base, ff_a, eps) = if norm {
                (
                    &a[12],
                    u(&a[7]),
                    u(&a[8]),
                    u(&a[9]),
                    u(&a[10]),
                    f(&a[13]),
                    &a[14],
                    f(&a[11]),
                )
            } else {
                (
                    &a[5],
                    u(&a[6]),
                    u(&a[7]),
                    u(&a[8]),
                    u(&a[9]),
                    f(&a[10]),
                    &a[11],
                    0.0,
                )
            };
            let pos = m.u32_at(pos_a, 0) as usize;
            let ff = opt_f32s(m, ff_a, hd / 2);
            let angles = RopeAngles::new(pos, hd, base, ff.as_deref());
            let style = if e == "rope_kv_llama" {
                RopeStyle::Norm
            } else {
                RopeStyle::Neox
            };
            let mut rotated_k = Vec::new();
            for (vec_arg, n_heads, norm_arg) in [(&a[0], nq, &a[3]), (&a[1], nk, &a[4])] {
                let mut v = m.f32s(vec_arg, n_heads * hd);
                let nw = norm.then(|| m.f32s(norm_arg, hd));
                for h in v.chunks_exact_mut(hd) {
                    if let Some(w) = &nw {
                        let x = h.to_vec();
                        rmsnorm(h, &x, w, eps);
                    }
                    rope_head(h, &angles, style);
                }
                m.put_f32s(vec_arg, 0, &v);
                rotated_k = v;
            }
            if pos < max_ctx {
                let width = nk * hd;
                let v = m.f32s(&a[2], width);
                for i in 0..width {
                    m.put_f16(kc, pos * width + i, rotated_k[i]);
                    m.put_f16(vc, pos * width + i, v[i]);
                }
            }
        }
        "attn_decode" => {
            let (nh, nkv, hd, split) = (u(&a[8]), u(&a[9]), u(&a[10]), u(&a[11]));
            let pos = m.u32_at(&a[7], 0) as usize;
            let q = m.f32s(&a[4], nh * hd);
            let sh = AttnShape {
                nh,
                nkv,
                hd,
                split,
                scale: f(&a[12]),
            };
            split_attention(m, l, &q, pos, sh, [&a[0], &a[3], &a[5], &a[6]]);
        }
        "attn_rope_llama" | "attn_rope_neox" | "attn_qknorm_rope_neox" => {
            // out, part_o, part_ml, counters, qkv, q_norm, k_norm, k_cache, v_cache, pos_buf,
            // freq_factors, n_head, n_kv_head, head_dim, split_len, max_ctx, scale, eps, base.
            let (nh, nkv, hd, split, max_ctx) =
                (u(&a[11]), u(&a[12]), u(&a[13]), u(&a[14]), u(&a[15]));
            let pos = m.u32_at(&a[9], 0) as usize;
            assert!(pos < max_ctx, "attn_rope past the cache");
            let ff = opt_f32s(m, &a[10], hd / 2);
            let angles = RopeAngles::new(pos, hd, f(&a[18]), ff.as_deref());
            let style = if e == "attn_rope_llama" {
                RopeStyle::Norm
            } else {
                RopeStyle::Neox
            };
            let norm = e == "attn_qknorm_rope_neox";
            let all = m.f32s(&a[4], (nh + 2 * nkv) * hd);
            let (mut q, rest) = (all[..nh * hd].to_vec(), &all[nh * hd..]);
            let (mut k, v) = (rest[..nkv * hd].to_vec(), rest[nkv * hd..].to_vec());
            for (x, norm_a) in [(&mut q, &a[5]), (&mut k, &a[6])] {
                let nw = norm.then(|| m.f32s(norm_a, hd));
                for h in x.chunks_exact_mut(hd) {
                    if let Some(w) = &nw {
                        let y = h.to_vec();
                        rmsnorm(h, &y, w, f(&a[17]));
                    }
                    rope_head(h, &angles, style);
                }
            }
            // The append; position pos is then read as f16, as the kernel's shared copy holds it.
            let width = nkv * hd;
            for i in 0..width {
                m.put_f16(&a[7], pos * width + i, k[i]);
                m.put_f16(&a[8], pos * width + i, v[i]);
            }
            let sh = AttnShape {
                nh,
                nkv,
                hd,
                split,
                scale: f(&a[16]),
            };
            split_attention(m, l, &q, pos, sh, [&a[0], &a[3], &a[7], &a[8]]);
        }
        "kv_append" => {
            let (width, max_ctx) = (u(&a[5]), u(&a[6]));
            let pos = m.u32_at(&a[4], 0) as usize;
            assert!(pos < max_ctx);
            let k = m.f32s(&a[2], width);
            let v = m.f32s(&a[3], width);
            for i in 0..width {
                m.put_f16(&a[0], pos * width + i, k[i]);
                m.put_f16(&a[1], pos * width + i, v[i]);
            }
        }
        "attn_partial" => {
            let (nh, nkv, hd, split) = (u(&a[6]), u(&a[7]), u(&a[8]), u(&a[9]));
            let scale = f(&a[10]);
            let n_split = l.grid[1] as usize;
            let pos = m.u32_at(&a[5], 0) as usize;
            let q = m.f32s(&a[2], nh * hd);
            let width = nkv * hd;
            for h in 0..nh {
                let kvh = h / (nh / nkv);
                for s in 0..n_split {
                    let (t0, t1) = (s * split, ((s + 1) * split).min(pos + 1));
                    let slot = h * n_split + s;
                    let mut o = vec![0.0f32; hd];
                    let (mut mx, mut sum) = (f32::NEG_INFINITY, 0.0f32);
                    if t0 < t1 {
                        let scores: Vec<f32> = (t0..t1)
                            .map(|t| {
                                (0..hd)
                                    .map(|i| {
                                        q[h * hd + i] * m.f16_at(&a[3], t * width + kvh * hd + i)
                                    })
                                    .sum::<f32>()
                                    * scale
                            })
                            .collect();
                        mx = scores.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
                        for (t, sc) in (t0..t1).zip(&scores) {
                            let p = (sc - mx).exp();
                            sum += p;
                            for (i, oi) in o.iter_mut().enumerate() {
                                *oi += p * m.f16_at(&a[4], t * width + kvh * hd + i);
                            }
                        }
                    }
                    m.put_f32s(&a[0], slot * hd, &o);
                    m.put_f32s(&a[1], slot * 2, &[mx, sum]);
                }
            }
        }
        "attn_combine" => {
            let (hd, n_split) = (u(&a[3]), u(&a[4]));
            let nh = l.grid[0] as usize;
            for h in 0..nh {
                let ml = m.f32s(&a[2], (h + 1) * n_split * 2)[h * n_split * 2..].to_vec();
                let big_m = (0..n_split)
                    .map(|s| ml[2 * s])
                    .fold(f32::NEG_INFINITY, f32::max);
                let mut out = vec![0.0f32; hd];
                let mut denom = 0.0;
                for s in 0..n_split {
                    let w = (ml[2 * s] - big_m).exp();
                    denom += w * ml[2 * s + 1];
                    let o = m.f32s(&a[1], (h * n_split + s + 1) * hd)[(h * n_split + s) * hd..]
                        .to_vec();
                    for i in 0..hd {
                        out[i] += w * o[i];
                    }
                }
                let out: Vec<f32> = out.iter().map(|x| x / denom).collect();
                m.put_f32s(&a[0], h * hd, &out);
            }
        }
        "swiglu" => {
            let n = u(&a[3]);
            let g = m.f32s(&a[1], n);
            let up = m.f32s(&a[2], n);
            let out: Vec<f32> = g.iter().zip(&up).map(|(g, u)| silu(*g) * u).collect();
            m.put_f32s(&a[0], 0, &out);
        }
        "argmax_partial" => {
            let n = u(&a[3]);
            let x = m.f32s(&a[2], n);
            let g = l.grid[0] as usize;
            for b in 0..g {
                let (lo, hi) = (n * b / g, n * (b + 1) / g);
                let best = argmax(&x[lo..hi]).map(|i| i + lo);
                let (v, i) = best.map_or((f32::NEG_INFINITY, u32::MAX), |i| (x[i], i as u32));
                m.put_f32s(&a[0], b, &[v]);
                m.put_u32(&a[1], b, i);
            }
        }
        "argmax_final" => {
            let n = u(&a[3]);
            let vals = m.f32s(&a[1], n);
            let mut best = (f32::NEG_INFINITY, u32::MAX);
            for (b, &v) in vals.iter().enumerate() {
                let i = m.u32_at(&a[2], b);
                if v > best.0 || (v == best.0 && i < best.1) {
                    best = (v, i);
                }
            }
            m.put_u32(&a[0], 0, best.1);
        }
        "decode_advance" => {
            let p = m.u32_at(&a[0], 0);
            let t = m.u32_at(&a[1], 0);
            if ((p + 1) as usize) < u(&a[3]) {
                m.put_u32(&a[2], p as usize + 1, t);
            }
            m.put_u32(&a[0], 0, p + 1);
        }
        other => panic!("no host model for {other}"),
    }
}

#[derive(Clone, Copy)]
struct AttnShape {
    nh: usize,
    nkv: usize,
    hd: usize,
    split: usize,
    scale: f32,
}

/// attn_decode's semantics: splits of split_len positions, (m, l, o) each, then the combine the
/// last block of each head does; the counters must be zero before and are left zero.
/// `bufs` = out, counters, k_cache, v_cache.
fn split_attention(
    m: &mut Mem,
    l: &PlannedLaunch,
    q: &[f32],
    pos: usize,
    sh: AttnShape,
    bufs: [&PArg; 4],
) {
    let AttnShape {
        nh,
        nkv,
        hd,
        split,
        scale,
    } = sh;
    let [out_a, ctr_a, kc_a, vc_a] = bufs;
    let width = nkv * hd;
    let n_used = (pos + 1).div_ceil(split);
    assert!(
        n_used <= l.grid[1] as usize,
        "context past the grid's splits"
    );
    for h in 0..nh {
        assert_eq!(m.u32_at(ctr_a, h), 0, "counter of head {h} not reset");
        let kvh = h / (nh / nkv);
        let mut parts = Vec::new();
        for s in 0..n_used {
            let (t0, t1) = (s * split, ((s + 1) * split).min(pos + 1));
            let scores: Vec<f32> = (t0..t1)
                .map(|t| {
                    (0..hd)
                        .map(|i| q[h * hd + i] * m.f16_at(kc_a, t * width + kvh * hd + i))
                        .sum::<f32>()
                        * scale
                })
                .collect();
            let mx = scores.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
            let mut o = vec![0.0f32; hd];
            let mut sum = 0.0f32;
            for (t, sc) in (t0..t1).zip(&scores) {
                let p = (sc - mx).exp();
                sum += p;
                for (i, oi) in o.iter_mut().enumerate() {
                    *oi += p * m.f16_at(vc_a, t * width + kvh * hd + i);
                }
            }
            parts.push((mx, sum, o));
        }
        let big_m = parts.iter().map(|p| p.0).fold(f32::NEG_INFINITY, f32::max);
        let mut out = vec![0.0f32; hd];
        let mut denom = 0.0;
        for (mx, sum, o) in &parts {
            let w = (mx - big_m).exp();
            denom += w * sum;
            for i in 0..hd {
                out[i] += w * o[i];
            }
        }
        let out: Vec<f32> = out.iter().map(|x| x / denom).collect();
        m.put_f32s(out_a, h * hd, &out);
    }
}

fn emulate_against_cpu(arch: Arch, ft: FileType, fuse_matvecs: bool) {
    emulate_spec(&models::tiny_spec(arch, ft), 8, fuse_matvecs);
}

/// `emulate_spec` with the fused plan's attention as given: one launch (attn_rope) or two, and
/// the positions per split (4: the 9 positions run cross two split boundaries).
fn emulate_attn(spec: &models::ModelSpec, tpr: u32, attn_rope: bool, split: u32) {
    emulate_with(
        spec,
        PlanOptions {
            threads_per_row: tpr,
            max_ctx: 300,
            fuse_matvecs: true,
            norm_in_matvec: true,
            fused_q6_k: true,
            attn_rope,
            attn_split_len: split,
            ..PlanOptions::default()
        },
    );
}

/// The plan of `spec` at `tpr` threads per row, emulated, against the CPU decoder.
fn emulate_spec(spec: &models::ModelSpec, tpr: u32, fuse_matvecs: bool) {
    let opt = PlanOptions {
        threads_per_row: tpr,
        max_ctx: 300, // two attention splits, the second partly past the context
        fuse_matvecs,
        norm_in_matvec: true,
        fused_q6_k: true,
        ..PlanOptions::default()
    };
    emulate_with(spec, opt);
}

/// The plan of `spec` with `opt`, emulated, against the CPU decoder.
fn emulate_with(spec: &models::ModelSpec, opt: PlanOptions) {
    let dir = std::env::temp_dir().join(format!("kernlab-emulate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}.gguf", spec.name));
    models::synth_spec(spec, &path, &SynthOptions::default(), &mut |_| {}).unwrap();
    let src = GgufFile::open(&path).unwrap();
    let (config, layout) = layout_of(&src).unwrap();
    let plan = DecodePlan::build(&config, &layout, opt).unwrap();
    let mut mem = Mem {
        bufs: plan
            .buffers
            .iter()
            .map(|&(r, s)| (r, vec![0u8; s as usize]))
            .collect(),
    };
    mem.bufs
        .insert(BufRole::Weights, weights_image(&src, &layout).unwrap());
    let mut cpu = CpuModel::load(&path, 1).unwrap();
    let prompt = [3u32, 100, 7];
    let n_gen = 6;
    let mut cache = cpu.new_cache(prompt.len() + n_gen);
    let mut want = vec![0.0f32; config.n_vocab];
    let pos_a = PArg::Buf(BufRole::Pos, 0);
    let tok_a = PArg::Buf(BufRole::Token, 0);
    let mut chain = Vec::new();
    for pos in 0..prompt.len() + n_gen {
        let token = if pos < prompt.len() {
            mem.put_u32(&pos_a, 0, pos as u32);
            mem.put_u32(&tok_a, 0, prompt[pos]);
            prompt[pos]
        } else {
            let t = mem.u32_at(&tok_a, 0);
            assert_eq!(Some(t as usize), argmax(&want), "{} pos {pos}", spec.name);
            chain.push(t);
            t
        };
        assert_eq!(mem.u32_at(&pos_a, 0) as usize, pos);
        for l in &plan.launches {
            run(&mut mem, l);
        }
        cpu.forward(token, pos, &mut cache, &mut want).unwrap();
        let got = mem.f32s(&PArg::Buf(BufRole::Logits, 0), config.n_vocab);
        let scale = want.iter().fold(0.0f32, |s, x| s.max(x.abs()));
        let err = got
            .iter()
            .zip(&want)
            .fold(0.0f32, |s, (g, w)| s.max((g - w).abs()));
        assert!(
            err <= 5e-3 * scale,
            "{} position {pos}: max abs err {err} vs max |logit| {scale}",
            spec.name
        );
    }
    // The generated ids the host reads back from history after a chained run.
    let hist: Vec<u32> = (prompt.len()..prompt.len() + n_gen)
        .map(|p| mem.u32_at(&PArg::Buf(BufRole::History, 0), p))
        .collect();
    assert_eq!(hist, chain, "{}", spec.name);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn plan_emulated_on_the_host_matches_the_cpu_decoder() {
    for (arch, ft) in [
        (Arch::Llama, FileType::Q8_0),
        (Arch::Llama, FileType::Q4_K_M),
        (Arch::Qwen3, FileType::Q6_K),
        (Arch::Qwen3, FileType::Q5_K_M),
    ] {
        emulate_against_cpu(arch, ft, true);
        emulate_against_cpu(arch, ft, false);
    }
}

/// The tiny Q6_K LLaMA widened so its rows are whole 1024-value chunks (n_embd 1024, n_ff 2048,
/// 8 heads of 128, 2 kv heads): the shape the chunked Q6_K kernels (matvec_q6_k_p, _s, _n)
/// need. `name` and `hf_file` keep each test's synthesized file apart.
fn q6k_llama_1024(name: &'static str, hf_file: &'static str) -> models::ModelSpec {
    let mut spec = models::tiny_spec(Arch::Llama, FileType::Q6_K);
    spec.name = name;
    spec.hf_file = hf_file;
    spec.n_embd = 1024;
    spec.n_head = 8;
    spec.n_head_kv = 2;
    spec.head_dim = 128;
    spec.n_ff = 2048;
    spec
}

/// A small Q6_K LLaMA whose rows are whole 1024-value chunks (n_embd 1024, n_ff 2048), so that
/// at 32 threads per row the plan takes the fused matvecs: q|k|v with attn_norm, gate|up with
/// ffn_norm in glu mode, o-proj and down accumulating, the LM head with output_norm.
#[test]
fn fused_matvec_plan_emulated_matches_the_cpu_decoder() {
    let spec = q6k_llama_1024("tiny-llama-fused-q6k", "tiny-llama-fused-q6k.gguf");
    let layout = kernlab::engine::weights::WeightsLayout::from_spec(&spec).unwrap();
    let fused = PlanOptions {
        fused_q6_k: true,
        ..PlanOptions::default()
    };
    let plan = DecodePlan::build(&spec.config(), &layout, fused).unwrap();
    let entries: Vec<&str> = plan.launches.iter().map(|l| l.kernel.entry).collect();
    assert!(
        !entries.contains(&"rmsnorm") && !entries.contains(&"swiglu"),
        "{entries:?}"
    );
    assert_eq!(
        entries.iter().filter(|e| **e == "matvec_q6_k_p").count(),
        4 * spec.n_layer + 1
    );
    emulate_spec(&spec, 32, true);
    emulate_spec(&spec, 32, false);
    // attn_rope_llama at 4 positions per split (3 splits), and rope_kv + attn_decode so too.
    assert!(entries.contains(&"attn_rope_llama"), "{entries:?}");
    emulate_attn(&spec, 32, true, 4);
    emulate_attn(&spec, 32, false, 4);
}

/// The same small Q6_K LLaMA with separate rmsnorm/swiglu launches: every Q6_K matvec (q|k|v,
/// o, gate|up, down, LM head) goes through the grid-stride matvec_q6_k_s with a fixed grid of
/// sm_count x blocks per SM (here 2 x 1 blocks: every warp walks several row pairs), or
/// matvec_q6_k_w with the switch off; both emulated against the CPU decoder.
#[test]
fn streaming_q6k_matvec_plan_emulated_matches_the_cpu_decoder() {
    let spec = q6k_llama_1024("tiny-llama-stream-q6k", "tiny-llama-stream-q6k.gguf");
    let layout = kernlab::engine::weights::WeightsLayout::from_spec(&spec).unwrap();
    for stream in [true, false] {
        let opt = PlanOptions {
            max_ctx: 300,
            fused_q6_k: false,
            stream_q6_k: stream,
            sm_count: Some(2),
            stream_blocks_per_sm: 1,
            norm_by_producer: false,
            // the residual matvecs stay matvec_q6_k_w here (not matvec_q6_k_nx)
            q6k_plain_xsum: false,
            ..PlanOptions::default()
        };
        let plan = DecodePlan::build(&spec.config(), &layout, opt).unwrap();
        let (used, other) = if stream {
            ("matvec_q6_k_s", "matvec_q6_k_w")
        } else {
            ("matvec_q6_k_w", "matvec_q6_k_s")
        };
        let mv: Vec<_> = plan
            .launches
            .iter()
            .filter(|l| l.kernel.entry == used)
            .collect();
        assert_eq!(mv.len(), 4 * spec.n_layer + 1, "{used}");
        assert!(plan.launches.iter().all(|l| l.kernel.entry != other));
        for l in &mv {
            let rows = match l.args[3] {
                PArg::U32(r) => r,
                ref a => panic!("rows {a:?}"),
            };
            let want = if stream { 2 } else { rows.div_ceil(8) };
            assert_eq!(l.grid[0], want, "{} ({rows} rows)", l.label);
        }
        emulate_with(&spec, opt);
    }
}

/// The same small Q6_K LLaMA with the norms folded into matvec_q6_k_n (the default where every
/// matvec around a norm is matvec_q6_k_w): one rmsnorm launch (layer 0's attn_norm) instead of
/// 2 n_layer + 1, the producers (o-proj, down) writing X o nw into Xn and sum X^2 into a NormSums
/// slot, the consumers scaling by 1 / rms; emulated over 9 positions (the slots cycle through
/// clear, add, read every token) against the CPU decoder, and with `norm_by_producer: false`
/// (decode --norm-launches) the rmsnorm launches and matvec_q6_k_w back. Each also with the
/// residual matvecs (1024 rows: few) through the split-K matvec_q6_k_nk (splitq6, `split_q6_k: true`)
/// and without (the default), and with SwiGLU in the gate|up matvec (the default) or a launch;
/// and with `q6k_xsum` (matvec_q6_k_nx in every matvec_q6_k_n's place, nk unchanged) and
/// `q6k_pipeline` (the _na / _nxa / _np / _nxp forms).
#[test]
fn folded_norm_plan_emulated_matches_the_cpu_decoder() {
    let spec = q6k_llama_1024("tiny-llama-normfold-q6k", "tiny-llama-normfold-q6k.gguf");
    let layout = kernlab::engine::weights::WeightsLayout::from_spec(&spec).unwrap();
    for (fold, split, glu, xsum, stages) in [
        (true, true, true, false, Q6kPipeline::Registers),
        (true, false, true, false, Q6kPipeline::Registers),
        (true, false, false, false, Q6kPipeline::Registers),
        (false, true, true, false, Q6kPipeline::Registers),
        (false, false, true, false, Q6kPipeline::Registers),
        (true, false, true, true, Q6kPipeline::Registers),
        (true, true, false, true, Q6kPipeline::Registers),
        (true, false, true, false, Q6kPipeline::Async),
        (true, true, true, true, Q6kPipeline::Async),
        (true, false, true, true, Q6kPipeline::L2Prefetch),
    ] {
        let opt = PlanOptions {
            max_ctx: 300,
            norm_by_producer: fold,
            split_q6_k: split,
            glu_in_matvec: glu,
            q6k_xsum: xsum,
            q6k_pipeline: stages,
            ..PlanOptions::default()
        };
        let plan = DecodePlan::build(&spec.config(), &layout, opt).unwrap();
        let count = |e: &str| plan.launches.iter().filter(|l| l.kernel.entry == e).count();
        let n = spec.n_layer;
        // o-proj and down of every layer
        let nk = if split { 2 * n } else { 0 };
        assert_eq!(count("matvec_q6_k_nk"), nk);
        // SwiGLU rides in the folded gate|up matvec (glu mode) unless asked for as a launch.
        assert_eq!(count("swiglu"), if fold && glu { 0 } else { n });
        let norm = kernlab::engine::kernels::norm_matvec_q6_k(xsum, stages);
        for other in kernlab::engine::kernels::NORM_MATVEC_Q6_K_WARP {
            if other != norm {
                assert_eq!(count(other), 0, "{other}");
            }
        }
        if fold {
            assert_eq!(count("rmsnorm"), 1);
            assert_eq!(count(norm), 4 * n + 1 - nk);
            assert_eq!(count("matvec_q6_k_w"), 0);
            assert_eq!(plan.buffer_b(BufRole::NormSums), 4 * 2 * n as u64);
        } else {
            assert_eq!(count("rmsnorm"), 2 * n + 1);
            assert_eq!(count("matvec_q6_k_w"), 4 * n + 1 - nk);
            assert_eq!(count(norm), 0);
            assert_eq!(plan.buffer_b(BufRole::NormSums), 0);
        }
        emulate_with(&spec, opt);
    }
}

/// A tiny Qwen3 of file type `ft` named `name` (its GGUF `name`.gguf) with head_dim 128, 2 KV
/// heads and the given width, query heads and FFN size.
fn tiny_qwen3(
    ft: FileType,
    name: &'static str,
    n_embd: usize,
    n_head: usize,
    n_ff: usize,
) -> models::ModelSpec {
    let mut spec = models::tiny_spec(Arch::Qwen3, ft);
    spec.name = name;
    spec.hf_file = format!("{name}.gguf").leak();
    spec.n_embd = n_embd;
    spec.n_head = n_head;
    spec.n_head_kv = 2;
    spec.head_dim = 128;
    spec.n_ff = n_ff;
    spec
}

/// Tiny Qwen3 Q8_0 and Q4_K_M models whose rows are multiples of 256 (n_embd 512, n_ff 768,
/// q 512, kv 256), so that at 32 threads per row the plan takes matvec_q8_0_f / the default
/// Q4_K matvec (matvec_q4_k_d16; Q4_K_M's Q6_K tensors keep their per-TPR kernel: their cols
/// are not multiples of 1024), with the norms folded in and gate|up in glu mode.
#[test]
fn fused_q8_0_and_q4_k_plans_emulated_match_the_cpu_decoder() {
    let q4k = PlanOptions::default()
        .q4k_dot
        .entry()
        .unwrap_or(kernlab::engine::kernels::MATVEC_Q4_K_XSUM);
    for (ft, entry) in [(FileType::Q8_0, "matvec_q8_0_f"), (FileType::Q4_K_M, q4k)] {
        let spec = tiny_qwen3(ft, "tiny-qwen3-fused", 512, 4, 768);
        let layout = kernlab::engine::weights::WeightsLayout::from_spec(&spec).unwrap();
        let plan = DecodePlan::build(&spec.config(), &layout, PlanOptions::default()).unwrap();
        let entries: Vec<&str> = plan.launches.iter().map(|l| l.kernel.entry).collect();
        assert!(!entries.contains(&"swiglu"), "{ft:?}: {entries:?}");
        assert!(
            entries.iter().filter(|e| **e == entry).count() >= 2 * spec.n_layer,
            "{ft:?}: {entries:?}"
        );
        if ft == FileType::Q8_0 {
            // The o-proj (512 cols, 512 rows) takes the split-K matvec; ffn_down (768 cols, not a
            // multiple of 512) stays on matvec_q8_0_f.
            let split = entries.iter().filter(|e| **e == "matvec_q8_0_k").count();
            assert_eq!(split, spec.n_layer, "{entries:?}");
        }
        emulate_spec(&spec, 32, true);
        let no_split = PlanOptions {
            split_q8_0: false,
            ..PlanOptions::default()
        };
        emulate_with(&spec, no_split);
        assert!(entries.contains(&"attn_qknorm_rope_neox"), "{entries:?}");
        emulate_attn(&spec, 32, true, 4);
        emulate_attn(&spec, 32, false, 4);
        emulate_attn(&spec, 32, true, 1);
    }
}

/// A tiny Qwen3 Q4_K_M whose rows are multiples of 1024 (n_embd 1024), so its Q6_K tensors can
/// take matvec_q6_k_p: with `fused_q6_k_alone` the Q6_K attn_v beside the fused Q4_K q|k and the
/// Q6_K LM head fold their norm in (no rmsnorm launch left), the Q6_K ffn_down stays
/// matvec_q6_k_w; emulated against the CPU decoder, and the same without the switch, and with
/// `pair_q6_k` (q|k and attn_v in one launch of matvec_q4kx_q6k_f, or matvec_q4k_q6k_f without
/// `q4k_xsum`).
#[test]
fn q6k_fused_alone_plan_emulated_matches_the_cpu_decoder() {
    let spec = tiny_qwen3(FileType::Q4_K_M, "tiny-qwen3-q6k-alone", 1024, 8, 1024);
    let layout = kernlab::engine::weights::WeightsLayout::from_spec(&spec).unwrap();
    // f32 x here (matvec_q4_k_x and its pair) and the Q6_K down on matvec_q6_k_w; the
    // integer-x kernels and matvec_q6_k_nx are swapped in below.
    let unpaired = PlanOptions {
        pair_q6_k: false,
        q4k_dot: kernlab::engine::kernels::Q4kDot::Float,
        q6k_plain_xsum: false,
        ..PlanOptions::default()
    };
    let alone = PlanOptions {
        fused_q6_k_alone: true,
        ..unpaired
    };
    let with = DecodePlan::build(&spec.config(), &layout, alone).unwrap();
    let without = DecodePlan::build(&spec.config(), &layout, unpaired).unwrap();
    let count = |p: &DecodePlan, e: &str| p.launches.iter().filter(|l| l.kernel.entry == e).count();
    let norms = count(&without, "rmsnorm");
    assert!(
        norms >= 2,
        "the test model needs a Q6_K attn_v layer: {norms} rmsnorm launches"
    );
    assert_eq!(count(&with, "rmsnorm"), 0);
    assert_eq!(count(&with, "matvec_q6_k_p"), norms);
    assert_eq!(count(&without, "matvec_q6_k_p"), 0);
    assert_eq!(with.launches.len(), without.launches.len() - norms);
    assert_eq!(with.weight_bytes(), without.weight_bytes());
    emulate_with(&spec, alone);
    emulate_with(&spec, unpaired);
    // The same model with q|k and the Q6_K attn_v in one paired launch (and the LM head alone).
    let pair = PlanOptions {
        pair_q6_k: true,
        ..alone
    };
    let paired = DecodePlan::build(&spec.config(), &layout, pair).unwrap();
    let pairs = count(&paired, kernlab::engine::kernels::MATVEC_PAIRS[1].entry);
    assert_eq!(pairs, norms - 1, "every Q6_K attn_v layer paired");
    assert_eq!(paired.launches.len(), with.launches.len() - pairs);
    assert_eq!(paired.weight_bytes(), without.weight_bytes());
    emulate_with(&spec, pair);
    // And with matvec_q4_k_f for the Q4_K rows (its pair for q|k with attn_v).
    let plain = PlanOptions {
        q4k_xsum: false,
        ..pair
    };
    let fplan = DecodePlan::build(&spec.config(), &layout, plain).unwrap();
    assert_eq!(
        count(&fplan, kernlab::engine::kernels::MATVEC_PAIRS[0].entry),
        pairs
    );
    assert_eq!(
        count(&fplan, kernlab::engine::kernels::MATVEC_PAIRS[1].entry),
        0
    );
    assert_eq!(fplan.launches.len(), paired.launches.len());
    emulate_with(&spec, plain);
    // With `q4k_dot` Int8 / Int16 the Q4_K launches take matvec_q4_k_d / _d16 and the pairs
    // matvec_q4kd_q6k_f / matvec_q4kd16_q6k_f: the same launches otherwise.
    use kernlab::engine::kernels::{Q4kDot, MATVEC_PAIRS};
    for (dot, pair_i, bytes_per_col) in [(Q4kDot::Int8, 2, 1), (Q4kDot::Int16, 3, 2)] {
        let opts = PlanOptions {
            q4k_dot: dot,
            ..pair
        };
        let dplan = DecodePlan::build(&spec.config(), &layout, opts).unwrap();
        let d = dot.entry().unwrap();
        let x = kernlab::engine::kernels::MATVEC_Q4_K_XSUM;
        assert_eq!(count(&dplan, d), count(&paired, x));
        assert_eq!(count(&dplan, x), 0);
        assert_eq!(count(&dplan, MATVEC_PAIRS[pair_i].entry), pairs);
        assert_eq!(MATVEC_PAIRS[pair_i].parts[0], d);
        assert_eq!(count(&dplan, MATVEC_PAIRS[1].entry), 0);
        assert_eq!(dplan.launches.len(), paired.launches.len());
        // Each launch asks 1 (int8) or 2 (int16) bytes of shared memory a column.
        for l in dplan.launches.iter().filter(|l| l.kernel.entry == d) {
            let cols = match l.args[5] {
                PArg::U32(c) => c,
                ref a => panic!("{}: cols {a:?}", l.label),
            };
            assert_eq!(l.shared_b, bytes_per_col * cols, "{}", l.label);
        }
        emulate_with(&spec, opts);
    }
    // With `q6k_plain_xsum` the Q6_K ffn_down launches (plain residual matvec_q6_k_w) take
    // matvec_q6_k_nx with the norm parts off; nothing else changes.
    let plain_nx = PlanOptions {
        q6k_plain_xsum: true,
        ..pair
    };
    let nplan = DecodePlan::build(&spec.config(), &layout, plain_nx).unwrap();
    let downs = |p: &DecodePlan, e: &str| {
        p.launches
            .iter()
            .filter(|l| l.label.ends_with("ffn_down") && l.kernel.entry == e)
            .count()
    };
    let q6_downs = downs(&paired, "matvec_q6_k_w");
    assert!(q6_downs >= 1, "the test model needs a Q6_K ffn_down");
    assert_eq!(downs(&nplan, "matvec_q6_k_nx"), q6_downs);
    assert_eq!(downs(&nplan, "matvec_q6_k_w"), 0);
    assert_eq!(
        count(&nplan, "matvec_q6_k_w"),
        count(&paired, "matvec_q6_k_w") - q6_downs
    );
    assert_eq!(nplan.launches.len(), paired.launches.len());
    emulate_with(&spec, plain_nx);
}
