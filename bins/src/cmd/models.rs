//! `kernlab models`: the model registry: which files are present and how to get the real ones.

use super::*;
use argh::FromArgs;

/// the model registry: which files are present and how to get the real ones.
#[allow(dead_code)] // stub: the flags are read once the command is built
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "models")]
pub struct Args {
    /// print JSON instead of a table
    #[argh(switch)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<(), Error> {
    let _ = &args;
    Err(not_built("kernlab models"))
}
