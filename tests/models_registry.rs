//! Registry shapes, per-tensor quant types and byte counts against the reference tables
//! (shared/reference/models-and-quants.md §4/§5, peers-h100.md llama-bench model_size).

use kernlab::models::{self, Arch, FileType, TensorRole};
use kernlab::GgmlType;

/// models-and-quants.md §5: (family, ftype, file GB, per-token GB), 1e9 bytes, 3 decimals.
const TABLE_GB: &[(&str, FileType, f64, f64)] = &[
    ("llama1b", FileType::F16, 2.472, 2.472),
    ("llama1b", FileType::Q8_0, 1.313, 1.313),
    ("llama1b", FileType::Q6_K, 1.014, 1.014),
    ("llama1b", FileType::Q5_K_M, 0.904, 0.904),
    ("llama1b", FileType::Q4_K_M, 0.800, 0.800),
    ("llama1b", FileType::Q3_K_M, 0.683, 0.683),
    ("llama1b", FileType::Q2_K, 0.573, 0.573),
    ("llama3b", FileType::F16, 6.426, 6.426),
    ("llama3b", FileType::Q8_0, 3.414, 3.414),
    ("llama3b", FileType::Q6_K, 2.636, 2.636),
    ("llama3b", FileType::Q5_K_M, 2.314, 2.314),
    ("llama3b", FileType::Q4_K_M, 2.012, 2.012),
    ("llama3b", FileType::Q3_K_M, 1.679, 1.679),
    ("llama3b", FileType::Q2_K, 1.356, 1.356),
    ("llama2-7b", FileType::F16, 13.477, 13.215),
    ("llama2-7b", FileType::Q8_0, 7.160, 7.021),
    ("llama2-7b", FileType::Q6_K, 5.528, 5.421),
    ("llama2-7b", FileType::Q5_K_M, 4.782, 4.692),
    ("llama2-7b", FileType::Q4_K_M, 4.080, 4.007),
    ("llama3-8b", FileType::F16, 16.061, 15.010),
    ("llama3-8b", FileType::Q8_0, 8.533, 7.975),
    ("llama3-8b", FileType::Q6_K, 6.588, 6.157),
    ("llama3-8b", FileType::Q5_K_M, 5.725, 5.364),
    ("llama3-8b", FileType::Q4_K_M, 4.913, 4.617),
    ("qwen3-0.6b", FileType::F16, 1.192, 1.192),
    ("qwen3-0.6b", FileType::Q8_0, 0.633, 0.633),
    ("qwen3-0.6b", FileType::Q6_K, 0.489, 0.489),
    ("qwen3-0.6b", FileType::Q5_K_M, 0.438, 0.438),
    ("qwen3-0.6b", FileType::Q4_K_M, 0.391, 0.391),
    ("qwen3-1.7b", FileType::F16, 3.441, 3.441),
    ("qwen3-1.7b", FileType::Q8_0, 1.828, 1.828),
    ("qwen3-1.7b", FileType::Q6_K, 1.412, 1.412),
    ("qwen3-1.7b", FileType::Q5_K_M, 1.252, 1.252),
    ("qwen3-1.7b", FileType::Q4_K_M, 1.101, 1.101),
    ("qwen3-4b", FileType::F16, 8.045, 8.045),
    ("qwen3-4b", FileType::Q8_0, 4.274, 4.274),
    ("qwen3-4b", FileType::Q6_K, 3.300, 3.300),
    ("qwen3-4b", FileType::Q5_K_M, 2.884, 2.884),
    ("qwen3-4b", FileType::Q4_K_M, 2.491, 2.491),
    ("qwen3-8b", FileType::F16, 16.382, 15.137),
    ("qwen3-8b", FileType::Q8_0, 8.704, 8.042),
    ("qwen3-8b", FileType::Q6_K, 6.720, 6.209),
    ("qwen3-8b", FileType::Q5_K_M, 5.845, 5.417),
    ("qwen3-8b", FileType::Q4_K_M, 5.022, 4.672),
];

/// §5 "Q3_K_M / Q2_K per-token GB" line.
const LOW_BIT_PER_TOKEN_GB: &[(&str, f64, f64)] = &[
    ("llama1b", 0.683, 0.573),
    ("llama3b", 1.679, 1.356),
    ("llama2-7b", 3.241, 2.489),
    ("llama3-8b", 3.785, 2.999),
    ("qwen3-0.6b", 0.341, 0.290),
    ("qwen3-1.7b", 0.934, 0.772),
    ("qwen3-4b", 2.070, 1.664),
    ("qwen3-8b", 3.851, 3.072),
];

fn spec(family: &str, ft: FileType) -> &'static models::ModelSpec {
    models::find(&format!("{family}-{}", ft.suffix())).expect("registry entry")
}

fn gb3(b: u64) -> f64 {
    (b as f64 / 1e9 * 1000.0).round() / 1000.0
}

#[test]
fn file_and_per_token_bytes_match_reference_table() {
    for &(fam, ft, file_gb, tok_gb) in TABLE_GB {
        let s = spec(fam, ft);
        assert_eq!(gb3(s.tensor_bytes()), file_gb, "{} file GB", s.name);
        assert_eq!(gb3(s.bytes_per_token()), tok_gb, "{} per-token GB", s.name);
    }
    for &(fam, q3, q2) in LOW_BIT_PER_TOKEN_GB {
        assert_eq!(
            gb3(spec(fam, FileType::Q3_K_M).bytes_per_token()),
            q3,
            "{fam} Q3_K_M"
        );
        assert_eq!(
            gb3(spec(fam, FileType::Q2_K).bytes_per_token()),
            q2,
            "{fam} Q2_K"
        );
    }
}

#[test]
fn tensor_bytes_equal_llama_bench_model_size() {
    // peers-h100.md: llama-bench model_size of the llama-quantize'd synthetic files.
    assert_eq!(
        spec("llama1b", FileType::Q6_K).tensor_bytes(),
        1_013_969_024
    );
    assert_eq!(
        spec("qwen3-0.6b", FileType::Q8_0).tensor_bytes(),
        633_495_552
    );
    assert_eq!(
        spec("qwen3-1.7b", FileType::Q4_K_M).tensor_bytes(),
        1_101_457_408
    );
    assert_eq!(spec("llama1b", FileType::Q6_K).n_params(), 1_235_814_432);
}

#[test]
fn params_and_kv_bytes_match_reference_table() {
    // §5: params (billions, 3 decimals) and KV f16 bytes per token.
    let want = [
        ("llama1b", 1.236, 32 * 1024),
        ("llama3b", 3.213, 112 * 1024),
        ("llama2-7b", 6.738, 512 * 1024),
        ("llama3-8b", 8.030, 128 * 1024),
        ("qwen3-0.6b", 0.596, 112 * 1024),
        ("qwen3-1.7b", 1.721, 112 * 1024),
        ("qwen3-4b", 4.022, 144 * 1024),
        ("qwen3-8b", 8.191, 144 * 1024),
    ];
    for (fam, params_b, kv) in want {
        let s = spec(fam, FileType::Q8_0);
        assert_eq!(gb3(s.n_params()), params_b, "{fam} params");
        assert_eq!(s.config().kv_bytes_per_token_f16(), kv, "{fam} kv");
    }
}

#[test]
fn quant_rules_per_tensor() {
    let ty = |name: &str, ft: FileType, t: &str| {
        spec(name, ft)
            .tensor_plan()
            .into_iter()
            .find(|p| p.name == t)
            .unwrap_or_else(|| panic!("{t} missing"))
            .ty
    };
    use GgmlType as G;
    // Tied embeddings become the Q6_K output head; untied token_embd keeps the default type.
    assert_eq!(
        ty("llama1b", FileType::Q4_K_M, "token_embd.weight"),
        G::Q6_K
    );
    assert_eq!(
        ty("llama3-8b", FileType::Q4_K_M, "token_embd.weight"),
        G::Q4_K
    );
    assert_eq!(ty("llama3-8b", FileType::Q4_K_M, "output.weight"), G::Q6_K);
    assert_eq!(
        ty("qwen3-0.6b", FileType::Q8_0, "token_embd.weight"),
        G::Q8_0
    );
    // use_more_bits: n=16 layers {0,1,4,7,10,13,14,15}.
    assert_eq!(
        ty("llama1b", FileType::Q4_K_M, "blk.4.attn_v.weight"),
        G::Q6_K
    );
    assert_eq!(
        ty("llama1b", FileType::Q4_K_M, "blk.5.attn_v.weight"),
        G::Q4_K
    );
    assert_eq!(
        ty("llama1b", FileType::Q5_K_M, "blk.13.ffn_down.weight"),
        G::Q6_K
    );
    assert_eq!(
        ty("llama1b", FileType::Q5_K_M, "blk.12.ffn_down.weight"),
        G::Q5_K
    );
    // Q3_K_M: attn_v Q5_K for layers 0,1; ffn_down Q5_K for i < n/16 (n=16: layer 0 only).
    assert_eq!(
        ty("llama1b", FileType::Q3_K_M, "blk.1.attn_v.weight"),
        G::Q5_K
    );
    assert_eq!(
        ty("llama1b", FileType::Q3_K_M, "blk.2.attn_v.weight"),
        G::Q4_K
    );
    assert_eq!(
        ty("llama1b", FileType::Q3_K_M, "blk.0.ffn_down.weight"),
        G::Q5_K
    );
    assert_eq!(
        ty("llama1b", FileType::Q3_K_M, "blk.1.ffn_down.weight"),
        G::Q4_K
    );
    assert_eq!(
        ty("llama1b", FileType::Q3_K_M, "blk.1.attn_output.weight"),
        G::Q4_K
    );
    assert_eq!(
        ty("llama1b", FileType::Q3_K_M, "blk.1.attn_q.weight"),
        G::Q3_K
    );
    // Q2_K attn_v: Q4_K when n_gqa >= 4 (1B: 4), else Q3_K (3B: 3).
    assert_eq!(
        ty("llama1b", FileType::Q2_K, "blk.3.attn_v.weight"),
        G::Q4_K
    );
    assert_eq!(
        ty("llama3b", FileType::Q2_K, "blk.3.attn_v.weight"),
        G::Q3_K
    );
    assert_eq!(
        ty("llama1b", FileType::Q2_K, "blk.3.ffn_down.weight"),
        G::Q3_K
    );
    // 1-D tensors stay F32, also in F16 files.
    assert_eq!(
        ty("llama1b", FileType::F16, "blk.0.attn_norm.weight"),
        G::F32
    );
    assert_eq!(ty("llama1b", FileType::F16, "rope_freqs.weight"), G::F32);
    assert_eq!(
        ty("qwen3-1.7b", FileType::Q4_K_M, "blk.0.attn_q_norm.weight"),
        G::F32
    );
}

#[test]
fn plan_shapes_follow_the_gguf_tensor_table() {
    let s = spec("qwen3-0.6b", FileType::Q8_0);
    let plan = s.tensor_plan();
    let dims = |t: &str| plan.iter().find(|p| p.name == t).unwrap().dims.clone();
    assert_eq!(dims("token_embd.weight"), vec![1024, 151936]);
    assert_eq!(dims("blk.27.attn_q.weight"), vec![1024, 2048]);
    assert_eq!(dims("blk.27.attn_k.weight"), vec![1024, 1024]);
    assert_eq!(dims("blk.27.attn_output.weight"), vec![2048, 1024]);
    assert_eq!(dims("blk.27.attn_k_norm.weight"), vec![128]);
    assert_eq!(dims("blk.0.ffn_down.weight"), vec![3072, 1024]);
    assert!(plan
        .iter()
        .all(|p| p.name != "output.weight" && p.name != "rope_freqs.weight"));
    // 2 + 11 per layer (9 weights + q/k norms) for tied Qwen3.
    assert_eq!(plan.len(), 2 + 28 * 11);
    let l = spec("llama3-8b", FileType::Q4_K_M).tensor_plan();
    assert_eq!(l.len(), 4 + 32 * 9);
    assert_eq!(
        l.iter()
            .find(|p| p.name == "rope_freqs.weight")
            .unwrap()
            .dims,
        vec![64]
    );
    for p in &l {
        if p.dims.len() == 2 {
            assert_ne!(p.role, TensorRole::Vector, "{}", p.name);
            assert_eq!(p.dims[0] % p.ty.block_elems() as u64, 0, "{}", p.name);
        }
    }
}

#[test]
fn registry_names_and_files() {
    for (name, repo, file) in [
        (
            "llama1b-q6k",
            "bartowski/Llama-3.2-1B-Instruct-GGUF",
            "Llama-3.2-1B-Instruct-Q6_K.gguf",
        ),
        (
            "qwen3-0.6b-q8",
            "Qwen/Qwen3-0.6B-GGUF",
            "Qwen3-0.6B-Q8_0.gguf",
        ),
        (
            "qwen3-1.7b-q4km",
            "unsloth/Qwen3-1.7B-GGUF",
            "Qwen3-1.7B-Q4_K_M.gguf",
        ),
        (
            "llama2-7b-q4km",
            "TheBloke/Llama-2-7B-GGUF",
            "llama-2-7b.Q4_K_M.gguf",
        ),
        (
            "llama3-8b-q4km",
            "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF",
            "Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf",
        ),
    ] {
        let s = models::find(name).unwrap_or_else(|| panic!("{name}"));
        assert_eq!((s.hf_repo, s.hf_file), (repo, file));
        assert!(s.cache_path().ends_with(file));
    }
    for n in [
        "llama1b-q4km",
        "llama1b-q8",
        "llama1b-f16",
        "llama3b-q6k",
        "llama1b-q5km",
        "llama1b-q3km",
        "qwen3-0.6b-q6k",
        "qwen3-0.6b-q4km",
        "qwen3-0.6b-f16",
        "qwen3-1.7b-q8",
        "qwen3-1.7b-q6k",
        "llama3b-q4km",
        "llama3b-q8",
        "qwen3-4b-q4km",
        "qwen3-8b-q4km",
        "llama3-8b-q8",
    ] {
        assert!(models::find(n).is_some(), "{n}");
    }
    let mut names: Vec<_> = models::registry().iter().map(|s| s.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), models::registry().len(), "names are unique");
    assert!(models::find("llama1b-q7").is_none());
}

#[test]
fn configs_carry_arch_specifics() {
    let l = spec("llama1b", FileType::Q6_K).config();
    assert_eq!(l.arch, Arch::Llama);
    assert_eq!(l.rope_style, models::RopeStyle::Norm);
    assert_eq!(l.rope_freqs.as_ref().map(|f| f.len()), Some(32));
    assert!(!l.qk_norm && l.tied_embeddings && l.add_bos);
    assert_eq!((l.q_dim(), l.kv_dim()), (2048, 512));
    let q = spec("qwen3-0.6b", FileType::Q8_0).config();
    assert_eq!(q.rope_style, models::RopeStyle::Neox);
    assert!(q.qk_norm && q.rope_freqs.is_none() && !q.add_bos);
    assert_eq!((q.q_dim(), q.n_embd, q.kv_dim()), (2048, 1024, 1024));
    let t = models::tiny_spec(Arch::Qwen3, FileType::Q4_K_M).config();
    assert_ne!(t.q_dim(), t.n_embd);
}

#[test]
fn resolve_model_says_how_to_get_missing_files() {
    let dir = std::env::temp_dir().join(format!("kernlab-resolve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::env::set_var("KERNLAB_MODELS", &dir);
    let err = models::resolve_model("llama1b-q6k")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("bartowski/Llama-3.2-1B-Instruct-GGUF"),
        "{err}"
    );
    assert!(err.contains("kernlab synth --model llama1b-q6k"), "{err}");
    let f = dir.join("Llama-3.2-1B-Instruct-Q6_K.gguf");
    std::fs::write(&f, b"GGUF").unwrap();
    assert_eq!(models::resolve_model("llama1b-q6k").unwrap(), f);
    assert_eq!(models::resolve_model(f.to_str().unwrap()).unwrap(), f);
    assert!(models::resolve_model("no-such-model").is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}
