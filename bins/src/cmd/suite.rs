//! `kernlab suite`: run every benchmark and write one report.

use super::*;
use argh::FromArgs;

/// run every benchmark and write one report.
#[allow(dead_code)] // stub: the flags are read once the command is built
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "suite")]
pub struct Args {
    /// backend: auto, nv, cuda or cpu (default auto)
    #[argh(option, default = "BackendFlag::Auto")]
    pub backend: BackendFlag,
    /// print JSON (a superset of llama-bench's schema) instead of a table
    #[argh(switch)]
    pub json: bool,
    /// directory for the report files (default ./kernlab-suite)
    #[argh(option, default = "String::from(\"kernlab-suite\")")]
    pub out: String,
}

pub fn run(args: Args) -> Result<(), Error> {
    let _ = &args;
    Err(not_built("kernlab suite"))
}
