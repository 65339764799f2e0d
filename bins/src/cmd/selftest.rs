//! `kernlab selftest`: run every GPU kernel once against the CPU reference; non-zero exit on any failure.

use super::*;
use argh::FromArgs;

/// run every GPU kernel once against the CPU reference; non-zero exit on any failure.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "selftest")]
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
    /// only kernels whose name contains this
    #[argh(option)]
    pub filter: Option<String>,
}

pub fn run(args: Args) -> Result<(), Error> {
    let mut opened = open_backend(args.backend)?;
    let b = opened.backend.as_mut();
    let mut rows = kernlab::bench::selftest::run(b, args.filter.as_deref())?;
    rows.extend(kernlab::engine::selftest(b, args.filter.as_deref())?);
    if rows.is_empty() {
        return Err(Error::Usage("--filter matched no kernel".into()));
    }
    {
        let recs: Vec<kernlab::json::Json> = rows
            .iter()
            .map(|r| {
                kernlab::json::Json::obj()
                    .set("kernel", r.kernel.as_str())
                    .set("case", r.case.as_str())
                    .set("ok", r.ok)
                    .set("detail", r.detail.as_str())
                    .set("backend", b.info().backend)
                    .set("gpu_info", b.info().name.as_str())
                    .set("driver", b.info().driver.as_str())
            })
            .collect();
        let j = kernlab::json::Json::Arr(recs);
        if let Some(path) = &args.json_out {
            write_json(path, &j)?;
        }
        if args.json {
            print_json(&j);
        } else {
            println!("{}", kernlab::bench::selftest::render(&rows));
        }
    }
    let failed = rows.iter().filter(|r| !r.ok).count();
    if failed > 0 {
        return Err(Error::Check(format!(
            "selftest: {failed} of {} checks failed",
            rows.len()
        )));
    }
    Ok(())
}
