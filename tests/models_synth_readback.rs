//! Synthetic files read back: the config from the file's metadata equals the spec's, every tensor
//! has the planned name, type and shape, and the weights dequantize to sane random values.

use kernlab::models::synth::{HeaderSource, MetaValue};
use kernlab::models::{self, tiny_spec, Arch, FileType, ModelSpec, SynthOptions, ALL_FILE_TYPES};
use kernlab::GgmlType;
use std::path::PathBuf;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kernlab-readback-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn write(spec: &ModelSpec, layers: Option<usize>) -> (PathBuf, HeaderSource) {
    let p = tmp(&format!("{}-{layers:?}.gguf", spec.name));
    let o = SynthOptions {
        seed: 11,
        layers,
        ..SynthOptions::default()
    };
    models::synth_spec(spec, &p, &o, &mut |_| {}).unwrap();
    let h = HeaderSource::open(&p).unwrap();
    (p, h)
}

fn check_file(spec: &ModelSpec, layers: Option<usize>) {
    let (p, h) = write(spec, layers);
    let eff = models::synth::effective_spec(spec, layers).unwrap();
    assert_eq!(h.config().unwrap(), eff.config(), "{}", spec.name);
    let plan = eff.tensor_plan();
    assert_eq!(h.header.tensors.len(), plan.len());
    for (t, want) in h.header.tensors.iter().zip(&plan) {
        assert_eq!(t.name, want.name);
        assert_eq!(t.dims, want.dims, "{}", t.name);
        assert_eq!(GgmlType::from_id(t.ty_id), Some(want.ty), "{}", t.name);
        assert_eq!(t.offset % 32, 0, "{}", t.name);
    }
    // Weights: finite, centred, std near 0.02; norms near 1.
    for name in [
        "token_embd.weight",
        "blk.0.attn_v.weight",
        "blk.0.ffn_down.weight",
    ] {
        let v = kernlab::models::MetaSource::tensor_f32(&h, name).unwrap();
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
    let norm = kernlab::models::MetaSource::tensor_f32(&h, "blk.0.attn_norm.weight").unwrap();
    assert!(norm.iter().all(|x| (x - 1.0).abs() < 0.2));
    let g = |k: &str| {
        h.header
            .kvs
            .iter()
            .find(|(kk, _)| kk == k)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        g("general.file_type"),
        Some(MetaValue::U32(spec.ftype.llama_ftype()))
    );
    assert_eq!(g("general.quantization_version"), Some(MetaValue::U32(2)));
    match g("general.name") {
        Some(MetaValue::Str(s)) => assert!(s.contains("random weights"), "{s}"),
        other => panic!("general.name {other:?}"),
    }
    match g("tokenizer.ggml.tokens") {
        Some(MetaValue::ArrStr(a)) => assert_eq!(a.len(), spec.n_vocab),
        other => panic!("tokens {other:?}"),
    }
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
    let ff = kernlab::models::MetaSource::tensor_f32(&h, "rope_freqs.weight").unwrap();
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
    let donor = models::synth::read_kvs(&vocab).unwrap();
    for key in [
        "tokenizer.ggml.tokens",
        "tokenizer.ggml.merges",
        "tokenizer.ggml.pre",
    ] {
        let a = donor.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        let b = h.header.kvs.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        assert!(a.is_some() && a == b, "{key}");
    }
    let eos = h
        .header
        .kvs
        .iter()
        .find(|(k, _)| k == "tokenizer.ggml.eos_token_id");
    assert_eq!(eos.map(|(_, v)| v), Some(&MetaValue::U32(151645)));
    let _ = std::fs::remove_file(p);
}

#[test]
fn file_missing_a_required_key_fails_naming_it() {
    // Rewrite a tiny file's header without qwen3.block_count.
    let spec = tiny_spec(Arch::Qwen3, FileType::Q8_0);
    let (p, h) = write(&spec, None);
    let mut src = h;
    src.header.kvs.retain(|(k, _)| k != "qwen3.block_count");
    let e = src.config().unwrap_err().to_string();
    assert!(
        e.contains("qwen3.block_count") && e.contains("missing"),
        "{e}"
    );
    // A truncated file is a clean error, not a panic.
    let bytes = std::fs::read(&p).unwrap();
    let cut = tmp("cut.gguf");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let h2 = HeaderSource::open(&cut).unwrap();
    let e = kernlab::models::MetaSource::tensor_f32(&h2, "output.weight").unwrap_err();
    assert!(e.to_string().contains("past the end"), "{e}");
    let _ = std::fs::remove_file(p);
    let _ = std::fs::remove_file(cut);
}
