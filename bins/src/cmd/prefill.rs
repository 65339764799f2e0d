//! `kernlab prefill`: prompt processing speed (batched prefill) of a GGUF model.

use super::*;
use argh::FromArgs;

/// prompt processing speed (batched prefill) of a GGUF model.
#[allow(dead_code)] // stub: the flags are read once the command is built
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "prefill")]
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
    /// prompt lengths (default 32,128,512)
    #[argh(option)]
    pub lengths: Option<String>,
}

pub fn run(args: Args) -> Result<(), Error> {
    let _ = &args;
    Err(not_built("kernlab prefill"))
}
