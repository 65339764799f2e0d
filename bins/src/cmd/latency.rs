//! `kernlab latency`: launch latency: empty kernel, tiny fills, a 16x16x16 matmul, launch throughput.

use super::*;
use argh::FromArgs;

/// launch latency: empty kernel, tiny fills, a 16x16x16 matmul, launch throughput.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "latency")]
pub struct Args {
    /// backend: auto, nv, cuda or cpu (default auto)
    #[argh(option, default = "BackendFlag::Auto")]
    pub backend: BackendFlag,
    /// print JSON (a superset of llama-bench's schema) instead of a table
    #[argh(switch)]
    pub json: bool,
    /// also write the JSON records to this file (the table still prints)
    #[argh(option)]
    pub json_out: Option<String>,
    /// iterations per measurement (at least 1000; default 2000)
    #[argh(option, default = "2000")]
    pub iters: usize,
}

pub fn run(args: Args) -> Result<(), Error> {
    if args.iters < 1000 {
        return Err(Error::Usage(format!(
            "--iters {}: at least 1000 iterations are needed for a p99",
            args.iters
        )));
    }
    let mut opened = open_backend(args.backend)?;
    let b = opened.backend.as_mut();
    let rows = kernlab::bench::latency::run(b, args.iters)?;
    if let Some(path) = &args.json_out {
        write_json(path, &kernlab::bench::latency::json(&rows, b.info()))?;
    }
    if args.json {
        print_json(&kernlab::bench::latency::json(&rows, b.info()));
    } else {
        println!(
            "{}",
            kernlab::bench::latency::render(&rows, args.iters, b.info().backend)
        );
    }
    Ok(())
}
