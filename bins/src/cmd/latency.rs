//! `kernlab latency`: launch latency: empty kernel, tiny fills, a 16x16x16 matmul, launch throughput.

use super::*;
use argh::FromArgs;

/// launch latency: empty kernel, tiny fills, a 16x16x16 matmul, launch throughput.
#[allow(dead_code)] // stub: the flags are read once the command is built
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "latency")]
pub struct Args {
    /// backend: auto, nv, cuda or cpu (default auto)
    #[argh(option, default = "BackendFlag::Auto")]
    pub backend: BackendFlag,
    /// print JSON (a superset of llama-bench's schema) instead of a table
    #[argh(switch)]
    pub json: bool,
    /// iterations per measurement (at least 1000; default 2000)
    #[argh(option, default = "2000")]
    pub iters: usize,
}

pub fn run(args: Args) -> Result<(), Error> {
    let _ = &args;
    Err(not_built("kernlab latency"))
}
