//! The CPU decoder against the independent f64 reference (tests/reference/) on random tiny models
//! held in memory: LLaMA shape (rope_freqs, GQA, tied) and Qwen3 shape (q/k norm, Neox,
//! n_head·head_dim ≠ n_embd, untied). Tolerance: ‖a − b‖ / ‖b‖ ≤ 1e-4 at every position.

mod reference;

use kernlab::cpu::{CpuModel, Phase, Weights};
use kernlab::models::{ModelConfig, RopeStyle};
use reference::random::{llama_config, qwen3_config, random_tensors, ref_model, ref_params};
use reference::rel_err;

const TOLERANCE: f64 = 1e-4;

fn cpu_logits(c: &ModelConfig, seed: u64, tokens: &[u32], threads: usize) -> Vec<Vec<f32>> {
    let tensors = random_tensors(c, seed);
    let w = Weights::from_named(c, |n| Ok(tensors.get(n).cloned())).expect("weights");
    let mut m = CpuModel::from_weights(c.clone(), w).expect("model");
    m.set_threads(threads);
    let mut cache = m.new_cache(tokens.len());
    let mut logits = vec![0.0; c.n_vocab];
    tokens
        .iter()
        .enumerate()
        .map(|(pos, &t)| {
            m.forward(t, pos, &mut cache, &mut logits).expect("forward");
            logits.clone()
        })
        .collect()
}

fn check_against_reference(c: &ModelConfig, seed: u64) {
    let tokens: Vec<u32> = [1u32, 17, 99, 5, 5, 42, 120, 3, 77, 64]
        .iter()
        .map(|t| t % c.n_vocab as u32)
        .collect();
    check_tokens(c, seed, &tokens);
}

fn check_tokens(c: &ModelConfig, seed: u64, tokens: &[u32]) {
    let tokens = tokens.to_vec();
    let got = cpu_logits(c, seed, &tokens, 2);
    let reference = ref_model(ref_params(c), &random_tensors(c, seed)).logits(&tokens);
    let mut worst = (0.0f64, 0.0f64);
    for (pos, (a, b)) in got.iter().zip(&reference).enumerate() {
        let (rel, max_abs) = rel_err(a, b);
        println!(
            "{:?} pos {pos}: rel {rel:.2e} max_abs {max_abs:.2e}",
            c.arch
        );
        assert!(
            rel <= TOLERANCE,
            "{:?} position {pos}: relative error {rel:.3e} > {TOLERANCE:e} (max abs {max_abs:.3e})",
            c.arch
        );
        worst = (worst.0.max(rel), worst.1.max(max_abs));
    }
    // The logits must carry signal: a spread well above the error.
    let spread = reference[0].iter().cloned().fold(f64::MIN, f64::max)
        - reference[0].iter().cloned().fold(f64::MAX, f64::min);
    assert!(spread > 1.0, "logits nearly constant ({spread})");
    println!(
        "{:?}: worst rel {:.2e}, worst max_abs {:.2e}",
        c.arch, worst.0, worst.1
    );
}

#[test]
fn llama_shape_matches_f64_reference() {
    check_against_reference(&llama_config(), 11);
}

#[test]
fn qwen3_shape_matches_f64_reference() {
    check_against_reference(&qwen3_config(), 12);
}

/// A full context (64 positions): softmax over many cached positions and large rope angles.
#[test]
fn long_sequences_match_f64_reference() {
    for (c, seed) in [(llama_config(), 21), (qwen3_config(), 22)] {
        let tokens: Vec<u32> = (0..c.n_ctx_train as u32)
            .map(|i| (i * 37 + 11) % c.n_vocab as u32)
            .collect();
        check_tokens(&c, seed, &tokens);
    }
}

/// The check has teeth: the reference with the other RoPE pairing disagrees far beyond tolerance
/// (position 0 is unrotated, so only later positions differ).
#[test]
fn wrong_rope_style_is_caught() {
    for c in [llama_config(), qwen3_config()] {
        let tokens = [3u32, 9, 27, 81, 4, 12];
        let got = cpu_logits(&c, 5, &tokens, 1);
        let mut p = ref_params(&c);
        p.half_split_rope = c.rope_style == RopeStyle::Norm;
        let wrong = ref_model(p, &random_tensors(&c, 5)).logits(&tokens);
        let (rel0, _) = rel_err(&got[0], &wrong[0]);
        assert!(rel0 <= TOLERANCE, "position 0 has no rotation: {rel0:e}");
        let worst = (1..tokens.len())
            .map(|pos| rel_err(&got[pos], &wrong[pos]).0)
            .fold(0.0, f64::max);
        assert!(
            worst > 100.0 * TOLERANCE,
            "{:?}: wrong rope style not detected ({worst:e})",
            c.arch
        );
    }
}

/// Dropping the llama3 frequency divisors is caught too.
#[test]
fn missing_rope_freqs_is_caught() {
    let c = llama_config();
    let tokens = [3u32, 9, 27, 81, 4, 12, 7, 100];
    let got = cpu_logits(&c, 6, &tokens, 1);
    let mut p = ref_params(&c);
    p.freq_divisors = None;
    let wrong = ref_model(p, &random_tensors(&c, 6)).logits(&tokens);
    let worst = (1..tokens.len())
        .map(|pos| rel_err(&got[pos], &wrong[pos]).0)
        .fold(0.0, f64::max);
    assert!(
        worst > 10.0 * TOLERANCE,
        "rope_freqs not detected ({worst:e})"
    );
}

/// Threads split rows only: 1 and 4 workers give bit-identical logits.
#[test]
fn threads_do_not_change_results() {
    let c = qwen3_config();
    let tokens = [1u32, 2, 3, 4];
    assert_eq!(cpu_logits(&c, 7, &tokens, 1), cpu_logits(&c, 7, &tokens, 4));
}

/// generate() processes the prompt then feeds each argmax back; its steps match plain forwards.
#[test]
fn generate_is_greedy_over_forward() {
    let c = llama_config();
    let tensors = random_tensors(&c, 8);
    let w = Weights::from_named(&c, |n| Ok(tensors.get(n).cloned())).unwrap();
    let mut m = CpuModel::from_weights(c.clone(), w).unwrap();
    let prompt = [1u32, 50, 60];
    let mut cache = m.new_cache(8);
    let mut steps = Vec::new();
    let gen = m
        .generate(&prompt, 5, &mut cache, |s| {
            steps.push((s.phase, s.pos, s.token, s.logits.to_vec()));
            Ok(())
        })
        .unwrap();
    assert_eq!(gen.len(), 5);
    assert_eq!(steps.len(), 8);
    assert_eq!(cache.len(), 8);
    // Replay by hand.
    let mut cache2 = m.new_cache(8);
    let mut logits = vec![0.0; c.n_vocab];
    let mut fed: Vec<u32> = prompt.to_vec();
    fed.extend(&gen);
    for (pos, &tok) in fed.iter().enumerate() {
        m.forward(tok, pos, &mut cache2, &mut logits).unwrap();
        let (phase, spos, stok, slog) = &steps[pos];
        assert_eq!((*spos, *stok), (pos, tok));
        assert_eq!(
            *phase,
            if pos < 3 {
                Phase::Prompt
            } else {
                Phase::Generate
            }
        );
        assert_eq!(slog, &logits);
        if pos + 1 < fed.len() && pos >= 2 {
            let best = kernlab::cpu::ops::argmax(&logits).unwrap() as u32;
            assert_eq!(
                best,
                fed[pos + 1],
                "generated token at {} is not the argmax",
                pos + 1
            );
        }
    }
}

/// Bad input is an error, never a panic.
#[test]
fn bad_tokens_and_positions_are_errors() {
    let c = llama_config();
    let tensors = random_tensors(&c, 9);
    let w = Weights::from_named(&c, |n| Ok(tensors.get(n).cloned())).unwrap();
    let mut m = CpuModel::from_weights(c.clone(), w).unwrap();
    let mut cache = m.new_cache(2);
    let mut logits = vec![0.0; c.n_vocab];
    let e = m
        .forward(c.n_vocab as u32, 0, &mut cache, &mut logits)
        .unwrap_err();
    assert!(e.to_string().contains("outside the vocabulary"), "{e}");
    let e = m.forward(1, 1, &mut cache, &mut logits).unwrap_err();
    assert!(e.to_string().contains("skips positions"), "{e}");
    m.forward(1, 0, &mut cache, &mut logits).unwrap();
    m.forward(1, 1, &mut cache, &mut logits).unwrap();
    let e = m.forward(1, 2, &mut cache, &mut logits).unwrap_err();
    assert!(e.to_string().contains("past the context"), "{e}");
    let mut short = vec![0.0; 3];
    assert!(m.forward(1, 0, &mut cache, &mut short).is_err());
    let e = m.generate(&[1, 2], 1, &mut cache, |_| Ok(())).unwrap_err();
    assert!(e.to_string().contains("do not fit"), "{e}");
    assert!(m.generate(&[], 1, &mut cache, |_| Ok(())).is_err());
}

/// A tensor of the wrong size is named in the error.
#[test]
fn wrong_shapes_are_named() {
    let c = qwen3_config();
    let mut tensors = random_tensors(&c, 10);
    tensors.get_mut("blk.1.attn_k_norm.weight").unwrap().pop();
    let e = Weights::from_named(&c, |n| Ok(tensors.get(n).cloned())).unwrap_err();
    assert!(e.to_string().contains("blk.1.attn_k_norm.weight"), "{e}");
    tensors.remove("output.weight");
    let e = Weights::from_named(&c, |n| Ok(tensors.get(n).cloned())).unwrap_err();
    assert!(e.to_string().contains("output.weight"), "{e}");
}
