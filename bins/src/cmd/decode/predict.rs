//! `kernlab decode --backend cpu --predict-check`: what `--check-against-cpu` will say about the
//! GPU plan the other flags select, without a GPU (`engine::predict`).

use super::gpu::{check_report_json, plan_options, CHECK_REL_TOL};
use super::{model_path, parse_prompt, Args, LogitsDump};
use kernlab::cpu::CpuModel;
use kernlab::engine::predict::{predict_check, GpuRoundings};
use kernlab::engine::{DecodePlan, PlanOptions};
use kernlab::json::Json;
use kernlab::Error;
use std::io::Write;
use std::time::Instant;

pub fn run(args: &Args, threads: usize) -> Result<(), Error> {
    let path = model_path(&args.model, args.synthetic)?;
    let file = kernlab::gguf::GgufFile::open(&path)?;
    let (config, layout) = kernlab::engine::decode::layout_of(&file)?;
    // nv's plan on Hopper (pdl replay); cuda's differs in launch shapes, not in roundings.
    let options = plan_options(args, PlanOptions::tuned_for(true))?;
    let plan = DecodePlan::build(&config, &layout, options)?;
    let roundings = GpuRoundings::for_plan(&plan, &file)?;
    let prompt = match &args.prompt_tokens {
        Some(s) => parse_prompt(s)?,
        None => vec![config.bos_token.unwrap_or(0)],
    };
    let total = prompt.len() + args.tokens;
    let t0 = Instant::now();
    let mut cpu = CpuModel::load_from(&file, threads)?;
    let (n_int, qmax) = roundings.x_int_summary();
    eprintln!(
        "kernlab decode: {} loaded in {:.1} s; predicting --check-against-cpu of nv's plan on the CPU ({threads} threads): K/V in f16, {}; each of {total} positions runs twice",
        path.display(),
        t0.elapsed().as_secs_f64(),
        match n_int {
            0 => "x as f32 in every matvec".to_string(),
            n => format!("x as integers of at most {qmax} per 32 columns in {n} Q4_K matrices"),
        }
    );
    let mut dump = LogitsDump::open(&args.dump_logits)?;
    let on_row = |_: usize, row: &[f32]| dump.row(row);
    let started = Instant::now();
    let mut last_print = Instant::now();
    let progress = |done: usize, total: usize| {
        if last_print.elapsed().as_secs_f64() > 1.0 {
            last_print = Instant::now();
            eprint!(
                "\r  position {done}/{total} ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
            let _ = std::io::stderr().flush();
        }
    };
    let r = predict_check(&mut cpu, &roundings, &prompt, args.tokens, on_row, progress)?;
    eprintln!();
    dump.finish()?;
    let line = r.summary();
    if args.json {
        let j = Json::obj()
            .set("model", path.display().to_string())
            .set("x_int_matrices", n_int)
            .set("x_int_max", qmax)
            .set("predicted_check_against_cpu", check_report_json(&r));
        println!("{}", j.to_string_pretty());
    } else {
        println!("predicted check against cpu: {line}");
    }
    if r.passed(CHECK_REL_TOL) {
        Ok(())
    } else {
        Err(Error::Check(format!(
            "the plan's roundings move the logits past the check's tolerance ({CHECK_REL_TOL}): {line}"
        )))
    }
}
