//! `kernlab selftest`: run every GPU kernel once against the CPU reference; non-zero exit on any failure.

use super::*;
use argh::FromArgs;

/// run every GPU kernel once against the CPU reference; non-zero exit on any failure.
#[allow(dead_code)] // stub: the flags are read once the command is built
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "selftest")]
pub struct Args {
    /// backend: auto, nv, cuda or cpu (default auto)
    #[argh(option, default = "BackendFlag::Auto")]
    pub backend: BackendFlag,
    /// print JSON (a superset of llama-bench's schema) instead of a table
    #[argh(switch)]
    pub json: bool,
    /// only kernels whose name contains this
    #[argh(option)]
    pub filter: Option<String>,
}

pub fn run(args: Args) -> Result<(), Error> {
    let _ = &args;
    Err(not_built("kernlab selftest"))
}
