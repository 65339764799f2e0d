//! The fused decode kernels on a GPU backend (rope + KV append, one-launch attention) against
//! [`super::reference`]: fresh random inputs, poisoned outputs, the real head shapes of
//! llama1b (32 q / 8 kv heads, d 64) and Qwen3 (16/8 and 32/8, d 128), contexts that end
//! inside, at and past split boundaries, and attn_decode run twice in a row on the same buffers
//! (the per-head counters must be back at zero after each launch).

use super::kernels::spec;
use super::launch::{self, AttnDecodeBufs, AttnRopeBufs, RopeKvBufs};
use super::reference as cpu;
use super::selftest::{down_f32, poisoned, row, row_scaled, run, up_bytes, up_f32};
use crate::bench::rng::Rng;
use crate::bench::selftest::TestRow;
use crate::gpu::{Backend, Buf};
use crate::Result;

/// f16 NaN: a cache value no kernel writes, so an untouched row stays recognisable.
const POISON_F16: u16 = 0x7e00;

/// Positions per attn_decode split in the checks: the plan's.
const SPLIT: u32 = super::plan::ATTN_SPLIT_LEN;

fn down_u16(b: &mut dyn Backend, buf: Buf, n: usize) -> Result<Vec<u16>> {
    let mut out = vec![0u16; n];
    b.download(buf, bytemuck::cast_slice_mut(&mut out))?;
    Ok(out)
}

/// The cache after an append at `pos`: row pos = `row_bits`, every other row still poisoned.
fn cache_row_only(cache: &[u16], width: usize, pos: Option<usize>, row_bits: &[u16]) -> bool {
    cache.chunks(width).enumerate().all(|(t, r)| {
        if Some(t) == pos {
            r == row_bits
        } else {
            r.iter().all(|&v| v == POISON_F16)
        }
    })
}

/// One rope_kv / qk_norm_rope_kv launch at `pos` over (nq, nk, d) heads: q and k against the CPU
/// rope (with per-head norm for `norm`), the caches' row pos bit-equal to f16 of the GPU's k and
/// of v, every other row untouched; then at pos = max_ctx: nothing written to the caches.
#[allow(clippy::too_many_arguments)]
fn check_rope_kv(
    b: &mut dyn Backend,
    rng: &mut Rng,
    entry: &str,
    (nq, nk, d): (usize, usize, usize),
    neox: bool,
    norm: bool,
    with_ff: bool,
    rows: &mut Vec<TestRow>,
) -> Result<()> {
    let kern = b.load(&spec(entry, None)?)?;
    let pos = 1 + rng.below(2500) as u32;
    let max_ctx = pos + 3;
    let width = nk * d;
    let (base, eps) = if neox { (1e6f32, 1e-6f32) } else { (5e5, 1e-5) };
    let ff: Option<Vec<f32>> =
        with_ff.then(|| (0..d / 2).map(|_| 1.0 + 8.0 * rng.f32_unit()).collect());
    let qn = rng.vec_f32_signed(d);
    let kn = rng.vec_f32_signed(d);
    for at in [pos, max_ctx] {
        let q = rng.vec_f32_signed(nq * d);
        let kk = rng.vec_f32_signed(width);
        let v = rng.vec_f32_signed(width);
        let cache = vec![POISON_F16; width * max_ctx as usize];
        let bufs = RopeKvBufs {
            q: up_f32(b, &q)?,
            k: up_f32(b, &kk)?,
            v: up_f32(b, &v)?,
            k_cache: up_bytes(b, bytemuck::cast_slice(&cache))?,
            v_cache: up_bytes(b, bytemuck::cast_slice(&cache))?,
            pos_buf: up_bytes(b, &at.to_le_bytes())?,
        };
        let fb = match &ff {
            Some(f) => Some(up_f32(b, f)?),
            None => None,
        };
        let (qnb, knb) = (up_f32(b, &qn)?, up_f32(b, &kn)?);
        let p = if norm {
            launch::qk_norm_rope_kv(
                kern, bufs, qnb, knb, nq as u32, nk as u32, d as u32, max_ctx, eps, base, fb,
            )?
        } else {
            launch::rope_kv(
                kern, bufs, nq as u32, nk as u32, d as u32, max_ctx, base, fb,
            )?
        };
        run(b, &[p])?;
        let mut out = down_f32(b, bufs.q, nq * d)?;
        let gk = down_f32(b, bufs.k, width)?;
        out.extend(&gk);
        let (mut r, rk) = if norm {
            (
                cpu::qk_norm_rope(&q, &qn, d, eps, at, base, ff.as_deref()),
                cpu::qk_norm_rope(&kk, &kn, d, eps, at, base, ff.as_deref()),
            )
        } else {
            (
                cpu::rope(&q, d, at, base, ff.as_deref(), neox),
                cpu::rope(&kk, d, at, base, ff.as_deref(), neox),
            )
        };
        r.extend(rk);
        let shape = format!("{nq}/{nk} heads d {d}");
        let tol = 2e-5 + 3e-7 * at as f64;
        rows.push(row_scaled(
            entry,
            format!("q,k at pos {at}, {shape}"),
            &out,
            &r,
            tol,
        ));
        let kc = down_u16(b, bufs.k_cache, cache.len())?;
        let vc = down_u16(b, bufs.v_cache, cache.len())?;
        let in_cache = (at < max_ctx).then_some(at as usize);
        let ok = cache_row_only(&kc, width, in_cache, &cpu::to_f16_bits(&gk))
            && cache_row_only(&vc, width, in_cache, &cpu::to_f16_bits(&v));
        rows.push(TestRow {
            kernel: entry.to_string(),
            case: format!("caches at pos {at} of {max_ctx}, {shape}"),
            ok,
            detail: format!(
                "row pos = f16(k rotated), f16(v) bit for bit, other rows untouched: {ok}"
            ),
        });
        for buf in [
            bufs.q,
            bufs.k,
            bufs.v,
            bufs.k_cache,
            bufs.v_cache,
            bufs.pos_buf,
        ] {
            b.free(buf)?;
        }
        for buf in [qnb, knb].into_iter().chain(fb) {
            b.free(buf)?;
        }
    }
    Ok(())
}

/// attn_decode on (n_head, n_kv, d) over a max_ctx cache of random f16, at each context of
/// `contexts`, each run twice into freshly poisoned outputs; the counters must read zero after.
fn check_attn_decode(
    b: &mut dyn Backend,
    rng: &mut Rng,
    (n_head, n_kv, d): (u32, u32, u32),
    max_ctx: u32,
    contexts: &[u32],
    rows: &mut Vec<TestRow>,
) -> Result<()> {
    let kern = b.load(&spec("attn_decode", None)?)?;
    let width = (n_kv * d) as usize;
    let kh = cpu::to_f16_bits(&rng.vec_f32_signed(width * max_ctx as usize));
    let vh = cpu::to_f16_bits(&rng.vec_f32_signed(width * max_ctx as usize));
    let kcb = up_bytes(b, bytemuck::cast_slice(&kh))?;
    let vcb = up_bytes(b, bytemuck::cast_slice(&vh))?;
    let n_split = launch::attn_splits(max_ctx, SPLIT);
    let slots = n_head as usize * n_split as usize;
    let po = poisoned(b, slots * d as usize)?;
    let pm = poisoned(b, slots * 2)?;
    let ctr = b.alloc((n_head as u64 * 4).max(16))?;
    b.memset_u32(ctr, 0)?;
    for &n_ctx in contexts {
        let q = rng.vec_f32_signed((n_head * d) as usize);
        let qb = up_f32(b, &q)?;
        let pb = up_bytes(b, &(n_ctx - 1).to_le_bytes())?;
        let r = cpu::attention(
            &q,
            &kh,
            &vh,
            n_head as usize,
            n_kv as usize,
            d as usize,
            n_ctx as usize,
            1.0 / (d as f32).sqrt(),
        );
        for run_i in 1..=2 {
            let ob = poisoned(b, (n_head * d) as usize)?;
            let bufs = AttnDecodeBufs {
                out: ob,
                part_o: po,
                part_ml: pm,
                counters: ctr,
                q: qb,
                k_cache: kcb,
                v_cache: vcb,
                pos_buf: pb,
            };
            let p = launch::attn_decode(kern, bufs, n_head, n_kv, d, SPLIT, n_split, n_ctx)?;
            run(b, &[p])?;
            let out = down_f32(b, ob, (n_head * d) as usize)?;
            let mut counters = vec![0u32; n_head as usize];
            b.download(ctr, bytemuck::cast_slice_mut(&mut counters))?;
            let case = format!(
                "ctx {n_ctx}, {n_head}/{n_kv} heads d {d}, split {SPLIT} x{n_split}, run {run_i}"
            );
            let mut t = row("attn_decode", case, &out, &r, 2e-3);
            let zero = counters.iter().all(|&c| c == 0);
            t.ok &= zero;
            t.detail = format!("{}; counters back at 0: {zero}", t.detail);
            rows.push(t);
            b.free(ob)?;
        }
        b.free(qb)?;
        b.free(pb)?;
    }
    for buf in [kcb, vcb, po, pm, ctr] {
        b.free(buf)?;
    }
    Ok(())
}

/// attn_rope_* on (n_head, n_kv, d) over a `max_ctx` cache of random f16 whose row pos is
/// poisoned (the kernel must take position pos from its own rotated k and v, never the cache),
/// at each pos of `positions` and split length of `splits`: the output against the CPU rope (+
/// q/k norm) and attention over the cache with row pos = the kernel's append; the appended k row
/// against the CPU's rotated k, v bit for bit, every other row unchanged; counters back at 0.
#[allow(clippy::too_many_arguments)]
fn check_attn_rope(
    b: &mut dyn Backend,
    rng: &mut Rng,
    entry: &str,
    (n_head, n_kv, d): (u32, u32, u32),
    (neox, norm, with_ff): (bool, bool, bool),
    max_ctx: u32,
    positions: &[u32],
    splits: &[u32],
    rows: &mut Vec<TestRow>,
) -> Result<()> {
    let kern = b.load(&spec(entry, None)?)?;
    let (nq, nk, du) = (n_head as usize, n_kv as usize, d as usize);
    let width = nk * du;
    let (base, eps) = if neox { (1e6f32, 1e-6f32) } else { (5e5, 1e-5) };
    let ff: Option<Vec<f32>> =
        with_ff.then(|| (0..du / 2).map(|_| 1.0 + 8.0 * rng.f32_unit()).collect());
    let qn = rng.vec_f32_signed(du);
    let kn = rng.vec_f32_signed(du);
    let fb = match &ff {
        Some(f) => Some(up_f32(b, f)?),
        None => None,
    };
    let (qnb, knb) = (up_f32(b, &qn)?, up_f32(b, &kn)?);
    let kh0 = cpu::to_f16_bits(&rng.vec_f32_signed(width * max_ctx as usize));
    let vh0 = cpu::to_f16_bits(&rng.vec_f32_signed(width * max_ctx as usize));
    let shape = format!("{n_head}/{n_kv} heads d {d}");
    for &split in splits {
        let n_split = launch::attn_splits(max_ctx, split);
        let slots = nq * n_split as usize;
        let po = poisoned(b, slots * du)?;
        let pm = poisoned(b, slots * 2)?;
        let ctr = b.alloc((n_head as u64 * 4).max(16))?;
        b.memset_u32(ctr, 0)?;
        for &pos in positions {
            let p0 = pos as usize;
            let qkv = rng.vec_f32_signed((nq + 2 * nk) * du);
            let (q, k, v) = (
                &qkv[..nq * du],
                &qkv[nq * du..(nq + nk) * du],
                &qkv[(nq + nk) * du..],
            );
            let (q_rot, k_rot) = if norm {
                (
                    cpu::qk_norm_rope(q, &qn, du, eps, pos, base, ff.as_deref()),
                    cpu::qk_norm_rope(k, &kn, du, eps, pos, base, ff.as_deref()),
                )
            } else {
                (
                    cpu::rope(q, du, pos, base, ff.as_deref(), neox),
                    cpu::rope(k, du, pos, base, ff.as_deref(), neox),
                )
            };
            let mut kh = kh0.clone();
            let mut vh = vh0.clone();
            kh[p0 * width..(p0 + 1) * width].fill(POISON_F16);
            vh[p0 * width..(p0 + 1) * width].fill(POISON_F16);
            let qkvb = up_f32(b, &qkv)?;
            let pb = up_bytes(b, &pos.to_le_bytes())?;
            for run_i in 1..=2 {
                let kcb = up_bytes(b, bytemuck::cast_slice(&kh))?;
                let vcb = up_bytes(b, bytemuck::cast_slice(&vh))?;
                let ob = poisoned(b, nq * du)?;
                let bufs = AttnRopeBufs {
                    attn: AttnDecodeBufs {
                        out: ob,
                        part_o: po,
                        part_ml: pm,
                        counters: ctr,
                        q: qkvb,
                        k_cache: kcb,
                        v_cache: vcb,
                        pos_buf: pb,
                    },
                    norms: norm.then_some((qnb, knb)),
                    ff: fb,
                };
                let p = launch::attn_rope(
                    kern,
                    bufs,
                    n_head,
                    n_kv,
                    d,
                    split,
                    n_split,
                    max_ctx,
                    eps,
                    base,
                    pos + 1,
                )?;
                run(b, &[p])?;
                let out = down_f32(b, ob, nq * du)?;
                let kc = down_u16(b, kcb, kh.len())?;
                let vc = down_u16(b, vcb, vh.len())?;
                let mut counters = vec![0u32; nq];
                b.download(ctr, bytemuck::cast_slice_mut(&mut counters))?;
                let q32: Vec<f32> = q_rot.iter().map(|&x| x as f32).collect();
                let r = cpu::attention(&q32, &kc, &vc, nq, nk, du, p0 + 1, 1.0 / (d as f32).sqrt());
                let case = format!("pos {pos}, {shape}, split {split} x{n_split}, run {run_i}");
                let mut t = row(entry, case.clone(), &out, &r, 2e-3);
                let zero = counters.iter().all(|&c| c == 0);
                t.ok &= zero;
                t.detail = format!("{}; counters back at 0: {zero}", t.detail);
                rows.push(t);
                // the append: k row against the CPU's rotation, v bit for bit, nothing else
                let row_k: Vec<f32> = kc[p0 * width..(p0 + 1) * width]
                    .iter()
                    .map(|&h| half::f16::from_bits(h).to_f32())
                    .collect();
                // f16 rounding (half an ulp: 2^-11 of the value) plus the angle's error at pos
                let tol = 1e-3 + 3e-7 * pos as f64;
                let case_k = format!("k appended, {case}");
                rows.push(row_scaled(entry, case_k, &row_k, &k_rot, tol));
                let others = |c: &[u16], o: &[u16]| {
                    c.chunks(width)
                        .zip(o.chunks(width))
                        .enumerate()
                        .all(|(t, (a, b))| t == p0 || a == b)
                };
                let ok = vc[p0 * width..(p0 + 1) * width] == cpu::to_f16_bits(v)[..]
                    && others(&kc, &kh)
                    && others(&vc, &vh);
                rows.push(TestRow {
                    kernel: entry.to_string(),
                    case: format!("v appended, {case}"),
                    ok,
                    detail: format!("v row = f16(v) bit for bit, other rows unchanged: {ok}"),
                });
                for buf in [kcb, vcb, ob] {
                    b.free(buf)?;
                }
            }
            b.free(qkvb)?;
            b.free(pb)?;
        }
        for buf in [po, pm, ctr] {
            b.free(buf)?;
        }
    }
    for buf in [qnb, knb].into_iter().chain(fb) {
        b.free(buf)?;
    }
    Ok(())
}

/// (n_head, n_kv, head_dim).
type Heads = (u32, u32, u32);
/// (neox pairs, q/k norm, frequency factors).
type RopeStyleFlags = (bool, bool, bool);

/// Every fused kernel whose name contains `filter`.
pub fn selftest_fused(
    b: &mut dyn Backend,
    filter: Option<&str>,
    rng: &mut Rng,
    rows: &mut Vec<TestRow>,
) -> Result<()> {
    let want = |name: &str| filter.is_none_or(|f| name.contains(f));
    // llama1b: 32 q / 8 kv heads of 64, llama pairs, frequency factors.
    if want("rope_kv_llama") {
        check_rope_kv(
            b,
            rng,
            "rope_kv_llama",
            (32, 8, 64),
            false,
            false,
            true,
            rows,
        )?;
    }
    if want("rope_kv_neox") {
        check_rope_kv(
            b,
            rng,
            "rope_kv_neox",
            (16, 8, 128),
            true,
            false,
            false,
            rows,
        )?;
    }
    if want("qk_norm_rope_kv_neox") {
        for shape in [(16, 8, 128), (32, 8, 128)] {
            check_rope_kv(
                b,
                rng,
                "qk_norm_rope_kv_neox",
                shape,
                true,
                true,
                false,
                rows,
            )?;
        }
    }
    if want("attn_decode") {
        let contexts = [1, 17, 32, 33, 1000, 2048];
        for shape in [(32, 8, 64), (16, 8, 128), (32, 8, 128)] {
            check_attn_decode(b, rng, shape, 2048, &contexts, rows)?;
        }
        // head_dim 256 (4 pairs per lane), GQA 4, a cache that is not whole splits.
        check_attn_decode(b, rng, (8, 2, 256), 700, &[5, 64, 65, 700], rows)?;
    }
    // attn_rope_*: positions inside the first split, at and past its end, long; split lengths
    // of the plan (256) and a short one (32, many splits and the combine).
    let positions = [0, 16, 255, 256, 1000];
    let splits = [256, 32];
    let cases: [(&str, Heads, RopeStyleFlags); 5] = [
        ("attn_rope_llama", (32, 8, 64), (false, false, true)),
        ("attn_rope_neox", (16, 8, 128), (true, false, false)),
        ("attn_qknorm_rope_neox", (16, 8, 128), (true, true, false)),
        ("attn_qknorm_rope_neox", (32, 8, 128), (true, true, false)),
        ("attn_rope_llama", (8, 2, 256), (false, false, false)),
    ];
    for (entry, shape, style) in cases {
        if want(entry) {
            check_attn_rope(b, rng, entry, shape, style, 1024, &positions, &splits, rows)?;
        }
    }
    Ok(())
}
