//! `kernlab bw`: copy, read-only and write-only kernels beside the driver's device-to-device
//! copy, at sizes from L2-resident to HBM. Copy counts bytes read + written.

use super::kernels::{self, Kernels};
use super::reference::{sum_f64, POISON_U32};
use super::rng::Rng;
use super::table::{size_label, Table};
use super::timing::gpu_times_ns;
use crate::gpu::Backend;
use crate::json::Json;
use crate::stats::summarize;
use crate::{Error, Result};

/// One operation at one size.
#[derive(Debug, Clone)]
pub struct BwRow {
    pub op: &'static str,
    pub size_b: u64,
    /// Bytes the operation moves through memory (2x size for copies: read + write).
    pub moved_b: u64,
    pub samples_ns: Vec<f64>,
    pub median_ns: f64,
    pub gbps: f64,
    /// (p90 - p10) / median, in percent.
    pub spread_pct: f64,
}

pub const OPS: [&str; 4] = ["copy", "dtod", "read", "write"];

fn bytes_of(x: &[u32]) -> &[u8] {
    bytemuck::cast_slice(x)
}

/// Knobs for exploring the streaming kernels (defaults are what `kernlab bw` reports).
#[derive(Debug, Clone, PartialEq)]
pub struct BwOptions {
    /// copy_v4 variant name (ptx::registry::COPY_VARIANTS).
    pub copy_variant: String,
    /// Grid cap of the streaming kernels, in blocks of 256 threads per SM; None: one block per
    /// 4 x 256 vectors, uncapped (measured best on the H100: 1 GB copy 2984 GB/s uncapped,
    /// 2925 at 128 per SM, 2908 at 64, 2838 at 8).
    pub blocks_per_sm: Option<u32>,
}

impl Default for BwOptions {
    fn default() -> Self {
        BwOptions {
            copy_variant: "plain".into(),
            blocks_per_sm: None,
        }
    }
}

/// Run every op at every size; each op's output is checked once before it is timed.
pub fn run(
    b: &mut dyn Backend,
    sizes_b: &[u64],
    reps: usize,
    opt: &BwOptions,
) -> Result<Vec<BwRow>> {
    let mut k = Kernels::load(b)?;
    k.copy_v4 = b.load(&crate::ptx::registry::copy_variant(&opt.copy_variant)?)?;
    let sm = b.info().sm_count;
    let mut rng = Rng::fresh();
    let mut rows = Vec::new();
    // KERNLAB_BW_GAP_MB (an experiment knob): a buffer of that size allocated between src and
    // dst, to see whether the copy's speed depends on where dst lies relative to src.
    let gap_b: u64 = match std::env::var("KERNLAB_BW_GAP_MB") {
        Ok(v) => {
            v.parse::<u64>()
                .map_err(|_| Error::Usage(format!("KERNLAB_BW_GAP_MB={v}: expected megabytes")))?
                << 20
        }
        Err(_) => 0,
    };
    for &size_b in sizes_b {
        if size_b % 16 != 0 || size_b == 0 {
            return Err(Error::Usage(format!(
                "bw size {size_b} B is not a multiple of 16"
            )));
        }
        let n16 = size_b / 16;
        let cap = match opt.blocks_per_sm {
            Some(per_sm) => sm.max(1).saturating_mul(per_sm.max(1)),
            None => i32::MAX as u32,
        };
        let blocks = kernels::stream_blocks(n16, sm, Some(cap));
        let src = b.alloc(size_b)?;
        let gap = (gap_b > 0).then(|| b.alloc(gap_b)).transpose()?;
        let dst = b.alloc(size_b)?;
        let partial = b.alloc(blocks as u64 * 4)?;
        // Random finite floats (so the read kernel's sum is meaningful) in the source.
        let host: Vec<u32> = (0..size_b / 4).map(|_| rng.f32_unit().to_bits()).collect();
        b.upload(src, bytes_of(&host))?;
        let mut back = vec![0u32; host.len()];

        // copy: poison, run once, compare, then time.
        b.memset_u32(dst, POISON_U32)?;
        b.launch(&kernels::copy(&k, dst, src, n16, blocks))?;
        b.download(dst, bytemuck::cast_slice_mut(&mut back))?;
        if back != host {
            return Err(Error::Check(format!(
                "copy_v4 at {}: output differs",
                size_label(size_b)
            )));
        }
        let copy = kernels::copy(&k, dst, src, n16, blocks);
        let t = gpu_times_ns(b, k.spin, 3, reps, &mut |b| b.launch(&copy))?;
        rows.push(row("copy", size_b, 2 * size_b, t));

        b.memset_u32(dst, POISON_U32)?;
        b.copy(dst, src, size_b)?;
        b.download(dst, bytemuck::cast_slice_mut(&mut back))?;
        if back != host {
            return Err(Error::Check(format!(
                "cuMemcpyDtoD at {}: output differs",
                size_label(size_b)
            )));
        }
        let t = gpu_times_ns(b, k.spin, 3, reps, &mut |b| b.copy(dst, src, size_b))?;
        rows.push(row("dtod", size_b, 2 * size_b, t));

        b.memset_u32(partial, POISON_U32)?;
        let read = kernels::read_sum(&k, partial, src, n16, blocks);
        b.launch(&read)?;
        let mut sums = vec![0f32; blocks as usize];
        b.download(partial, bytemuck::cast_slice_mut(&mut sums))?;
        let want = sum_f64(bytemuck::cast_slice(&host));
        let got: f64 = sums.iter().map(|&x| x as f64).sum();
        if !got.is_finite() || ((got - want) / want).abs() > 1e-4 {
            return Err(Error::Check(format!(
                "read_sum_f32 at {}: sum {got} vs reference {want}",
                size_label(size_b)
            )));
        }
        let t = gpu_times_ns(b, k.spin, 3, reps, &mut |b| b.launch(&read))?;
        rows.push(row("read", size_b, size_b, t));

        let value = rng.next_u32() | 1;
        b.memset_u32(dst, POISON_U32)?;
        let fill = kernels::fill_v4(&k, dst, n16, value, blocks);
        b.launch(&fill)?;
        b.download(dst, bytemuck::cast_slice_mut(&mut back))?;
        if let Some(i) = back.iter().position(|&w| w != value) {
            return Err(Error::Check(format!(
                "fill_v4 at {}: word {i} is 0x{:08x}, want 0x{value:08x}",
                size_label(size_b),
                back[i]
            )));
        }
        let t = gpu_times_ns(b, k.spin, 3, reps, &mut |b| b.launch(&fill))?;
        rows.push(row("write", size_b, size_b, t));

        b.free(partial)?;
        b.free(dst)?;
        if let Some(g) = gap {
            b.free(g)?;
        }
        b.free(src)?;
    }
    Ok(rows)
}

fn row(op: &'static str, size_b: u64, moved_b: u64, samples_ns: Vec<f64>) -> BwRow {
    let s = summarize(&samples_ns);
    BwRow {
        op,
        size_b,
        moved_b,
        median_ns: s.median,
        gbps: moved_b as f64 / s.median,
        spread_pct: if s.median > 0.0 {
            (s.p90 - s.p10) / s.median * 100.0
        } else {
            0.0
        },
        samples_ns,
    }
}

fn find<'a>(rows: &'a [BwRow], op: &str, size_b: u64) -> Option<&'a BwRow> {
    rows.iter().find(|r| r.op == op && r.size_b == size_b)
}

/// The table: sizes down the left; per op GB/s (median) and spread.
pub fn render(rows: &[BwRow], l2_b: u64, reps: usize) -> String {
    let mut sizes: Vec<u64> = rows.iter().map(|r| r.size_b).collect();
    sizes.dedup();
    let mut t = Table::new(&[
        "size",
        "copy GB/s",
        "±%",
        "DtoD GB/s",
        "±%",
        "copy/DtoD",
        "read GB/s",
        "±%",
        "write GB/s",
        "±%",
    ]);
    for &s in &sizes {
        let mut cells = vec![format!(
            "{}{}",
            size_label(s),
            if 2 * s <= l2_b { " (L2)" } else { "" }
        )];
        for op in OPS {
            match find(rows, op, s) {
                Some(r) => {
                    cells.push(format!("{:.1}", r.gbps));
                    cells.push(format!("{:.1}", r.spread_pct));
                }
                None => cells.extend(["-".to_string(), "-".to_string()]),
            }
            if op == "dtod" {
                let ratio = match (find(rows, "copy", s), find(rows, "dtod", s)) {
                    (Some(c), Some(d)) => format!("{:.1}%", c.gbps / d.gbps * 100.0),
                    _ => "-".into(),
                };
                cells.push(ratio);
            }
        }
        t.row(cells);
    }
    format!(
        "device memory bandwidth: GB/s = bytes / median GPU time of {reps} timed runs (events; \
         3 warm-up runs excluded); copy and DtoD count bytes read + written, read and write count \
         the buffer once; ±% = (p90 - p10) / median.\n\
         sizes marked (L2) fit in the {} L2 (src + dst), so they measure the L2, not HBM \
         (an H100 has 50 MB of L2).\n\n{}",
        size_label_l2(l2_b),
        t.render()
    )
}

fn size_label_l2(l2_b: u64) -> String {
    format!("{:.0} MB", l2_b as f64 / (1u64 << 20) as f64)
}

/// One JSON record per row, with gbps and pct_of_peak (= % of cuMemcpyDtoD at that size).
pub fn json(rows: &[BwRow], info: &crate::gpu::GpuInfo) -> Json {
    let recs: Vec<Json> = rows
        .iter()
        .map(|r| {
            let kernel = match r.op {
                "copy" => "copy_v4",
                "read" => "read_sum_f32",
                "write" => "fill_v4",
                _ => "cuMemcpyDtoDAsync",
            };
            let mut j = super::report::record(
                info,
                &format!("{} {}", r.op, size_label(r.size_b)),
                &format!("bw {kernel}"),
                r.size_b,
                &r.samples_ns,
            );
            j.insert("bytes_moved", r.moved_b);
            j.insert("gbps", r.gbps);
            if let Some(d) = find(rows, "dtod", r.size_b) {
                j.insert("pct_of_peak", r.gbps / d.gbps * 100.0);
                j.insert("peak", "cuMemcpyDtoD at the same size");
            }
            j
        })
        .collect();
    Json::Arr(recs)
}
