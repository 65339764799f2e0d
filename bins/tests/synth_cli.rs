//! End to end: `kernlab synth` writes a tiny model, `kernlab models` lists the registry, and
//! `kernlab info` reads the file when that command is built.

use std::process::Command;

fn kernlab() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kernlab"))
}

#[test]
fn synth_writes_a_readable_file_and_info_reads_it() {
    let dir = std::env::temp_dir().join(format!("kernlab-synth-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("l1.gguf");
    let r = kernlab()
        .args([
            "synth",
            "--model",
            "llama1b-q4km",
            "--layers",
            "1",
            "--seed",
            "3",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&r.stdout);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(r.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("weights are random"), "{stdout}");
    assert!(stderr.contains("RANDOM weights"), "{stderr}");
    assert!(
        stderr.contains("tensor 12/12"),
        "progress on stderr: {stderr}"
    );
    // 1 layer of tied llama1b: rope_freqs, token_embd, 9 layer tensors, output_norm.
    let h = kernlab::gguf::GgufFile::open(&out).unwrap();
    assert_eq!(h.tensors.len(), 12);
    let cfg = kernlab::models::ModelConfig::from_gguf(&h).unwrap();
    assert_eq!((cfg.n_layer, cfg.n_embd, cfg.n_vocab), (1, 2048, 128256));
    assert_eq!(kernlab::models::ModelConfig::from_path(&out).unwrap(), cfg);
    let e = kernlab::models::ModelConfig::from_path(&dir.join("absent.gguf")).unwrap_err();
    assert!(e.to_string().contains("absent.gguf"), "{e}");

    let info = kernlab().arg("info").arg(&out).output().unwrap();
    let info_out =
        String::from_utf8_lossy(&info.stdout).to_string() + &String::from_utf8_lossy(&info.stderr);
    if info_out.contains("not built yet") {
        println!("kernlab info is not built in this tree; skipped the info check");
    } else {
        assert!(info.status.success(), "{info_out}");
        assert!(info_out.contains("llama"), "{info_out}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn synth_rejects_unknown_models_and_bad_layers() {
    let r = kernlab()
        .args(["synth", "--model", "nope"])
        .output()
        .unwrap();
    assert!(!r.status.success());
    let e = String::from_utf8_lossy(&r.stderr);
    assert!(
        e.contains("unknown model 'nope'") && e.lines().count() == 1,
        "{e}"
    );
    let r = kernlab()
        .args([
            "synth",
            "--model",
            "tiny-llama-q8",
            "--layers",
            "9",
            "--out",
            "/dev/null",
        ])
        .output()
        .unwrap();
    assert!(!r.status.success());
    assert!(String::from_utf8_lossy(&r.stderr).contains("--layers 9"));
}

#[test]
fn models_lists_the_registry() {
    let r = kernlab().arg("models").output().unwrap();
    assert!(r.status.success());
    let s = String::from_utf8_lossy(&r.stdout);
    assert!(s.contains("llama1b-q6k") && s.contains("1.014"), "{s}");
    assert!(s.contains("Qwen/Qwen3-0.6B-GGUF/Qwen3-0.6B-Q8_0.gguf") || s.contains("yes"));
    let j = kernlab().args(["models", "--json"]).output().unwrap();
    let v = kernlab::json::Json::parse(&String::from_utf8_lossy(&j.stdout)).unwrap();
    let models = v.get("models").and_then(|m| m.as_arr()).unwrap();
    assert_eq!(models.len(), kernlab::models::registry().len());
    let q = models
        .iter()
        .find(|m| m.get("name").and_then(|n| n.as_str()) == Some("qwen3-1.7b-q4km"))
        .unwrap();
    assert_eq!(
        q.get("tensor_bytes").and_then(|b| b.as_f64()),
        Some(1_101_457_408.0)
    );
}

#[test]
fn synth_default_path_is_the_cache_and_models_marks_it_synthetic() {
    let dir = std::env::temp_dir().join(format!("kernlab-cache-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let r = kernlab()
        .env("KERNLAB_MODELS", &dir)
        .args(["synth", "--model", "qwen3-0.6b-q4km", "--layers", "1"])
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(dir.join("Qwen3-0.6B-Q4_K_M.gguf").is_file());
    std::fs::write(dir.join("Qwen3-0.6B-Q8_0.gguf"), b"not a gguf").unwrap();
    let m = kernlab()
        .env("KERNLAB_MODELS", &dir)
        .args(["models", "--json"])
        .output()
        .unwrap();
    let v = kernlab::json::Json::parse(&String::from_utf8_lossy(&m.stdout)).unwrap();
    let presence = |name: &str| {
        v.get("models")
            .and_then(|m| m.as_arr())
            .unwrap()
            .iter()
            .find(|m| m.get("name").and_then(|n| n.as_str()) == Some(name))
            .and_then(|m| m.get("presence"))
            .and_then(|p| p.as_str())
            .map(str::to_string)
    };
    assert_eq!(presence("qwen3-0.6b-q4km").as_deref(), Some("synth"));
    assert_eq!(presence("qwen3-0.6b-q8").as_deref(), Some("bad"));
    assert_eq!(presence("qwen3-0.6b-q6k").as_deref(), Some("no"));
    std::fs::remove_dir_all(&dir).unwrap();
}
