//! An independent f64 reference forward pass for LLaMA / Qwen3, written from the math in
//! shared/reference/models-and-quants.md §1 and §3 with plain loops and f64 everywhere. It shares
//! no code with `kernlab::cpu` (only the dequantizer, upstream of both, when reading a GGUF).
//! It runs a whole token sequence layer by layer (all positions at once, causal mask), unlike the
//! decoder's one-position-at-a-time KV-cache path, so a cache bug cannot hide in both.
#![allow(dead_code)]

use std::collections::HashMap;

pub mod random;

/// Hyper-parameters, in the reference's own terms.
#[derive(Debug, Clone)]
pub struct RefParams {
    pub n_embd: usize,
    pub n_layer: usize,
    pub n_head: usize,
    pub n_head_kv: usize,
    pub head_dim: usize,
    pub n_ff: usize,
    pub n_vocab: usize,
    pub rope_base: f64,
    pub rope_dims: usize,
    /// true: rotate (x[j], x[j + rope_dims/2]) (Qwen3); false: (x[2j], x[2j+1]) (LLaMA).
    pub half_split_rope: bool,
    pub eps: f64,
    pub freq_divisors: Option<Vec<f64>>,
    pub qk_norm: bool,
    pub tied: bool,
}

/// Tensors by GGUF name, values in file order (ne[0] fastest), as f64.
pub struct RefModel {
    pub p: RefParams,
    pub t: HashMap<String, Vec<f64>>,
}

impl RefModel {
    fn get(&self, name: &str) -> &[f64] {
        self.t
            .get(name)
            .unwrap_or_else(|| panic!("reference: tensor {name} missing"))
    }

    /// Logits (n_vocab each) of every position of `tokens`.
    pub fn logits(&self, tokens: &[u32]) -> Vec<Vec<f64>> {
        let p = &self.p;
        let n = tokens.len();
        let emb = self.get("token_embd.weight");
        // hidden[t] = embedding row of tokens[t]
        let mut hidden: Vec<Vec<f64>> = tokens
            .iter()
            .map(|&tok| emb[tok as usize * p.n_embd..(tok as usize + 1) * p.n_embd].to_vec())
            .collect();
        for layer in 0..p.n_layer {
            let name = |s: &str| format!("blk.{layer}.{s}.weight");
            let normed: Vec<Vec<f64>> = hidden
                .iter()
                .map(|h| rms_norm(h, self.get(&name("attn_norm")), p.eps))
                .collect();
            let mut qs = Vec::new();
            let mut ks = Vec::new();
            let mut vs = Vec::new();
            for (t, x) in normed.iter().enumerate() {
                let mut q = mat_vec(self.get(&name("attn_q")), x);
                let mut k = mat_vec(self.get(&name("attn_k")), x);
                let v = mat_vec(self.get(&name("attn_v")), x);
                if p.qk_norm {
                    per_head_norm(&mut q, p.head_dim, self.get(&name("attn_q_norm")), p.eps);
                    per_head_norm(&mut k, p.head_dim, self.get(&name("attn_k_norm")), p.eps);
                }
                self.rotate(&mut q, t);
                self.rotate(&mut k, t);
                qs.push(q);
                ks.push(k);
                vs.push(v);
            }
            let group = p.n_head / p.n_head_kv;
            let d = p.head_dim;
            for t in 0..n {
                let mut attn_out = vec![0.0f64; p.n_head * d];
                for h in 0..p.n_head {
                    let g = h / group;
                    // scores over positions 0..=t
                    let mut w: Vec<f64> = (0..=t)
                        .map(|s| {
                            let mut acc = 0.0;
                            for i in 0..d {
                                acc += qs[t][h * d + i] * ks[s][g * d + i];
                            }
                            acc / (d as f64).sqrt()
                        })
                        .collect();
                    let m = w.iter().cloned().fold(f64::MIN, f64::max);
                    let z: f64 = w.iter().map(|s| (s - m).exp()).sum();
                    for s in w.iter_mut() {
                        *s = (*s - m).exp() / z;
                    }
                    for (s, ws) in w.iter().enumerate() {
                        for i in 0..d {
                            attn_out[h * d + i] += ws * vs[s][g * d + i];
                        }
                    }
                }
                let o = mat_vec(self.get(&name("attn_output")), &attn_out);
                for i in 0..p.n_embd {
                    hidden[t][i] += o[i];
                }
                let xn = rms_norm(&hidden[t], self.get(&name("ffn_norm")), p.eps);
                let gate = mat_vec(self.get(&name("ffn_gate")), &xn);
                let up = mat_vec(self.get(&name("ffn_up")), &xn);
                let act: Vec<f64> = gate
                    .iter()
                    .zip(&up)
                    .map(|(g, u)| g / (1.0 + (-g).exp()) * u)
                    .collect();
                let down = mat_vec(self.get(&name("ffn_down")), &act);
                for i in 0..p.n_embd {
                    hidden[t][i] += down[i];
                }
            }
        }
        let head = if p.tied {
            self.get("token_embd.weight")
        } else {
            self.get("output.weight")
        };
        hidden
            .iter()
            .map(|h| mat_vec(head, &rms_norm(h, self.get("output_norm.weight"), p.eps)))
            .collect()
    }

    /// RoPE of every head of `x` at position `pos`.
    fn rotate(&self, x: &mut [f64], pos: usize) {
        let p = &self.p;
        let half = p.rope_dims / 2;
        for head in x.chunks_mut(p.head_dim) {
            for j in 0..half {
                let mut theta =
                    pos as f64 * p.rope_base.powf(-(2.0 * j as f64) / p.rope_dims as f64);
                if let Some(f) = &p.freq_divisors {
                    theta /= f[j];
                }
                let (a_i, b_i) = if p.half_split_rope {
                    (j, j + half)
                } else {
                    (2 * j, 2 * j + 1)
                };
                let (a, b) = (head[a_i], head[b_i]);
                head[a_i] = a * theta.cos() - b * theta.sin();
                head[b_i] = a * theta.sin() + b * theta.cos();
            }
        }
    }
}

/// W (rows × cols, row-major) times x.
fn mat_vec(w: &[f64], x: &[f64]) -> Vec<f64> {
    let cols = x.len();
    assert_eq!(
        w.len() % cols,
        0,
        "reference: matrix does not fit the vector"
    );
    (0..w.len() / cols)
        .map(|r| (0..cols).map(|c| w[r * cols + c] * x[c]).sum())
        .collect()
}

fn rms_norm(x: &[f64], w: &[f64], eps: f64) -> Vec<f64> {
    let ms = x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64;
    let r = 1.0 / (ms + eps).sqrt();
    x.iter().zip(w).map(|(v, g)| v * r * g).collect()
}

fn per_head_norm(x: &mut [f64], d: usize, w: &[f64], eps: f64) {
    for head in x.chunks_mut(d) {
        let y = rms_norm(head, w, eps);
        head.copy_from_slice(&y);
    }
}

/// ‖a − b‖ / ‖b‖ and max |a − b| of one position's logits.
pub fn rel_err(a: &[f32], b: &[f64]) -> (f64, f64) {
    let mut num = 0.0;
    let mut den = 0.0;
    let mut max_abs = 0.0f64;
    for (x, y) in a.iter().zip(b) {
        let d = *x as f64 - y;
        num += d * d;
        den += y * y;
        max_abs = max_abs.max(d.abs());
    }
    (num.sqrt() / den.sqrt(), max_abs)
}
