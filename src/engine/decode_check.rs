//! The GPU decoder against the CPU reference: the GPU runs greedy (its argmax chains on the
//! device), the CPU is fed the same token at every position, and the logits of every position are
//! compared (max abs error, relative error = max abs error / max |cpu logit|) together with the
//! agreement of the CPU's argmax with the token the GPU chose.

use super::decode::GpuDecoder;
use crate::cpu::ops::argmax;
use crate::cpu::CpuModel;
use crate::{Error, Result};

/// What [`check_against_cpu`] measured.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckReport {
    pub positions: usize,
    pub n_prompt: usize,
    pub max_abs_err: f32,
    /// Max over positions of (max abs error / max |cpu logit|).
    pub max_rel_err: f32,
    /// Position of the largest absolute error.
    pub worst_pos: usize,
    /// Generated positions whose CPU argmax equals the GPU's token.
    pub argmax_agree: usize,
    pub argmax_total: usize,
    /// Disagreements that are near ties: the CPU's logit for the GPU's token is within the
    /// previous position's max abs error of the CPU's best (rounding may pick either).
    pub near_ties: usize,
    /// First generated position where they differ (near ties included).
    pub first_disagree: Option<usize>,
    pub gpu_tokens: Vec<u32>,
}

impl CheckReport {
    /// Passes when every argmax agrees or is a near tie and the relative error is under
    /// `rel_tol`.
    pub fn passed(&self, rel_tol: f32) -> bool {
        self.argmax_agree + self.near_ties == self.argmax_total && self.max_rel_err <= rel_tol
    }

    pub fn summary(&self) -> String {
        format!(
            "{} positions ({} prompt): max abs err {:.3e} (position {}), max rel err {:.3e}, argmax agrees {}/{} ({} near ties){}",
            self.positions,
            self.n_prompt,
            self.max_abs_err,
            self.worst_pos,
            self.max_rel_err,
            self.argmax_agree,
            self.argmax_total,
            self.near_ties,
            self.first_disagree
                .map_or(String::new(), |p| format!(" (first difference at position {p})"))
        )
    }
}

/// Runs `prompt` then `n_gen` greedy tokens on `gpu` and the same tokens through `cpu`,
/// comparing logits position by position. `on_row` gets every GPU logits row (for dumps).
pub fn check_against_cpu(
    gpu: &mut GpuDecoder,
    cpu: &mut CpuModel,
    prompt: &[u32],
    n_gen: usize,
    mut on_row: impl FnMut(usize, &[f32]) -> Result<()>,
) -> Result<CheckReport> {
    gpu.check_run(prompt, n_gen)?;
    if cpu.config.n_vocab != gpu.plan.config.n_vocab {
        return Err(Error::Usage(
            "the CPU and GPU models differ in vocabulary".into(),
        ));
    }
    let total = prompt.len() + n_gen;
    let mut cache = cpu.new_cache(total);
    let mut cpu_logits = vec![0.0f32; cpu.config.n_vocab];
    let mut tally = Tally::new(total, prompt.len());
    for pos in 0..total {
        let token;
        if pos < prompt.len() {
            token = prompt[pos];
            gpu.set_input(pos, token)?;
        } else {
            // The GPU's own argmax of the previous step is already in its token buffer.
            token = gpu.next_token()?;
            tally.pick(pos, token, &cpu_logits);
        }
        gpu.step()?;
        let g = gpu.logits()?;
        cpu.forward(token, pos, &mut cache, &mut cpu_logits)?;
        on_row(pos, &g)?;
        tally.compare(pos, &g, &cpu_logits);
    }
    Ok(tally.r)
}

/// A [`CheckReport`] built position by position, for the GPU check and for its prediction on
/// the CPU (`engine::predict`).
pub(crate) struct Tally {
    pub r: CheckReport,
    /// The previous position's max abs error: how close a tie must be to excuse a different pick.
    prev_abs: f32,
}

impl Tally {
    pub fn new(positions: usize, n_prompt: usize) -> Tally {
        Tally {
            r: CheckReport {
                positions,
                n_prompt,
                max_abs_err: 0.0,
                max_rel_err: 0.0,
                worst_pos: 0,
                argmax_agree: 0,
                argmax_total: 0,
                near_ties: 0,
                first_disagree: None,
                gpu_tokens: Vec::new(),
            },
            prev_abs: 0.0,
        }
    }

    /// The candidate chose `token` for generated position `pos`; `cpu_logits` are the
    /// reference's logits of the previous position.
    pub fn pick(&mut self, pos: usize, token: u32, cpu_logits: &[f32]) {
        let r = &mut self.r;
        r.gpu_tokens.push(token);
        let cpu_pick = argmax(cpu_logits).map(|i| i as u32);
        r.argmax_total += 1;
        if cpu_pick == Some(token) {
            r.argmax_agree += 1;
        } else {
            let best = cpu_pick.map_or(f32::NAN, |i| cpu_logits[i as usize]);
            let mine = cpu_logits.get(token as usize).copied().unwrap_or(f32::NAN);
            if best - mine <= self.prev_abs {
                r.near_ties += 1;
            }
            r.first_disagree.get_or_insert(pos);
        }
    }

    /// The candidate's logits `g` at `pos` against the reference's `cpu`.
    pub fn compare(&mut self, pos: usize, g: &[f32], cpu: &[f32]) {
        let mut abs = 0.0f32;
        let mut scale = 0.0f32;
        for (a, b) in g.iter().zip(cpu) {
            let d = (a - b).abs();
            // NaN on the GPU must fail the check, not vanish in a max.
            abs = if d.is_nan() {
                f32::INFINITY
            } else {
                abs.max(d)
            };
            scale = scale.max(b.abs());
        }
        self.prev_abs = abs;
        let r = &mut self.r;
        if abs > r.max_abs_err {
            r.max_abs_err = abs;
            r.worst_pos = pos;
        }
        r.max_rel_err = r.max_rel_err.max(abs / scale.max(f32::MIN_POSITIVE));
    }
}

#[cfg(test)]
mod tests {
    use super::CheckReport;

    fn report(agree: usize, ties: usize, rel: f32) -> CheckReport {
        CheckReport {
            positions: 10,
            n_prompt: 2,
            max_abs_err: 0.01,
            max_rel_err: rel,
            worst_pos: 3,
            argmax_agree: agree,
            argmax_total: 8,
            near_ties: ties,
            first_disagree: (agree < 8).then_some(5),
            gpu_tokens: Vec::new(),
        }
    }

    #[test]
    fn passes_on_agreement_or_near_ties_under_the_tolerance() {
        assert!(report(8, 0, 1e-3).passed(2e-2));
        assert!(report(7, 1, 1e-3).passed(2e-2));
        assert!(!report(7, 0, 1e-3).passed(2e-2), "a real disagreement");
        assert!(!report(8, 0, 5e-2).passed(2e-2), "error over tolerance");
        let s = report(7, 1, 1e-3).summary();
        assert!(
            s.contains("7/8") && s.contains("1 near ties") && s.contains("position 5"),
            "{s}"
        );
    }
}
