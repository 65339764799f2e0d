//! `kernlab scaling`: decode speed across model sizes of one quant type.

use super::*;
use argh::FromArgs;

/// decode speed across model sizes of one quant type.
#[allow(dead_code)] // stub: the flags are read once the command is built
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "scaling")]
pub struct Args {
    /// backend: auto, nv, cuda or cpu (default auto)
    #[argh(option, default = "BackendFlag::Auto")]
    pub backend: BackendFlag,
    /// print JSON (a superset of llama-bench's schema) instead of a table
    #[argh(switch)]
    pub json: bool,
    /// quant type (default q4km)
    #[argh(option, default = "String::from(\"q4km\")")]
    pub quant: String,
}

pub fn run(args: Args) -> Result<(), Error> {
    let _ = &args;
    Err(not_built("kernlab scaling"))
}
