//! The CPU decoder on GGUF files (tiny random models written by `models::synth_spec`, quantized as
//! the real files are) against two f64 references:
//! - tests/reference/ref_decode.py: numpy + gguf-py, reading and dequantizing the file on its own
//!   (skipped with a note when python3 / gguf / numpy are missing; CI installs them);
//! - tests/reference/mod.rs: the Rust f64 forward over the same dequantized tensors (always runs).
//!
//! Tolerance: ‖a − b‖ / ‖b‖ ≤ 1e-4 at every position; max |a − b| is printed.

mod reference;

use kernlab::cpu::CpuModel;
use kernlab::gguf::GgufFile;
use kernlab::models::{synth_spec, tiny_spec, Arch, FileType, MetaSource, SynthOptions};
use reference::random::{ref_model, ref_params};
use reference::rel_err;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const TOLERANCE: f64 = 1e-4;
const TOKENS: [u32; 8] = [1, 17, 99, 5, 5, 42, 300, 3];

fn synth_tiny(arch: Arch, ft: FileType, tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kernlab-cpudec-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("model.gguf");
    let spec = tiny_spec(arch, ft);
    let opts = SynthOptions {
        seed: 3,
        threads: 1,
        ..SynthOptions::default()
    };
    synth_spec(&spec, &path, &opts, &mut |_| {}).expect("synth");
    path
}

fn cpu_logits(path: &Path) -> (CpuModel, Vec<Vec<f32>>) {
    let mut m = CpuModel::load(path, 2).expect("load");
    let mut cache = m.new_cache(TOKENS.len());
    let mut logits = vec![0.0; m.config.n_vocab];
    let rows = TOKENS
        .iter()
        .enumerate()
        .map(|(pos, &t)| {
            m.forward(t, pos, &mut cache, &mut logits).unwrap();
            logits.clone()
        })
        .collect();
    (m, rows)
}

fn compare(what: &str, got: &[Vec<f32>], want: &[Vec<f64>]) {
    assert_eq!(got.len(), want.len());
    let mut worst = (0.0f64, 0.0f64);
    for (pos, (a, b)) in got.iter().zip(want).enumerate() {
        assert_eq!(a.len(), b.len(), "{what}: vocab size");
        let (rel, max_abs) = rel_err(a, b);
        assert!(
            rel <= TOLERANCE,
            "{what} position {pos}: relative error {rel:.3e} > {TOLERANCE:e} (max abs {max_abs:.3e})"
        );
        worst = (worst.0.max(rel), worst.1.max(max_abs));
    }
    println!(
        "{what}: worst rel {:.2e}, worst max_abs {:.2e}",
        worst.0, worst.1
    );
}

fn rust_reference(path: &Path, m: &CpuModel) -> Vec<Vec<f64>> {
    let file = GgufFile::open(path).unwrap();
    let mut tensors = HashMap::new();
    let names = ["token_embd.weight", "output_norm.weight", "output.weight"]
        .map(String::from)
        .into_iter()
        .chain((0..m.config.n_layer).flat_map(|i| {
            [
                "attn_norm",
                "attn_q",
                "attn_k",
                "attn_v",
                "attn_q_norm",
                "attn_k_norm",
                "attn_output",
                "ffn_norm",
                "ffn_gate",
                "ffn_up",
                "ffn_down",
            ]
            .map(|t| format!("blk.{i}.{t}.weight"))
        }));
    for n in names {
        if file.tensor_dims(&n).is_some() {
            tensors.insert(n.clone(), file.tensor_f32(&n).unwrap());
        }
    }
    ref_model(ref_params(&m.config), &tensors).logits(&TOKENS)
}

/// Python reference logits, or None (with a printed note) when python3 + gguf + numpy are absent.
fn python_reference(path: &Path, n_vocab: usize) -> Option<Vec<Vec<f64>>> {
    let probe = Command::new("python3")
        .args(["-c", "import gguf, numpy"])
        .output();
    if !matches!(&probe, Ok(o) if o.status.success()) {
        println!("NOTE: python3 with gguf + numpy not found; the gguf-py reference check is skipped (pip install gguf numpy)");
        return None;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/ref_decode.py");
    let out = path.with_extension("ref.f64");
    let toks: Vec<String> = TOKENS.iter().map(|t| t.to_string()).collect();
    let o = Command::new("python3")
        .arg(&script)
        .arg(path)
        .args(["--tokens", &toks.join(","), "--out"])
        .arg(&out)
        .output()
        .expect("run ref_decode.py");
    assert!(
        o.status.success(),
        "ref_decode.py failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(
        bytes.len(),
        TOKENS.len() * n_vocab * 8,
        "reference output size"
    );
    let vals: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    Some(vals.chunks(n_vocab).map(|r| r.to_vec()).collect())
}

fn check(arch: Arch, ft: FileType, tag: &str) {
    let path = synth_tiny(arch, ft, tag);
    let (m, got) = cpu_logits(&path);
    let c = &m.config;
    if arch == Arch::Qwen3 {
        assert!(c.qk_norm && c.q_dim() != c.n_embd && !c.tied_embeddings);
    } else {
        assert!(c.rope_freqs.is_some() && c.n_head_kv < c.n_head);
    }
    compare(
        &format!("{tag} vs Rust f64"),
        &got,
        &rust_reference(&path, &m),
    );
    if let Some(py) = python_reference(&path, c.n_vocab) {
        compare(&format!("{tag} vs gguf-py f64"), &got, &py);
    }
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn tiny_llama_q8_0_matches_references() {
    check(Arch::Llama, FileType::Q8_0, "llama-q8");
}

#[test]
fn tiny_llama_q4_k_m_matches_references() {
    check(Arch::Llama, FileType::Q4_K_M, "llama-q4km");
}

#[test]
fn tiny_qwen3_q6_k_matches_references() {
    check(Arch::Qwen3, FileType::Q6_K, "qwen3-q6k");
}

#[test]
fn tiny_qwen3_f16_matches_references() {
    check(Arch::Qwen3, FileType::F16, "qwen3-f16");
}

/// A truncated or garbage file is an error naming the file, not a panic.
#[test]
fn bad_files_are_errors() {
    let path = synth_tiny(Arch::Llama, FileType::Q8_0, "bad");
    let bytes = std::fs::read(&path).unwrap();
    let cut = path.with_extension("cut.gguf");
    for len in [0, 3, 20, 200, bytes.len() / 2, bytes.len() - 1] {
        std::fs::write(&cut, &bytes[..len]).unwrap();
        let e = CpuModel::load(&cut, 1)
            .err()
            .expect("truncated file must fail");
        assert!(e.to_string().contains("cut.gguf"), "{e}");
    }
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

/// A source that reports one tensor transposed: same length, wrong dims.
struct Transposed(GgufFile, &'static str);

impl MetaSource for Transposed {
    fn source_name(&self) -> String {
        self.0.source_name()
    }
    fn meta(&self, key: &str) -> Option<kernlab::models::MetaScalar> {
        self.0.meta(key)
    }
    fn tensor_dims(&self, name: &str) -> Option<Vec<u64>> {
        let d = self.0.tensor_dims(name)?;
        Some(if name == self.1 {
            d.into_iter().rev().collect()
        } else {
            d
        })
    }
    fn tensor_f32(&self, name: &str) -> kernlab::Result<Vec<f32>> {
        self.0.tensor_f32(name)
    }
}

/// Dims are checked, not only lengths: a transposed matrix is named in the error.
#[test]
fn transposed_tensor_is_named() {
    let path = synth_tiny(Arch::Qwen3, FileType::Q8_0, "transposed");
    let src = Transposed(GgufFile::open(&path).unwrap(), "blk.1.attn_q.weight");
    let e = CpuModel::load_from(&src, 2)
        .err()
        .expect("transposed must fail");
    assert!(e.to_string().contains("blk.1.attn_q.weight"), "{e}");
    let ok = Transposed(GgufFile::open(&path).unwrap(), "no.such.tensor");
    assert!(CpuModel::load_from(&ok, 2).is_ok());
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}
