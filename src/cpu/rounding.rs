//! Where a caller may round what the reference keeps exact: how K and V enter the cache and how
//! a weight matrix meets its input. The reference itself rounds nothing ([`Exact`]);
//! `engine::predict` plugs in a GPU plan's roundings (the f16 KV cache, x as integers in the
//! Q4_K matvecs of `--q4k-dot i8|i16`) to tell on the CPU how far that plan's logits will be from
//! the exact ones.

/// A weight matrix of the forward pass, as the GGUF names it (`blk.N.<name>.weight`, or the LM
/// head: `output.weight`, or `token_embd.weight` when the embeddings are tied).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Matrix {
    AttnQ,
    AttnK,
    AttnV,
    AttnOutput,
    FfnGate,
    FfnUp,
    FfnDown,
    Head,
}

impl Matrix {
    pub const LAYER: [Matrix; 7] = [
        Matrix::AttnQ,
        Matrix::AttnK,
        Matrix::AttnV,
        Matrix::AttnOutput,
        Matrix::FfnGate,
        Matrix::FfnUp,
        Matrix::FfnDown,
    ];

    /// The name inside a layer (`attn_q`), None for the head.
    pub fn layer_name(self) -> Option<&'static str> {
        Some(match self {
            Matrix::AttnQ => "attn_q",
            Matrix::AttnK => "attn_k",
            Matrix::AttnV => "attn_v",
            Matrix::AttnOutput => "attn_output",
            Matrix::FfnGate => "ffn_gate",
            Matrix::FfnUp => "ffn_up",
            Matrix::FfnDown => "ffn_down",
            Matrix::Head => return None,
        })
    }

    /// (layer, matrix) of a tensor name without `.weight` (`blk.3.ffn_up`); `head` is the name
    /// the LM head has in this model (`output` or `token_embd`).
    pub fn parse(name: &str, head: &str) -> Option<(usize, Matrix)> {
        if name == head {
            return Some((0, Matrix::Head));
        }
        let (layer, t) = name.strip_prefix("blk.")?.split_once('.')?;
        let m = Matrix::LAYER
            .into_iter()
            .find(|m| m.layer_name() == Some(t))?;
        Some((layer.parse().ok()?, m))
    }
}

/// The two places the forward pass lets a caller round.
pub trait Rounding {
    /// K or V of one position (kv_dim values), rounded in place as the cache is to hold them.
    fn store_kv(&self, kv: &mut [f32]);
    /// y = W x for `layer`'s `m` (`layer` 0 for the head) computed the caller's way; false
    /// leaves it to the exact f32 matvec.
    fn matvec(
        &self,
        layer: usize,
        m: Matrix,
        y: &mut [f32],
        w: &[f32],
        x: &[f32],
        threads: usize,
    ) -> bool;
}

/// The reference: nothing rounded.
pub struct Exact;

impl Rounding for Exact {
    fn store_kv(&self, _: &mut [f32]) {}

    fn matvec(&self, _: usize, _: Matrix, _: &mut [f32], _: &[f32], _: &[f32], _: usize) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::Matrix;

    #[test]
    fn tensor_names_map_to_layer_and_matrix() {
        assert_eq!(
            Matrix::parse("blk.27.ffn_down", "output"),
            Some((27, Matrix::FfnDown))
        );
        assert_eq!(
            Matrix::parse("blk.0.attn_q", "output"),
            Some((0, Matrix::AttnQ))
        );
        assert_eq!(
            Matrix::parse("token_embd", "token_embd"),
            Some((0, Matrix::Head))
        );
        assert_eq!(Matrix::parse("token_embd", "output"), None);
        assert_eq!(Matrix::parse("blk.x.attn_q", "output"), None);
        assert_eq!(Matrix::parse("blk.1.attn_rope", "output"), None);
        for m in Matrix::LAYER {
            let name = format!("blk.5.{}", m.layer_name().unwrap());
            assert_eq!(Matrix::parse(&name, "output"), Some((5, m)));
        }
    }
}
