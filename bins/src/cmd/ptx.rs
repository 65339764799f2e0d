//! `kernlab ptx`: list the PTX kernels; with --arch, assemble them and report registers, shared memory, spills.

use super::*;
use argh::FromArgs;

/// list the PTX kernels; with --arch, assemble them and report registers, shared memory, spills.
#[allow(dead_code)] // stub: the flags are read once the command is built
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "ptx")]
pub struct Args {
    /// target architecture: sm_87 or sm_90
    #[argh(option)]
    pub arch: Option<String>,
    /// print JSON instead of a table
    #[argh(switch)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<(), Error> {
    let _ = &args;
    Err(not_built("kernlab ptx"))
}
