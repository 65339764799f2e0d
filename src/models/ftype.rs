//! llama_ftype (GGUF `general.file_type`) and the per-tensor types llama-quantize picks for it
//! (llama.cpp src/llama-quant.cpp `llama_tensor_get_type_impl`; models-and-quants.md §4).

use crate::GgmlType;

/// The quantization recipes of the registry models.
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileType {
    F16,
    Q8_0,
    Q6_K,
    Q5_K_M,
    Q4_K_M,
    Q3_K_M,
    Q2_K,
}

pub const ALL_FILE_TYPES: [FileType; 7] = [
    FileType::F16,
    FileType::Q8_0,
    FileType::Q6_K,
    FileType::Q5_K_M,
    FileType::Q4_K_M,
    FileType::Q3_K_M,
    FileType::Q2_K,
];

impl FileType {
    /// The llama_ftype id written as `general.file_type` (gguf-py `LlamaFileType`).
    pub const fn llama_ftype(self) -> u32 {
        match self {
            FileType::F16 => 1,
            FileType::Q8_0 => 7,
            FileType::Q6_K => 18,
            FileType::Q5_K_M => 17,
            FileType::Q4_K_M => 15,
            FileType::Q3_K_M => 12,
            FileType::Q2_K => 10,
        }
    }

    pub fn from_llama_ftype(id: u32) -> Option<FileType> {
        ALL_FILE_TYPES
            .iter()
            .copied()
            .find(|f| f.llama_ftype() == id)
    }

    /// The name llama.cpp prints and Hugging Face file names use ("Q4_K_M").
    pub const fn name(self) -> &'static str {
        match self {
            FileType::F16 => "F16",
            FileType::Q8_0 => "Q8_0",
            FileType::Q6_K => "Q6_K",
            FileType::Q5_K_M => "Q5_K_M",
            FileType::Q4_K_M => "Q4_K_M",
            FileType::Q3_K_M => "Q3_K_M",
            FileType::Q2_K => "Q2_K",
        }
    }

    /// The registry name suffix ("q4km" in "llama1b-q4km").
    pub const fn suffix(self) -> &'static str {
        match self {
            FileType::F16 => "f16",
            FileType::Q8_0 => "q8",
            FileType::Q6_K => "q6k",
            FileType::Q5_K_M => "q5km",
            FileType::Q4_K_M => "q4km",
            FileType::Q3_K_M => "q3km",
            FileType::Q2_K => "q2k",
        }
    }

    /// `llama_ftype_get_default_type`: the type of every 2-D tensor no rule below changes.
    pub const fn default_type(self) -> GgmlType {
        match self {
            FileType::F16 => GgmlType::F16,
            FileType::Q8_0 => GgmlType::Q8_0,
            FileType::Q6_K => GgmlType::Q6_K,
            FileType::Q5_K_M => GgmlType::Q5_K,
            FileType::Q4_K_M => GgmlType::Q4_K,
            FileType::Q3_K_M => GgmlType::Q3_K,
            FileType::Q2_K => GgmlType::Q2_K,
        }
    }
}

impl std::fmt::Display for FileType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The role of a weight tensor, as llama-quant.cpp tells them apart by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TensorRole {
    TokenEmbd,
    Output,
    AttnQ,
    AttnK,
    AttnV,
    AttnOutput,
    FfnGate,
    FfnUp,
    FfnDown,
    /// 1-D tensors (norms, rope_freqs): never quantized.
    Vector,
}

/// llama-quant.cpp `use_more_bits`: the first and last eighth of the layers, and every third
/// layer between them, get more bits for attn_v / ffn_down (C integer division).
pub fn use_more_bits(i_layer: usize, n_layer: usize) -> bool {
    let i = i_layer as i64;
    let n = n_layer as i64;
    i < n / 8 || i >= 7 * n / 8 || (i - n / 8).rem_euclid(3) == 2
}

/// The type llama-quantize gives a tensor of `role` in layer `i_layer` of `n_layer`, for a model
/// whose embeddings are `tied` (no output.weight) and whose GQA ratio is `n_gqa`. `ne0` is the
/// row length: an output head whose rows are not whole 256-blocks falls back to Q8_0.
pub fn tensor_type(
    ftype: FileType,
    role: TensorRole,
    i_layer: usize,
    n_layer: usize,
    n_gqa: usize,
    tied: bool,
    ne0: usize,
) -> GgmlType {
    use FileType as F;
    use GgmlType as G;
    let default = ftype.default_type();
    if role == TensorRole::Vector {
        return G::F32;
    }
    if ftype == F::F16 {
        return G::F16;
    }
    let is_head = role == TensorRole::Output || (role == TensorRole::TokenEmbd && tied);
    if is_head {
        return if default == G::Q8_0 || !ne0.is_multiple_of(256) {
            G::Q8_0
        } else {
            G::Q6_K
        };
    }
    let more = use_more_bits(i_layer, n_layer);
    match role {
        TensorRole::AttnV => match ftype {
            F::Q2_K => {
                if n_gqa >= 4 {
                    G::Q4_K
                } else {
                    G::Q3_K
                }
            }
            F::Q3_K_M => {
                if i_layer < 2 {
                    G::Q5_K
                } else {
                    G::Q4_K
                }
            }
            F::Q4_K_M | F::Q5_K_M if more => G::Q6_K,
            _ => default,
        },
        TensorRole::FfnDown => match ftype {
            F::Q2_K => G::Q3_K,
            F::Q3_K_M => {
                if i_layer < n_layer / 16 {
                    G::Q5_K
                } else {
                    G::Q4_K
                }
            }
            F::Q4_K_M | F::Q5_K_M if more => G::Q6_K,
            _ => default,
        },
        TensorRole::AttnOutput => match ftype {
            F::Q2_K => G::Q3_K,
            F::Q3_K_M => G::Q4_K,
            _ => default,
        },
        _ => default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn more_layers(n: usize) -> Vec<usize> {
        (0..n).filter(|&i| use_more_bits(i, n)).collect()
    }

    #[test]
    fn use_more_bits_layers_match_llama_quant() {
        // The layer sets listed in models-and-quants.md §4.
        assert_eq!(more_layers(16), vec![0, 1, 4, 7, 10, 13, 14, 15]);
        assert_eq!(
            more_layers(28),
            vec![0, 1, 2, 5, 8, 11, 14, 17, 20, 23, 24, 25, 26, 27]
        );
        assert_eq!(more_layers(32).len(), 16);
        assert_eq!(more_layers(36).len(), 18);
    }

    #[test]
    fn ftype_ids_round_trip() {
        for f in ALL_FILE_TYPES {
            assert_eq!(FileType::from_llama_ftype(f.llama_ftype()), Some(f));
        }
        assert_eq!(FileType::from_llama_ftype(0), None);
    }
}
