//! `kernlab selftest`: every kernel once against the CPU reference on fresh random inputs,
//! outputs poisoned first, odd sizes and small grids so tails and grid-stride loops run.

use super::kernels::{self, Kernels, MatmulKind};
use super::reference::{
    check_matmul, count_poisoned, f16_to_f32, f32_to_f16, matmul_f64, rel_error, sum_f64,
    POISON_U32,
};
use super::rng::Rng;
use super::table::Table;
use crate::gpu::{Arg, Backend, Launch};
use crate::Result;

#[derive(Debug, Clone)]
pub struct TestRow {
    pub kernel: String,
    pub case: String,
    pub ok: bool,
    pub detail: String,
}

fn pass(kernel: &str, case: String, ok: bool, detail: String) -> TestRow {
    TestRow {
        kernel: kernel.to_string(),
        case,
        ok,
        detail,
    }
}

/// Run all checks whose kernel name contains `filter` (all when None).
pub fn run(b: &mut dyn Backend, filter: Option<&str>) -> Result<Vec<TestRow>> {
    let k = Kernels::load(b)?;
    let mut rng = Rng::fresh();
    let want = |name: &str| filter.is_none_or(|f| name.contains(f));
    let mut rows = Vec::new();
    let sm = b.info().sm_count;

    if want("empty") {
        b.launch(&Launch::linear(k.empty, 3, 64, vec![]))?;
        b.sync()?;
        rows.push(pass(
            "empty",
            "3x64 threads".into(),
            true,
            "launched and finished".into(),
        ));
    }
    if want("spin_ns") {
        let t = std::time::Instant::now();
        b.launch(&Launch::linear(k.spin, 1, 1, vec![Arg::U64(2_000_000)]))?;
        b.sync()?;
        let ms = t.elapsed().as_secs_f64() * 1e3;
        rows.push(pass(
            "spin_ns",
            "2 ms".into(),
            ms >= 1.9,
            format!("waited {ms:.2} ms"),
        ));
    }
    if want("fill_u32") {
        let n = 1000 + rng.below(500);
        let buf = b.alloc(2048 * 4)?;
        b.memset_u32(buf, POISON_U32)?;
        let value = rng.next_u32();
        b.launch(&kernels::fill_u32(&k, buf, n as u64, value))?;
        let mut out = vec![0u32; 2048];
        b.download(buf, bytemuck::cast_slice_mut(&mut out))?;
        let inside = out[..n].iter().all(|&w| w == value);
        let outside = out[n..].iter().all(|&w| w == POISON_U32);
        rows.push(pass(
            "fill_u32",
            format!("n={n}"),
            inside && outside,
            format!("in range written: {inside}; past n untouched: {outside}"),
        ));
        b.free(buf)?;
    }
    if want("fill_v4") {
        let n16 = 5000 + rng.below(3000) as u64;
        let buf = b.alloc((n16 + 64) * 16)?;
        b.memset_u32(buf, POISON_U32)?;
        let value = rng.next_u32();
        // 2 blocks: every thread takes the 4-wide loop and then the tail.
        b.launch(&kernels::fill_v4(&k, buf, n16, value, 2))?;
        let mut out = vec![0u32; ((n16 + 64) * 4) as usize];
        b.download(buf, bytemuck::cast_slice_mut(&mut out))?;
        let split = (n16 * 4) as usize;
        let inside = out[..split].iter().all(|&w| w == value);
        let outside = out[split..].iter().all(|&w| w == POISON_U32);
        rows.push(pass(
            "fill_v4",
            format!("n16={n16}, 2 blocks"),
            inside && outside,
            format!("in range written: {inside}; past end untouched: {outside}"),
        ));
        b.free(buf)?;
    }
    if want("replay_order") {
        rows.push(replay_order(b, &k, &mut rng)?);
    }
    if want("copy_v4") {
        let n16 = 7000 + rng.below(3000) as u64;
        let host = rng.vec_u32((n16 * 4) as usize);
        let src = b.alloc(n16 * 16)?;
        let dst = b.alloc((n16 + 16) * 16)?;
        b.upload(src, bytemuck::cast_slice(&host))?;
        b.memset_u32(dst, POISON_U32)?;
        b.launch(&kernels::copy(&k, dst, src, n16, 3))?;
        let mut out = vec![0u32; ((n16 + 16) * 4) as usize];
        b.download(dst, bytemuck::cast_slice_mut(&mut out))?;
        let split = host.len();
        let same = out[..split] == host[..];
        let outside = out[split..].iter().all(|&w| w == POISON_U32);
        rows.push(pass(
            "copy_v4",
            format!("n16={n16}, 3 blocks"),
            same && outside,
            format!("equal: {same}; past end untouched: {outside}"),
        ));
        b.free(dst)?;
        b.free(src)?;
    }
    if want("dtod") {
        let n = 10_000 + rng.below(5000);
        let host = rng.vec_u32(n);
        let src = b.alloc(n as u64 * 4)?;
        let dst = b.alloc(n as u64 * 4)?;
        b.upload(src, bytemuck::cast_slice(&host))?;
        b.memset_u32(dst, POISON_U32)?;
        b.copy(dst, src, n as u64 * 4)?;
        let mut out = vec![0u32; n];
        b.download(dst, bytemuck::cast_slice_mut(&mut out))?;
        let same = out == host;
        rows.push(pass(
            "dtod",
            format!("{n} u32"),
            same,
            format!("equal: {same}"),
        ));
        b.free(dst)?;
        b.free(src)?;
    }
    if want("read_sum_f32") {
        let n16 = 20_000 + rng.below(5000) as u64;
        let host: Vec<f32> = (0..n16 * 4).map(|_| rng.f32_signed()).collect();
        let blocks = kernels::stream_blocks(n16, sm, Some(5));
        let src = b.alloc(n16 * 16)?;
        let out = b.alloc(blocks as u64 * 4)?;
        b.upload(src, bytemuck::cast_slice(&host))?;
        b.memset_u32(out, POISON_U32)?;
        b.launch(&kernels::read_sum(&k, out, src, n16, blocks))?;
        let mut partial = vec![0f32; blocks as usize];
        b.download(out, bytemuck::cast_slice_mut(&mut partial))?;
        let unwritten = count_poisoned(&partial);
        let got: f64 = partial.iter().map(|&x| x as f64).sum();
        let want_sum = sum_f64(&host);
        let abs_sum: f64 = host.iter().map(|&x| x.abs() as f64).sum();
        // Signed data: compare to the sum of magnitudes, the scale rounding errors grow with.
        let err = (got - want_sum).abs() / abs_sum;
        rows.push(pass(
            "read_sum_f32",
            format!("n16={n16}, {blocks} blocks"),
            unwritten == 0 && err < 1e-5,
            format!(
                "sum {got:.4} vs {want_sum:.4} (err {err:.1e}); unwritten partials {unwritten}"
            ),
        ));
        b.free(out)?;
        b.free(src)?;
    }
    if want("matmul16_f32") {
        let a = rng.vec_f32_signed(256);
        let bm = rng.vec_f32_signed(256);
        let (da, db, dc) = (b.alloc(1024)?, b.alloc(1024)?, b.alloc(1024)?);
        b.upload(da, bytemuck::cast_slice(&a))?;
        b.upload(db, bytemuck::cast_slice(&bm))?;
        b.memset_u32(dc, POISON_U32)?;
        b.launch(&kernels::matmul16(&k, dc, da, db))?;
        let mut out = vec![0f32; 256];
        b.download(dc, bytemuck::cast_slice_mut(&mut out))?;
        let e = rel_error(&out, &matmul_f64(&a, &bm, 16, 16, 16));
        rows.push(pass(
            "matmul16_f32",
            "16x16x16".into(),
            e < 1e-5,
            format!("rel err {e:.1e}"),
        ));
        for x in [dc, db, da] {
            b.free(x)?;
        }
    }
    for kind in MatmulKind::all() {
        let name = kind.entry;
        if !want(name) {
            continue;
        }
        // Two block tiles in m, three in n, five k-tiles: edges, several blocks, a long k loop.
        let (m, n, kk) = (2 * kind.tile.0, 3 * kind.tile.1, 5 * kind.tile.2);
        let mut a = rng.vec_f32_signed(m * kk);
        let mut bm = rng.vec_f32_signed(kk * n);
        let elem_b = kind.elem_b;
        let da = b.alloc((m * kk) as u64 * elem_b)?;
        let db = b.alloc((kk * n) as u64 * elem_b)?;
        if !kind.is_f16() {
            b.upload(da, bytemuck::cast_slice(&a))?;
            b.upload(db, bytemuck::cast_slice(&bm))?;
        } else {
            let (ha, hb) = (f32_to_f16(&a), f32_to_f16(&bm));
            a = f16_to_f32(&ha);
            bm = f16_to_f32(&hb);
            b.upload(da, bytemuck::cast_slice(&ha))?;
            b.upload(db, bytemuck::cast_slice(&hb))?;
        }
        let dc = b.alloc((m * n) as u64 * 4)?;
        b.memset_u32(dc, POISON_U32)?;
        b.launch(&kernels::matmul(&k, &kind, dc, da, db, (m, n, kk))?)?;
        let mut out = vec![0f32; m * n];
        b.download(dc, bytemuck::cast_slice_mut(&mut out))?;
        let unwritten = count_poisoned(&out);
        let (e, _) = check_matmul(&out, &a, &bm, (m, n, kk), u64::MAX, 0, &mut rng);
        rows.push(pass(
            name,
            format!("{m}x{n}x{kk}"),
            unwritten == 0 && e < kind.tolerance,
            format!("rel err {e:.1e}; unwritten {unwritten}"),
        ));
        for x in [dc, db, da] {
            b.free(x)?;
        }
    }
    Ok(rows)
}

/// The order between the grids of a prebuilt replay (nv queue, CUDA graph): 100 `bump_u32`
/// grids alternate A -> B and B -> A, so every element of A gains exactly 100 per replay unless
/// some grid ran early or read a value its predecessor had not yet written. One wave of 2
/// blocks an SM (room beside them for the next grid's blocks, which under programmatic
/// dependent launch are resident and waiting when the previous grid ends, as the decode
/// kernels' are), replayed 20 times. It checks the order, not the grid-end barrier: it passed
/// on the H100 with the barrier dropped (KERNLAB_NV_MEMBAR=none, session 6), where decode read
/// stale values; the decode CPU check is what catches that.
fn replay_order(b: &mut dyn Backend, k: &Kernels, rng: &mut Rng) -> Result<TestRow> {
    const GRIDS: u32 = 100;
    const REPLAYS: u32 = 20;
    let n = b.info().sm_count.max(1) * 2 * 256;
    let start = rng.vec_u32(n as usize);
    let a = b.alloc(n as u64 * 4)?;
    let bb = b.alloc(n as u64 * 4)?;
    b.upload(a, bytemuck::cast_slice(&start))?;
    b.memset_u32(bb, POISON_U32)?;
    let list: Vec<Launch> = (0..GRIDS)
        .map(|g| {
            let (dst, src) = if g % 2 == 0 { (bb, a) } else { (a, bb) };
            kernels::bump(k, dst, src, n, g % 2 == 1)
        })
        .collect();
    let id = b.build_replay(&list)?;
    for _ in 0..REPLAYS {
        b.replay(id)?;
    }
    b.sync()?;
    let mut out = vec![0u32; n as usize];
    b.download(a, bytemuck::cast_slice_mut(&mut out))?;
    let gain = GRIDS * REPLAYS;
    let short = out
        .iter()
        .zip(&start)
        .filter(|(o, s)| **o != s.wrapping_add(gain))
        .count();
    b.free(bb)?;
    b.free(a)?;
    Ok(pass(
        "replay_order",
        format!("{GRIDS} bump_u32 grids over {n} elements, {REPLAYS} replays"),
        short == 0,
        format!("elements not +{gain}: {short}"),
    ))
}

pub fn render(rows: &[TestRow]) -> String {
    let mut t = Table::new(&["kernel", "case", "result", "detail"]);
    for r in rows {
        t.row(vec![
            r.kernel.clone(),
            r.case.clone(),
            if r.ok { "pass" } else { "FAIL" }.to_string(),
            r.detail.clone(),
        ]);
    }
    let failed = rows.iter().filter(|r| !r.ok).count();
    format!(
        "{}\n{} of {} checks passed{}",
        t.render(),
        rows.len() - failed,
        rows.len(),
        if failed > 0 {
            format!(", {failed} FAILED")
        } else {
            String::new()
        }
    )
}
