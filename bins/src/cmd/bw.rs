//! `kernlab bw`: device memory bandwidth: copy, read-only and write-only kernels beside cuMemcpyDtoD.

use super::*;
use argh::FromArgs;

/// device memory bandwidth: copy, read-only and write-only kernels beside cuMemcpyDtoD.
#[allow(dead_code)] // stub: the flags are read once the command is built
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "bw")]
pub struct Args {
    /// backend: auto, nv, cuda or cpu (default auto)
    #[argh(option, default = "BackendFlag::Auto")]
    pub backend: BackendFlag,
    /// print JSON (a superset of llama-bench's schema) instead of a table
    #[argh(switch)]
    pub json: bool,
    /// sizes in MB (default 1,16,64,256,1024)
    #[argh(option)]
    pub sizes: Option<String>,
    /// timed repetitions per size after warm-up (default 50)
    #[argh(option, default = "50")]
    pub reps: usize,
}

pub fn run(args: Args) -> Result<(), Error> {
    let _ = &args;
    Err(not_built("kernlab bw"))
}
