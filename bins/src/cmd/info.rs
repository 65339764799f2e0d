//! `kernlab info`: architecture, hyper-parameters, tokenizer and tensor table of a GGUF file.

use super::*;
use argh::FromArgs;

/// architecture, hyper-parameters, tokenizer and tensor table of a GGUF file.
#[allow(dead_code)] // stub: the flags are read once the command is built
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "info")]
pub struct Args {
    /// path to a .gguf file
    #[argh(positional)]
    pub file: String,
    /// print JSON instead of a table
    #[argh(switch)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<(), Error> {
    let _ = &args;
    Err(not_built("kernlab info"))
}
