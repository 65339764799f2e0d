//! `kernlab compare`: run one benchmark on nv and on cuda, each in its own process, and print both with the delta.

use super::*;
use argh::FromArgs;

/// run one benchmark on nv and on cuda, each in its own process, and print both with the delta.
#[allow(dead_code)] // stub: the flags are read once the command is built
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "compare")]
pub struct Args {
    /// the benchmark to compare: bw, matmul, latency or decode
    #[argh(positional)]
    pub bench: String,
    /// extra arguments passed to both runs
    #[argh(positional, greedy)]
    pub rest: Vec<String>,
    /// print JSON instead of a table
    #[argh(switch)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<(), Error> {
    let _ = &args;
    Err(not_built("kernlab compare"))
}
