//! bench/peers/summarize.py on made-up results: llama-bench's JSON, kernlab decode --json of
//! two rounds on nv and an unreadable one on cuda. The ratio kernlab / llama.cpp is taken from
//! what the same call measured, and a broken result is named, not dropped.

use std::path::Path;
use std::process::Command;

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// `cmd`'s output, or None with a note when its program (`what`) is missing here.
fn output_or_note(cmd: &mut Command, what: &str) -> Option<std::process::Output> {
    match cmd.output() {
        Ok(o) => Some(o),
        Err(e) => {
            println!("NOTE: {what} not found ({e}); this check is skipped");
            None
        }
    }
}

#[test]
fn kernlab_rounds_and_llama_cpp_give_the_same_call_ratio() {
    let dir = std::env::temp_dir().join(format!("kernlab-peers-{}", std::process::id()));
    let results = dir.join("results");
    std::fs::create_dir_all(&results).unwrap();
    let model = dir.join("qwen3-1.7b-q4km.gguf");
    write(&dir, "qwen3-1.7b-q4km.gguf", "GGUF");
    write(
        &results,
        "llama_0.json",
        r#"[{"n_prompt": 0, "n_gen": 128, "samples_ts": [500.0, 520.0, 510.0, 505.0, 515.0],
             "avg_ts": 510.0, "stddev_ts": 7.9}]"#,
    );
    write(
        &results,
        "kernlab_nv_0_r1.json",
        r#"{"median_ms": 0.870, "p10_ms": 0.86, "p90_ms": 0.88, "pct_of_peak": 43.0}"#,
    );
    write(
        &results,
        "kernlab_nv_0_r2.json",
        r#"{"median_ms": 0.860, "p10_ms": 0.85, "p90_ms": 0.87, "pct_of_peak": 43.5}"#,
    );
    write(
        &results,
        "kernlab_cuda_0_r1.json",
        "kernlab: no CUDA driver",
    );
    write(
        &results,
        "steps.tsv",
        "llama_bench_0\t0\t2.1\nkernlab_nv_0_r1\t0\t6.0\n",
    );
    let out_json = dir.join("peers.json");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/peers/summarize.py");
    let Some(o) = output_or_note(
        Command::new("python3")
            .arg(&script)
            .arg(&results)
            .arg(&out_json)
            .arg(&model),
        "python3",
    ) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // nv: 1000 / median(0.870, 0.860) = 1156.1 tok/s against llama.cpp's median 510.0: 2.27x.
    assert!(
        stdout.contains("| qwen3-1.7b-q4km.gguf | 1156.1 (0.870 / 0.860) |"),
        "{stdout}"
    );
    assert!(stdout.contains("| 2.27× | - |"), "{stdout}");
    assert!(stdout.contains("kernlab_cuda_0_r1.json:"), "{stdout}");
    let doc = std::fs::read_to_string(&out_json).unwrap();
    let ratio = doc
        .split("\"kernlab_nv_x_llama_cpp\": ")
        .nth(1)
        .and_then(|r| r.split([',', '\n']).next())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .expect("kernlab_nv_x_llama_cpp in peers.json");
    assert!((ratio - 1000.0 / 0.865 / 510.0).abs() < 1e-9, "{ratio}");
    assert!(doc.contains("\"kernlab_cuda_x_llama_cpp\": null"), "{doc}");
    std::fs::remove_dir_all(&dir).ok();
}

/// run_peers.sh's kernlab step with a stand-in binary (llama.cpp and tinygrad skipped): one
/// decode per model, backend and round with the arguments the issue's comparison needs, and a
/// failing backend reported in the table while the others go on.
#[test]
fn run_peers_runs_kernlab_per_model_backend_and_round() {
    let dir = std::env::temp_dir().join(format!("kernlab-runpeers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fake = dir.join("kernlab");
    // Logs its arguments; nv answers with a median, cuda fails as a missing driver would.
    write(
        &dir,
        "kernlab",
        &format!(
            "#!/bin/sh\necho \"$@\" >> '{}'\nif [ \"$3\" = cuda ]; then echo 'kernlab: no CUDA driver' >&2; exit 3; fi\necho '{{\"median_ms\": 0.5}}'\n",
            dir.join("calls.txt").display()
        ),
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    write(&dir, "a.gguf", "GGUF");
    write(&dir, "b.gguf", "GGUF");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/peers/run_peers.sh");
    let Some(o) = output_or_note(
        Command::new("bash")
            .arg(&script)
            .arg(dir.join("a.gguf"))
            .arg(dir.join("b.gguf"))
            .env("PEERS_SKIP_LLAMA", "1")
            .env("PEERS_SKIP_TINYGRAD", "1")
            .env("PEERS_KERNLAB", &fake)
            .env("PEERS_KERNLAB_ARGS", "--ceiling-gbps 2933")
            .env("OUT", dir.join("out"))
            .env("PEERS_WORK", dir.join("work")),
        "bash",
    ) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&o.stdout);
    if !stdout.contains("wrote ") {
        println!("NOTE: summarize.py did not run (python3 missing?): {stdout}");
        return;
    }
    let calls = std::fs::read_to_string(dir.join("calls.txt")).unwrap();
    let calls: Vec<&str> = calls.lines().collect();
    // 2 rounds x 2 models x 2 backends, model by model within a round.
    assert_eq!(calls.len(), 8, "{calls:?}");
    let a = dir.join("a.gguf");
    assert_eq!(
        calls[0],
        format!(
            "decode --backend nv --model {} --tokens 128 --json --ceiling-gbps 2933",
            a.display()
        )
    );
    assert!(calls[1].starts_with("decode --backend cuda --model"));
    assert!(calls[2].contains("b.gguf") && calls[4].contains("a.gguf"));
    assert!(stdout.contains("| a.gguf | 2000.0 (0.500 / 0.500) | kernlab_cuda_0_r1.json: empty"));
    assert!(stdout.contains("step kernlab_cuda_1_r2: rc=3"), "{stdout}");
    std::fs::remove_dir_all(&dir).ok();
}
