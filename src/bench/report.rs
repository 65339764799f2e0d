//! One JSON record per measurement: llama-bench's fields (model_type, model_size, n_prompt,
//! n_gen, avg_ns, stddev_ns, avg_ts, stddev_ts, samples_ns) plus kernlab's (backend, gpu_info,
//! driver, test, and gbps / gflops / pct_of_peak where they mean something).

use crate::gpu::GpuInfo;
use crate::json::Json;
use crate::stats::summarize;

/// A record for `test` with per-run `samples_ns`; `model_size` is the bytes (or elements) the
/// test works on, as llama-bench's model_size is the bytes of the model.
pub fn record(
    info: &GpuInfo,
    test: &str,
    model_type: &str,
    model_size: u64,
    samples_ns: &[f64],
) -> Json {
    let s = summarize(samples_ns);
    let ts: Vec<f64> = samples_ns
        .iter()
        .map(|&ns| if ns > 0.0 { 1e9 / ns } else { 0.0 })
        .collect();
    let t = summarize(&ts);
    Json::obj()
        .set("test", test)
        .set("model_type", model_type)
        .set("model_size", model_size)
        .set("n_prompt", 0u32)
        .set("n_gen", 0u32)
        .set("avg_ns", s.mean)
        .set("stddev_ns", s.stddev)
        .set("median_ns", s.median)
        .set("p99_ns", s.p99)
        .set("avg_ts", t.mean)
        .set("stddev_ts", t.stddev)
        .set("samples_ns", samples_ns.to_vec())
        .set("samples_ts", ts)
        .set("backend", info.backend)
        .set("gpu_info", info.name.as_str())
        .set("arch", info.arch.as_str())
        .set("driver", info.driver.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_has_llama_bench_fields() {
        let info = GpuInfo {
            backend: "cuda",
            name: "Test GPU".into(),
            arch: "sm_90".into(),
            sm_count: 1,
            l2_b: 0,
            mem_b: 0,
            driver: "13.0".into(),
        };
        let r = record(&info, "copy 1 MB", "bw copy_v4", 1 << 20, &[1000.0, 3000.0]);
        for k in [
            "model_type",
            "model_size",
            "n_prompt",
            "n_gen",
            "avg_ns",
            "stddev_ns",
            "avg_ts",
            "stddev_ts",
            "samples_ns",
            "backend",
            "gpu_info",
            "driver",
        ] {
            assert!(r.get(k).is_some(), "missing {k}");
        }
        assert_eq!(r.get("avg_ns").and_then(Json::as_f64), Some(2000.0));
        // 1e9/1000 and 1e9/3000 per second: mean 666666.67
        let avg_ts = r.get("avg_ts").and_then(Json::as_f64).unwrap();
        assert!((avg_ts - 666_666.666).abs() < 1.0, "{avg_ts}");
    }
}
