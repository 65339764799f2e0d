//! `kernlab generate`: stream text from a prompt with a GGUF model.

use super::*;
use argh::FromArgs;

/// stream text from a prompt with a GGUF model.
#[allow(dead_code)] // stub: the flags are read once the command is built
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "generate")]
pub struct Args {
    /// backend: auto, nv, cuda or cpu (default auto)
    #[argh(option, default = "BackendFlag::Auto")]
    pub backend: BackendFlag,
    /// print JSON (a superset of llama-bench's schema) instead of a table
    #[argh(switch)]
    pub json: bool,
    /// registry name or path to a .gguf file
    #[argh(option)]
    pub model: String,
    /// prompt text
    #[argh(option)]
    pub prompt: String,
    /// tokens to generate (default 64)
    #[argh(option, default = "64")]
    pub tokens: usize,
    /// when the named model is not on disk, make it with random weights first
    #[argh(switch)]
    pub synthetic: bool,
}

pub fn run(args: Args) -> Result<(), Error> {
    let _ = &args;
    Err(not_built("kernlab generate"))
}
