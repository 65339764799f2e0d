//! `kernlab bw`: device memory bandwidth: copy, read-only and write-only kernels beside cuMemcpyDtoD.

use super::*;
use argh::FromArgs;

/// device memory bandwidth: copy, read-only and write-only kernels beside cuMemcpyDtoD.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "bw")]
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
    /// sizes in MB (default 1,16,64,256,1024)
    #[argh(option)]
    pub sizes: Option<String>,
    /// copy kernel variant: plain (default), cs, l2pf or l2pf-cs
    #[argh(option, default = "String::from(\"plain\")")]
    pub copy_variant: String,
    /// grid cap of the streaming kernels in 256-thread blocks per SM (default: uncapped, one
    /// block per 4 x 256 vectors)
    #[argh(option)]
    pub blocks_per_sm: Option<u32>,
    /// timed repetitions per size after warm-up (default 50)
    #[argh(option, default = "50")]
    pub reps: usize,
}

pub fn run(args: Args) -> Result<(), Error> {
    let sizes_mb = match &args.sizes {
        Some(s) => parse_list("--sizes", s)?,
        None => vec![1, 16, 64, 256, 1024],
    };
    if args.reps == 0 {
        return Err(Error::Usage("--reps must be at least 1".into()));
    }
    let mut opened = open_backend(args.backend)?;
    let b = opened.backend.as_mut();
    let sizes_b: Vec<u64> = sizes_mb.iter().map(|mb| mb << 20).collect();
    let opt = kernlab::bench::bw::BwOptions {
        copy_variant: args.copy_variant.clone(),
        blocks_per_sm: args.blocks_per_sm,
    };
    if opt.blocks_per_sm == Some(0) {
        return Err(Error::Usage("--blocks-per-sm must be at least 1".into()));
    }
    let rows = kernlab::bench::bw::run(b, &sizes_b, args.reps, &opt)?;
    if let Some(path) = &args.json_out {
        write_json(path, &kernlab::bench::bw::json(&rows, b.info()))?;
    }
    if args.json {
        print_json(&kernlab::bench::bw::json(&rows, b.info()));
    } else {
        println!(
            "{}",
            kernlab::bench::bw::render(&rows, b.info().l2_b, args.reps)
        );
    }
    Ok(())
}
