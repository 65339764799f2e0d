//! Synthetic files read back: the config from the file's metadata equals the spec's, every tensor
//! has the planned name, type and shape, and the weights dequantize to sane random values.

use kernlab::gguf::{GgufFile, Value};
use kernlab::models::MetaSource;
use kernlab::models::{self, tiny_spec, Arch, FileType, ModelSpec, SynthOptions, ALL_FILE_TYPES};
use std::path::PathBuf;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kernlab-readback-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn write(spec: &ModelSpec, layers: Option<usize>) -> (PathBuf, GgufFile) {
    let p = tmp(&format!("{}-{layers:?}.gguf", spec.name));
    let o = SynthOptions {
        seed: 11,
        layers,
        ..SynthOptions::default()
    };
    models::synth_spec(spec, &p, &o, &mut |_| {}).unwrap();
    let h = GgufFile::open(&p).unwrap();
    (p, h)
}

fn check_file(spec: &ModelSpec, layers: Option<usize>) {
    let (p, h) = write(spec, layers);
    let eff = models::synth::effective_spec(spec, layers).unwrap();
    assert_eq!(
        kernlab::models::ModelConfig::from_gguf(&h).unwrap(),
        eff.config(),
        "{}",
        spec.name
    );
    let plan = eff.tensor_plan();
    assert_eq!(h.tensors.len(), plan.len());
    for (t, want) in h.tensors.iter().zip(&plan) {
        assert_eq!(t.name, want.name);
        assert_eq!(t.dims, want.dims, "{}", t.name);
        assert_eq!(t.ty, want.ty, "{}", t.name);
        assert_eq!(t.offset % 32, 0, "{}", t.name);
    }
    // Weights: finite, centred, std near 0.02; norms near 1.
    for name in [
        "token_embd.weight",
        "blk.0.attn_v.weight",
        "blk.0.ffn_down.weight",
    ] {
        let v = h.tensor_f32(name).unwrap();
        let n = v.len() as f64;
        let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n;
        let std = (v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n).sqrt();
        assert!(v.iter().all(|x| x.is_finite()), "{name}");
        assert!(
            mean.abs() < 3e-3 && (0.012..0.03).contains(&std),
            "{} {name}: {mean} {std}",
            spec.name
        );
    }
    let norm = h.tensor_f32("blk.0.attn_norm.weight").unwrap();
    assert!(norm.iter().all(|x| (x - 1.0).abs() < 0.2));
    assert_eq!(
        h.get("general.file_type"),
        Some(&Value::U32(spec.ftype.llama_ftype()))
    );
    assert_eq!(h.get("general.quantization_version"), Some(&Value::U32(2)));
    let name = h.get_str("general.name").unwrap();
    assert!(name.contains("random weights"), "{name}");
    assert_eq!(
        h.get_str_array("tokenizer.ggml.tokens").map(|a| a.len()),
        Some(spec.n_vocab)
    );
    let _ = std::fs::remove_file(p);
}

#[test]
fn tiny_models_of_both_archs_and_every_ftype_read_back() {
    for arch in [Arch::Llama, Arch::Qwen3] {
        for ft in ALL_FILE_TYPES {
            check_file(&tiny_spec(arch, ft), None);
        }
    }
}

#[test]
fn real_shapes_read_back_with_one_layer() {
    // Full-size embeddings and real per-layer shapes, one layer each (the real vocab when found).
    for name in ["llama1b-q4km", "qwen3-0.6b-q8"] {
        check_file(models::find(name).unwrap(), Some(1));
    }
}

#[test]
fn rope_freqs_in_the_file_are_the_llama3_factors() {
    let spec = models::find("llama1b-q6k").unwrap();
    let (p, h) = write(spec, Some(1));
    let ff = h.tensor_f32("rope_freqs.weight").unwrap();
    assert_eq!(ff.len(), 32);
    assert_eq!(ff.iter().filter(|&&x| x == 1.0).count(), 15);
    assert_eq!(ff.iter().filter(|&&x| x == 32.0).count(), 14);
    let _ = std::fs::remove_file(p);
}

#[test]
fn real_vocab_is_copied_when_present() {
    let spec = models::find("qwen3-0.6b-q8").unwrap();
    let Some(vocab) = models::synth::find_vocab_file(spec) else {
        println!(
            "skipped: ggml-vocab-qwen2.gguf not found in {:?}",
            models::synth::vocab_dirs()
        );
        return;
    };
    let (p, h) = write(spec, Some(1));
    let donor = GgufFile::open(&vocab).unwrap();
    for key in [
        "tokenizer.ggml.tokens",
        "tokenizer.ggml.merges",
        "tokenizer.ggml.pre",
    ] {
        assert!(
            donor.get(key).is_some() && donor.get(key) == h.get(key),
            "{key}"
        );
    }
    assert_eq!(
        h.get("tokenizer.ggml.eos_token_id"),
        Some(&Value::U32(151645))
    );
    let _ = std::fs::remove_file(p);
}

#[test]
fn file_missing_a_required_key_fails_naming_it() {
    // Copy a tiny file with qwen3.block_count left out.
    let spec = tiny_spec(Arch::Qwen3, FileType::Q8_0);
    let (p, h) = write(&spec, None);
    let mut w = kernlab::gguf::GgufWriter::new();
    for (k, v) in &h.metadata {
        if k != "qwen3.block_count" {
            w.add(k, v.clone());
        }
    }
    for t in &h.tensors {
        w.add_tensor(&t.name, &t.dims, t.ty, h.tensor_data(t).to_vec())
            .unwrap();
    }
    let bad = tmp("no-block-count.gguf");
    w.write(&bad).unwrap();
    let e = kernlab::models::ModelConfig::from_path(&bad)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("qwen3.block_count") && e.contains("missing"),
        "{e}"
    );
    assert!(e.contains("no-block-count.gguf"), "{e}");
    // A truncated file is a clean error, not a panic.
    let bytes = std::fs::read(&p).unwrap();
    let cut = tmp("cut.gguf");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    assert!(kernlab::models::ModelConfig::from_path(&cut).is_err());
    for f in [p, bad, cut] {
        let _ = std::fs::remove_file(f);
    }
}

/// Every registry family (Q4_K_M, one layer, full-size embeddings: ~3 GB written in all).
/// `cargo test --release --test models_synth_readback -- --ignored`
#[test]
#[ignore]
fn every_family_reads_back_with_one_layer() {
    let mut families: Vec<&str> = models::registry().iter().map(|s| s.family).collect();
    families.dedup();
    assert_eq!(families.len(), 8);
    for fam in families {
        check_file(models::find(&format!("{fam}-q4km")).unwrap(), Some(1));
    }
}
