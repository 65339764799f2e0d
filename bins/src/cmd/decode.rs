//! `kernlab decode`: token-by-token decode of a GGUF model: tok/s, ms/token, GB/s, % of the bandwidth roofline.

use super::*;
use argh::FromArgs;

/// token-by-token decode of a GGUF model: tok/s, ms/token, GB/s, % of the bandwidth roofline.
#[allow(dead_code)] // stub: the flags are read once the command is built
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "decode")]
pub struct Args {
    /// backend: auto, nv, cuda or cpu (default auto)
    #[argh(option, default = "BackendFlag::Auto")]
    pub backend: BackendFlag,
    /// print JSON (a superset of llama-bench's schema) instead of a table
    #[argh(switch)]
    pub json: bool,
    /// registry name (see `kernlab models`) or a path to a .gguf file
    #[argh(option)]
    pub model: String,
    /// comma-separated prompt token ids (default: the BOS token)
    #[argh(option)]
    pub prompt_tokens: Option<String>,
    /// tokens to generate (default 32)
    #[argh(option, default = "32")]
    pub tokens: usize,
    /// write the logits of every processed position (f32 LE, positions x vocab) to FILE
    #[argh(option)]
    pub dump_logits: Option<String>,
    /// when the named model is not on disk, make it with random weights first (`kernlab synth`)
    #[argh(switch)]
    pub synthetic: bool,
    /// threads per matvec row on GPU backends (default 32)
    #[argh(option, default = "32")]
    pub threads_per_row: u32,
    /// per-kernel time and bytes for one token
    #[argh(switch)]
    pub profile: bool,
    /// CPU threads for the cpu backend (default: all cores)
    #[argh(option)]
    pub threads: Option<usize>,
}

pub fn run(args: Args) -> Result<(), Error> {
    let _ = &args;
    Err(not_built("kernlab decode"))
}
