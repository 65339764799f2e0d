//! End to end: `kernlab generate` on a tiny synthetic model: the prompt is tokenized from the
//! file's vocabulary, N tokens are generated greedily, and the text is their decoding.

use kernlab::json::Json;
use std::process::Command;

#[test]
fn generate_streams_n_tokens_and_their_text() {
    let dir = std::env::temp_dir().join(format!("kernlab-generate-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kernlab"))
        .env("KERNLAB_MODELS", &dir)
        .args([
            "generate",
            "--model",
            "tiny-qwen3-q8",
            "--synthetic",
            "--backend",
            "cpu",
        ])
        .args(["--prompt", "Hello 123", "--tokens", "6", "--json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j = Json::parse(&stdout).unwrap();
    let gen = j.get("generated_tokens").and_then(Json::as_arr).unwrap();
    assert_eq!(gen.len(), 6);
    let prompt = j.get("prompt_tokens").and_then(Json::as_arr).unwrap();
    assert!(prompt.len() >= 3, "the prompt was tokenized: {prompt:?}");
    assert!(!j.get("text").and_then(Json::as_str).unwrap().is_empty());

    // Without a GPU, --backend cuda says what is missing, in one line, with a non-zero exit.
    if cuda_shim::sys::open_lib(cuda_shim::sys::LIBCUDA).is_ok() {
        return;
    }
    let out = Command::new(env!("CARGO_BIN_EXE_kernlab"))
        .env("KERNLAB_MODELS", &dir)
        .args([
            "generate",
            "--model",
            "tiny-qwen3-q8",
            "--backend",
            "cuda",
            "--prompt",
            "x",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.lines()
            .last()
            .unwrap_or_default()
            .contains("libcuda.so.1"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
