//! `kernlab doctor`: which device nodes, interface, classes, driver and backends this machine has.

use super::*;
use argh::FromArgs;

/// which device nodes, interface, classes, driver and backends this machine has.
#[allow(dead_code)] // stub: the flags are read once the command is built
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "doctor")]
pub struct Args {
    /// print JSON instead of text
    #[argh(switch)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<(), Error> {
    let _ = &args;
    Err(not_built("kernlab doctor"))
}
