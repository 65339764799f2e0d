//! `kernlab synth`: write a random-weight GGUF with a registry model's exact shapes, names and quant types.

use super::*;
use argh::FromArgs;

/// write a random-weight GGUF with a registry model's exact shapes, names and quant types.
#[allow(dead_code)] // stub: the flags are read once the command is built
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "synth")]
pub struct Args {
    /// registry name (see `kernlab models`)
    #[argh(option)]
    pub model: String,
    /// random seed (default 0)
    #[argh(option, default = "0")]
    pub seed: u64,
    /// output path (default: the model's cache path)
    #[argh(option)]
    pub out: Option<String>,
    /// override the number of layers (tiny test models)
    #[argh(option)]
    pub layers: Option<u32>,
}

pub fn run(args: Args) -> Result<(), Error> {
    let _ = &args;
    Err(not_built("kernlab synth"))
}
