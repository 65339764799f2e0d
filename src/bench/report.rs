//! One JSON record per measurement: llama-bench's fields (model_type, model_size, n_prompt,
//! n_gen, avg_ns, stddev_ns, avg_ts, stddev_ts, samples_ns) plus kernlab's (backend, gpu_info,
//! driver, test, and gbps / gflops / pct_of_peak where they mean something).

use crate::gpu::GpuInfo;
use crate::json::Json;
use crate::stats::summarize;

/// A number, or null when it is not finite (JSON has no NaN/inf).
pub fn finite(x: f64) -> Json {
    if x.is_finite() {
        Json::Num(x)
    } else {
        Json::Null
    }
}

/// llama-bench's fields for a decode test (n_prompt processed first, n_gen generated, samples =
/// per-token times of the timed generated positions) plus the backend and the per-token summary
/// (median/p10/p90 ms). Callers add their own fields (gbps, pct_of_peak, ...).
#[allow(clippy::too_many_arguments)]
pub fn decode_record(
    model_type: &str,
    model_size: u64,
    n_prompt: usize,
    n_gen: usize,
    samples_ns: &[f64],
    backend: &str,
    gpu_info: &str,
    driver: &str,
) -> Json {
    let ts: Vec<f64> = samples_ns.iter().map(|ns| 1e9 / ns).collect();
    let s = summarize(samples_ns);
    let t = summarize(&ts);
    Json::obj()
        .set("model_type", model_type)
        .set("model_size", model_size)
        .set("n_prompt", n_prompt)
        .set("n_gen", n_gen)
        .set("avg_ns", finite(s.mean))
        .set("stddev_ns", finite(s.stddev))
        .set("avg_ts", finite(t.mean))
        .set("stddev_ts", finite(t.stddev))
        .set("samples_ns", samples_ns.to_vec())
        .set("samples_ts", ts)
        .set("backend", backend)
        .set("gpu_info", gpu_info)
        .set("driver", driver)
        .set("median_ms", finite(s.median / 1e6))
        .set("p10_ms", finite(s.p10 / 1e6))
        .set("p90_ms", finite(s.p90 / 1e6))
}

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
