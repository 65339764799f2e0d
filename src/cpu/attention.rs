//! Causal attention of one query position over the KV cache, with grouped-query heads.

use super::ops::{dot, softmax_inplace};

/// The KV head that query head `h` reads: n_head / n_head_kv consecutive query heads share one
/// (llama.cpp and HF `repeat_kv` both group consecutive heads).
pub fn kv_head_of(h: usize, n_head: usize, n_head_kv: usize) -> usize {
    h / (n_head / n_head_kv)
}

/// out[h·d..(h+1)·d] = Σ_t softmax_t(q_h · k_t / √d) · v_t over cached positions t in 0..n_pos,
/// for every query head h. `k_cache` / `v_cache` are `[≥ n_pos, n_head_kv·d]`; `scores` is
/// scratch of at least n_pos values.
#[allow(clippy::too_many_arguments)]
pub fn attend(
    out: &mut [f32],
    q: &[f32],
    k_cache: &[f32],
    v_cache: &[f32],
    n_pos: usize,
    n_head: usize,
    n_head_kv: usize,
    head_dim: usize,
    scores: &mut [f32],
) {
    let kv_dim = n_head_kv * head_dim;
    let scale = 1.0 / (head_dim as f32).sqrt();
    let scores = &mut scores[..n_pos];
    for h in 0..n_head {
        let kvh = kv_head_of(h, n_head, n_head_kv);
        let qh = &q[h * head_dim..(h + 1) * head_dim];
        for (t, s) in scores.iter_mut().enumerate() {
            let kt = &k_cache[t * kv_dim + kvh * head_dim..][..head_dim];
            *s = dot(qh, kt) * scale;
        }
        softmax_inplace(scores);
        let oh = &mut out[h * head_dim..(h + 1) * head_dim];
        oh.fill(0.0);
        for (t, &p) in scores.iter().enumerate() {
            let vt = &v_cache[t * kv_dim + kvh * head_dim..][..head_dim];
            for (o, &v) in oh.iter_mut().zip(vt) {
                *o += p * v;
            }
        }
    }
}
