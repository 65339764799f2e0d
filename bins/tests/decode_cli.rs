//! End to end: `kernlab decode --backend cpu` on a tiny synthetic model (written on the fly with
//! --synthetic into a private model directory): logits dump size and values, JSON fields, and the
//! one-line errors for a missing model, GPU backends and bad token ids.

use kernlab::json::Json;
use std::path::PathBuf;
use std::process::{Command, Output};

fn models_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kernlab-decode-cli-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn kernlab(models: &PathBuf, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kernlab"))
        .env("KERNLAB_MODELS", models)
        .args(args)
        .output()
        .expect("run kernlab")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn decode_cpu_dumps_every_position() {
    let dir = models_dir("dump");
    for (model, n_vocab) in [("tiny-llama-q8", 512usize), ("tiny-qwen3-q4km", 640)] {
        let dump = dir.join(format!("{model}.logits"));
        let o = kernlab(
            &dir,
            &[
                "decode",
                "--model",
                model,
                "--backend",
                "cpu",
                "--synthetic",
                "--prompt-tokens",
                "1,2,3",
                "--tokens",
                "4",
                "--threads",
                "2",
                "--dump-logits",
                dump.to_str().unwrap(),
            ],
        );
        assert!(o.status.success(), "{}", text(&o));
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains("tok/s") && out.contains("generated"), "{out}");
        let bytes = std::fs::read(&dump).unwrap();
        // 3 prompt positions + 4 generated positions.
        assert_eq!(bytes.len(), 7 * n_vocab * 4, "{model}");
        let vals: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert!(
            vals.iter().all(|v| v.is_finite()),
            "{model}: non-finite logits"
        );
        // Rows differ (each position sees a different context).
        assert_ne!(vals[..n_vocab], vals[n_vocab..2 * n_vocab]);
        // The generated ids printed are the argmax of the previous rows (lowest id on ties).
        let gen_line = out.lines().find(|l| l.starts_with("generated")).unwrap();
        let ids: Vec<usize> = gen_line
            .trim_start_matches("generated")
            .trim()
            .split(',')
            .map(|t| t.parse().unwrap())
            .collect();
        assert_eq!(ids.len(), 4);
        for (i, &id) in ids.iter().enumerate() {
            let row = &vals[(2 + i) * n_vocab..(3 + i) * n_vocab];
            let max = row.iter().cloned().fold(f32::MIN, f32::max);
            let first = row.iter().position(|&v| v == max).unwrap();
            assert_eq!(id, first, "{model}: generated token {i}");
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn decode_cpu_json_has_llama_bench_fields() {
    let dir = models_dir("json");
    let o = kernlab(
        &dir,
        &[
            "decode",
            "--model",
            "tiny-llama-q8",
            "--backend",
            "cpu",
            "--synthetic",
            "--tokens",
            "5",
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let j = Json::parse(&String::from_utf8_lossy(&o.stdout)).expect("JSON on stdout");
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
        "gbps",
        "pct_of_peak",
        "bytes_per_token",
    ] {
        assert!(j.get(k).is_some(), "missing {k}");
    }
    assert_eq!(j.get("backend").unwrap().as_str(), Some("cpu"));
    assert_eq!(j.get("gpu_info").unwrap().as_str(), Some("cpu"));
    assert_eq!(j.get("pct_of_peak"), Some(&Json::Null));
    assert_eq!(j.get("n_gen").unwrap().as_f64(), Some(5.0));
    // Default prompt: the BOS token alone.
    assert_eq!(j.get("n_prompt").unwrap().as_f64(), Some(1.0));
    // 5 generated, the first a warm-up: 4 samples.
    assert_eq!(j.get("samples_ns").unwrap().as_arr().unwrap().len(), 4);
    assert!(j.get("avg_ts").unwrap().as_f64().unwrap() > 0.0);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn decode_errors_are_one_line() {
    let dir = models_dir("errors");
    // Not on disk, no --synthetic: says how to get it.
    let o = kernlab(
        &dir,
        &["decode", "--model", "tiny-qwen3-q8", "--backend", "cpu"],
    );
    assert!(!o.status.success());
    let t = text(&o);
    assert!(
        t.contains("not on disk") && t.contains("kernlab synth"),
        "{t}"
    );
    // GPU backends on a machine without the device say what is missing, in one line.
    let no_gpu = !std::path::Path::new("/dev/nvidiactl").exists()
        && cuda_shim::sys::open_lib(cuda_shim::sys::LIBCUDA).is_err();
    for (b, missing) in [("nv", "/dev/nvidiactl"), ("cuda", "libcuda.so.1")] {
        if !no_gpu {
            break;
        }
        let o = kernlab(
            &dir,
            &[
                "decode",
                "--model",
                "tiny-qwen3-q8",
                "--synthetic",
                "--backend",
                b,
            ],
        );
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        let last = err.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("kernlab: ") && last.contains(missing),
            "{err}"
        );
    }
    // Bad token ids.
    let o = kernlab(
        &dir,
        &[
            "decode",
            "--model",
            "tiny-qwen3-q8",
            "--backend",
            "cpu",
            "--synthetic",
            "--prompt-tokens",
            "1,99999",
        ],
    );
    assert!(!o.status.success());
    let t = text(&o);
    assert!(
        t.contains("outside the vocabulary") && !t.contains("panicked"),
        "{t}"
    );
    let o = kernlab(
        &dir,
        &[
            "decode",
            "--model",
            "tiny-qwen3-q8",
            "--backend",
            "cpu",
            "--prompt-tokens",
            "1,x",
        ],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("not a token id"), "{}", text(&o));
    // Past the context.
    let o = kernlab(
        &dir,
        &[
            "decode",
            "--model",
            "tiny-qwen3-q8",
            "--backend",
            "cpu",
            "--tokens",
            "100000",
        ],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("context"), "{}", text(&o));
    // GPU-only timings on the cpu backend.
    for flag in ["--profile", "--timeline"] {
        let o = kernlab(
            &dir,
            &[
                "decode",
                "--model",
                "tiny-qwen3-q8",
                "--backend",
                "cpu",
                "--synthetic",
                flag,
            ],
        );
        assert!(!o.status.success());
        let t = text(&o);
        assert!(
            t.contains(flag) && t.contains("--backend cuda or nv") && !t.contains("panicked"),
            "{t}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}
