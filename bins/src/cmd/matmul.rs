//! `kernlab matmul`: fp32 (FFMA, tiled) and fp16 tensor-core (mma.sync) matmul GFLOP/s, checked against the CPU.

use super::*;
use argh::FromArgs;

/// fp32 (FFMA, tiled) and fp16 tensor-core (mma.sync) matmul GFLOP/s, checked against the CPU.
#[allow(dead_code)] // stub: the flags are read once the command is built
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "matmul")]
pub struct Args {
    /// backend: auto, nv, cuda or cpu (default auto)
    #[argh(option, default = "BackendFlag::Auto")]
    pub backend: BackendFlag,
    /// print JSON (a superset of llama-bench's schema) instead of a table
    #[argh(switch)]
    pub json: bool,
    /// square sizes (default 256,512,1024,2048,4096)
    #[argh(option)]
    pub sizes: Option<String>,
    /// timed repetitions per size after warm-up (default 20)
    #[argh(option, default = "20")]
    pub reps: usize,
}

pub fn run(args: Args) -> Result<(), Error> {
    let _ = &args;
    Err(not_built("kernlab matmul"))
}
