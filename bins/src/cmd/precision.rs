//! `kernlab precision`: decode speed and logit error across quant types of one model.

use super::*;
use argh::FromArgs;

/// decode speed and logit error across quant types of one model.
#[allow(dead_code)] // stub: the flags are read once the command is built
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "precision")]
pub struct Args {
    /// backend: auto, nv, cuda or cpu (default auto)
    #[argh(option, default = "BackendFlag::Auto")]
    pub backend: BackendFlag,
    /// print JSON (a superset of llama-bench's schema) instead of a table
    #[argh(switch)]
    pub json: bool,
    /// model family (default llama1b)
    #[argh(option, default = "String::from(\"llama1b\")")]
    pub family: String,
}

pub fn run(args: Args) -> Result<(), Error> {
    let _ = &args;
    Err(not_built("kernlab precision"))
}
