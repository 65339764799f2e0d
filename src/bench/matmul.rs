//! `kernlab matmul`: fp32 (FFMA) and fp16-in / fp32-accumulate tensor-core matmul, GFLOP/s,
//! each size checked against the CPU on fresh random inputs with the output poisoned first.

use super::kernels::{self, Kernels, MatmulKind};
use super::reference::{check_matmul, count_poisoned, f16_to_f32, f32_to_f16, POISON_U32};
use super::rng::Rng;
use super::table::Table;
use super::timing::gpu_times_ns;
use crate::gpu::{Backend, GpuInfo};
use crate::json::Json;
use crate::stats::summarize;
use crate::Result;

/// Products up to this many multiply-adds are checked in full; larger ones on samples.
pub const FULL_CHECK_LIMIT: u64 = 1 << 30;
/// Random output elements (each a full dot product in f64) checked above the limit.
pub const CHECK_SAMPLES: usize = 4096;

#[derive(Debug, Clone)]
pub struct MatmulRow {
    pub kind: MatmulKind,
    pub n: usize,
    pub samples_ns: Vec<f64>,
    pub median_ns: f64,
    pub gflops: f64,
    pub rel_err: f64,
    pub checked: String,
    pub ok: bool,
}

/// Which kernels to run and how (defaults: every kernel, each with its default stages).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MatmulOptions {
    /// Only the kinds with these names (e.g. "fp16-tc-wide-k64"); all when empty.
    pub kinds: Vec<String>,
    /// Pipeline depth for the tensor-core kernels instead of each one's default.
    pub stages: Option<u32>,
}

/// Run the kernels at every size (square n x n x n).
pub fn run(
    b: &mut dyn Backend,
    sizes: &[usize],
    reps: usize,
    opt: &MatmulOptions,
) -> Result<Vec<MatmulRow>> {
    let mut k = Kernels::load(b)?;
    if let Some(stages) = opt.stages {
        for entry in k.matmuls.iter_mut() {
            if entry.0.is_f16() {
                let spec = crate::ptx::registry::tc_variant(entry.0.entry, stages)?;
                entry.1 = b.load(&spec)?;
                entry.2 = spec.dynamic_shared_b();
            }
        }
    }
    let kinds: Vec<MatmulKind> = MatmulKind::all()
        .into_iter()
        .filter(|m| opt.kinds.is_empty() || opt.kinds.iter().any(|n| n == m.name))
        .collect();
    if kinds.is_empty() {
        return Err(crate::Error::Usage(format!(
            "no matmul kernel named {}; names: {}",
            opt.kinds.join(","),
            MatmulKind::all()
                .iter()
                .map(|m| m.name)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let mut rng = Rng::fresh();
    let mut rows = Vec::new();
    for &n in sizes {
        for kind in kinds.iter().copied() {
            rows.push(one(b, &k, kind, n, reps, &mut rng)?);
        }
    }
    Ok(rows)
}

fn one(
    b: &mut dyn Backend,
    k: &Kernels,
    kind: MatmulKind,
    n: usize,
    reps: usize,
    rng: &mut Rng,
) -> Result<MatmulRow> {
    let elems = n * n;
    let mut a = rng.vec_f32_signed(elems);
    let mut bm = rng.vec_f32_signed(elems);
    let (da, db) = match kind.is_f16() {
        false => {
            let da = b.alloc(elems as u64 * 4)?;
            let db = b.alloc(elems as u64 * 4)?;
            b.upload(da, bytemuck::cast_slice(&a))?;
            b.upload(db, bytemuck::cast_slice(&bm))?;
            (da, db)
        }
        true => {
            let ha = f32_to_f16(&a);
            let hb = f32_to_f16(&bm);
            // The reference sees exactly the f16 values the GPU sees.
            a = f16_to_f32(&ha);
            bm = f16_to_f32(&hb);
            let da = b.alloc(elems as u64 * 2)?;
            let db = b.alloc(elems as u64 * 2)?;
            b.upload(da, bytemuck::cast_slice(&ha))?;
            b.upload(db, bytemuck::cast_slice(&hb))?;
            (da, db)
        }
    };
    let dc = b.alloc(elems as u64 * 4)?;
    let launch = kernels::matmul(k, &kind, dc, da, db, (n, n, n))?;
    b.memset_u32(dc, POISON_U32)?;
    b.launch(&launch)?;
    let mut out = vec![0f32; elems];
    b.download(dc, bytemuck::cast_slice_mut(&mut out))?;
    let unwritten = count_poisoned(&out);
    let (rel_err, mut checked) = check_matmul(
        &out,
        &a,
        &bm,
        (n, n, n),
        FULL_CHECK_LIMIT,
        CHECK_SAMPLES,
        rng,
    );
    if unwritten > 0 {
        checked = format!("{checked}; {unwritten} unwritten");
    }
    let ok = unwritten == 0 && rel_err <= kind.tolerance;
    let t = gpu_times_ns(b, k.spin, 2, reps, &mut |b| b.launch(&launch))?;
    b.free(dc)?;
    b.free(db)?;
    b.free(da)?;
    let s = summarize(&t);
    let flops = 2.0 * (n as f64).powi(3);
    Ok(MatmulRow {
        kind,
        n,
        median_ns: s.median,
        gflops: flops / s.median,
        samples_ns: t,
        rel_err,
        checked,
        ok,
    })
}

fn find<'a>(rows: &'a [MatmulRow], kind: &MatmulKind, n: usize) -> Option<&'a MatmulRow> {
    rows.iter().find(|r| r.kind.entry == kind.entry && r.n == n)
}

pub fn render(rows: &[MatmulRow], reps: usize) -> String {
    let mut sizes: Vec<usize> = rows.iter().map(|r| r.n).collect();
    sizes.dedup();
    let kinds = MatmulKind::all();
    let mut headers: Vec<String> = vec!["n (n x n x n)".into()];
    headers.extend(kinds.iter().map(|k| format!("{} GFLOP/s", k.name)));
    headers.push("max rel err".into());
    headers.push("checked".into());
    let h: Vec<&str> = headers.iter().map(String::as_str).collect();
    let mut t = Table::new(&h);
    for n in sizes {
        let mut cells = vec![n.to_string()];
        let mut how = String::new();
        let mut worst = 0.0f64;
        let mut failed = Vec::new();
        for kind in &kinds {
            match find(rows, kind, n) {
                Some(r) => {
                    cells.push(format!("{:.1}", r.gflops));
                    worst = worst.max(r.rel_err);
                    if !r.ok {
                        failed.push(kind.name);
                    }
                    how = r.checked.clone();
                }
                None => cells.push("-".into()),
            }
        }
        cells.push(if failed.is_empty() {
            format!("{worst:.1e}")
        } else {
            format!("{worst:.1e} FAIL {}", failed.join(","))
        });
        cells.push(how);
        t.row(cells);
    }
    format!(
        "matmul c = a * b (row-major, square): GFLOP/s = 2 n^3 / median GPU time of {reps} timed \
         runs (events, 2 warm-ups excluded).\nfp32: FFMA, 64x64 tiles in shared memory. fp16-tc*: \
         f16 inputs, f32 accumulate, mma.sync.m16n8k16, cp.async pipeline; tiles 128x128x32 (tc), \
         128x128x64 (k64), 128x256x32 (wide), 128x256x64 (wide-k64).\n\
         rel err = ||gpu - cpu|| / ||cpu|| against an f64 CPU product on fresh random inputs \
         (output poisoned with NaN first; full check up to 1024, {CHECK_SAMPLES} random elements above).\n\n{}",
        t.render()
    )
}

pub fn json(rows: &[MatmulRow], info: &GpuInfo) -> Json {
    Json::Arr(
        rows.iter()
            .map(|r| {
                let kernel = r.kind.entry;
                let mut j = super::report::record(
                    info,
                    &format!("{} {}", r.kind.name, r.n),
                    &format!("matmul {kernel}"),
                    r.n as u64,
                    &r.samples_ns,
                );
                j.insert("gflops", r.gflops);
                j.insert("rel_err", r.rel_err);
                j.insert("checked", r.checked.as_str());
                j.insert("ok", r.ok);
                j
            })
            .collect(),
    )
}
