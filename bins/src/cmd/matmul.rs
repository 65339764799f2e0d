//! `kernlab matmul`: fp32 (FFMA, tiled) and fp16 tensor-core (mma.sync) matmul GFLOP/s, checked against the CPU.

use super::*;
use argh::FromArgs;

/// fp32 (FFMA, tiled) and fp16 tensor-core (mma.sync) matmul GFLOP/s, checked against the CPU.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "matmul")]
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
    /// square sizes (default 256,512,1024,2048,4096)
    #[argh(option)]
    pub sizes: Option<String>,
    /// only these kernels (comma list: fp32, fp16-tc, fp16-tc-k64, fp16-tc-wide, fp16-tc-wide-k64)
    #[argh(option)]
    pub kernels: Option<String>,
    /// pipeline stages of the tensor-core kernels (default: each kernel's own)
    #[argh(option)]
    pub stages: Option<u32>,
    /// timed repetitions per size after warm-up (default 20)
    #[argh(option, default = "20")]
    pub reps: usize,
}

pub fn run(args: Args) -> Result<(), Error> {
    let sizes: Vec<usize> = match &args.sizes {
        Some(s) => parse_list("--sizes", s)?
            .into_iter()
            .map(|v| v as usize)
            .collect(),
        None => vec![256, 512, 1024, 2048, 4096],
    };
    if args.reps == 0 {
        return Err(Error::Usage("--reps must be at least 1".into()));
    }
    let mut opened = open_backend(args.backend)?;
    let b = opened.backend.as_mut();
    let opt = kernlab::bench::matmul::MatmulOptions {
        kinds: args
            .kernels
            .as_deref()
            .map(|k| k.split(',').map(|s| s.trim().to_string()).collect())
            .unwrap_or_default(),
        stages: args.stages,
    };
    let rows = kernlab::bench::matmul::run(b, &sizes, args.reps, &opt)?;
    if let Some(path) = &args.json_out {
        write_json(path, &kernlab::bench::matmul::json(&rows, b.info()))?;
    }
    if args.json {
        print_json(&kernlab::bench::matmul::json(&rows, b.info()));
    } else {
        println!("{}", kernlab::bench::matmul::render(&rows, args.reps));
    }
    let failed: Vec<String> = rows
        .iter()
        .filter(|r| !r.ok)
        .map(|r| {
            format!(
                "{} {} (rel err {:.1e}, {})",
                r.kind.name, r.n, r.rel_err, r.checked
            )
        })
        .collect();
    if !failed.is_empty() {
        return Err(Error::Check(format!(
            "matmul results wrong: {}",
            failed.join("; ")
        )));
    }
    Ok(())
}
