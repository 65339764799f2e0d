//! `kernlab decode --backend cuda|nv`: the model on the GPU through `engine::GpuDecoder`, one
//! replayed step per token; timing from GPU marks between replays; optional per-kernel profile,
//! logits dump and check against the CPU reference.

use super::{cpu_threads, model_path, parse_prompt, Args, LogitsDump};
use kernlab::cpu::CpuModel;
use kernlab::engine::plan::{Q4kDot, Q6kPipeline};
use kernlab::engine::{
    check_against_cpu, CheckReport, GpuDecoder, KernelTime, PlanOptions, TimedRun,
};
use kernlab::gpu::{Arg, Backend, BackendKind, Launch};
use kernlab::json::Json;
use kernlab::stats::summarize;
use kernlab::Error;
use std::time::Instant;

/// Bytes of each buffer of the bandwidth-ceiling copy.
const CEILING_COPY_B: u64 = 1 << 30;
/// Generated tokens left out of the statistics (clocks and caches settle).
const WARMUP_TOKENS: usize = 2;

/// The plan's knobs from the flags over `d`, the defaults for the backend (max_ctx: the default).
pub(super) fn plan_options(args: &Args, d: PlanOptions) -> Result<PlanOptions, Error> {
    let stream_q6_k = match args.matvec_q6k.as_deref() {
        None => d.stream_q6_k,
        Some("s") => true,
        Some("w") => false,
        Some(other) => {
            return Err(Error::Usage(format!(
                "--matvec-q6k {other}: expected s (matvec_q6_k_s) or w (matvec_q6_k_w)"
            )))
        }
    };
    let q6k_pipeline = match args.q6k_pipeline.as_deref() {
        None => d.q6k_pipeline,
        Some("reg") => Q6kPipeline::Registers,
        Some("async") => Q6kPipeline::Async,
        Some("l2") => Q6kPipeline::L2Prefetch,
        Some(other) => {
            return Err(Error::Usage(format!(
                "--q6k-pipeline {other}: expected reg, async or l2"
            )))
        }
    };
    let q4k_dot = match args.q4k_dot.as_deref() {
        None => d.q4k_dot,
        Some("f32") => Q4kDot::Float,
        Some("i8") => Q4kDot::Int8,
        Some("i16") => Q4kDot::Int16,
        Some(other) => {
            return Err(Error::Usage(format!(
                "--q4k-dot {other}: expected f32, i8 or i16"
            )))
        }
    };
    if args.stream_blocks_per_sm == Some(0) {
        return Err(Error::Usage(
            "--stream-blocks-per-sm 0: expected at least 1".to_string(),
        ));
    }
    Ok(PlanOptions {
        threads_per_row: args.threads_per_row,
        fuse_matvecs: !args.unfused,
        norm_in_matvec: !args.separate_norm,
        fused_q6_k: args.q6k_fused.unwrap_or(d.fused_q6_k),
        fused_q6_k_alone: args.q6k_fused_alone.unwrap_or(d.fused_q6_k_alone),
        pair_q6_k: args.pair_q6.unwrap_or(d.pair_q6_k),
        q4k_xsum: args.q4k_xsum.unwrap_or(d.q4k_xsum),
        q4k_dot,
        q6k_plain_xsum: args.q6k_plain_xsum.unwrap_or(d.q6k_plain_xsum),
        q6k_xsum: args.q6k_xsum.unwrap_or(d.q6k_xsum),
        q6k_pipeline,
        stream_q6_k,
        stream_blocks_per_sm: args.stream_blocks_per_sm.unwrap_or(d.stream_blocks_per_sm),
        fused_blocks_per_sm: args.fused_blocks_per_sm.unwrap_or(d.fused_blocks_per_sm),
        attn_rope: !args.separate_rope,
        attn_split_len: args.attn_split_len.unwrap_or(d.attn_split_len),
        norm_by_producer: !args.norm_launches,
        glu_in_matvec: !args.swiglu_launch,
        split_q8_0: args.split_q8.unwrap_or(d.split_q8_0),
        split_q6_k: args.split_q6.unwrap_or(d.split_q6_k),
        spread_blocks_per_sm: args.spread_blocks_per_sm.unwrap_or(d.spread_blocks_per_sm),
        q6k_xsum_max_blocks_per_sm: args
            .q6k_xsum_max_blocks_per_sm
            .unwrap_or(d.q6k_xsum_max_blocks_per_sm),
        spread_all: args.spread_all.unwrap_or(d.spread_all),
        ..d
    })
}

pub fn run_gpu(args: &Args, kind: BackendKind) -> Result<(), Error> {
    let path = model_path(&args.model, args.synthetic)?;
    let t0 = Instant::now();
    let opened = kernlab::gpu::open(kind)?;
    let note = opened.note.clone();
    let src_cfg = kernlab::models::ModelConfig::from_gguf(&kernlab::gguf::GgufFile::open(&path)?)?;
    let prompt = match &args.prompt_tokens {
        Some(s) => parse_prompt(s)?,
        None => vec![src_cfg.bos_token.unwrap_or(0)],
    };
    if let Some(&bad) = prompt.iter().find(|&&t| t as usize >= src_cfg.n_vocab) {
        return Err(Error::Usage(format!(
            "--prompt-tokens: token id {bad} is outside the vocabulary (n_vocab {})",
            src_cfg.n_vocab
        )));
    }
    let total = prompt.len() + args.tokens;
    // One more position than the run for the profile step; whole attention splits.
    let max_ctx = (total + 1).next_multiple_of(256).min(src_cfg.n_ctx_train);
    if total + 1 > max_ctx {
        return Err(Error::Usage(format!(
            "{} prompt + {} generated positions exceed the model's context of {}",
            prompt.len(),
            args.tokens,
            src_cfg.n_ctx_train
        )));
    }
    let options = PlanOptions {
        max_ctx,
        ..plan_options(
            args,
            PlanOptions::tuned_for(opened.backend.replay_launches_early()),
        )?
    };
    let mut dec = GpuDecoder::load(opened.backend, &path, options)?;
    if args.timeline && dec.backend.info().backend != "nv" {
        // Said before the run, not after it.
        return Err(Error::Unsupported(format!(
            "decode --timeline: only the nv backend records when each grid of a replay completes (a CUDA graph's nodes have no such time without a profiler); this is {}",
            dec.backend.info().backend
        )));
    }
    let c = dec.plan.config.clone();
    eprintln!(
        "kernlab decode: {note}; {} loaded in {:.2} s ({} layers, {} launches per token, {:.1} MB weights, KV cache {} positions)",
        path.display(),
        t0.elapsed().as_secs_f64(),
        c.n_layer,
        dec.plan.n_launches(),
        dec.plan.weights.total_b as f64 / 1e6,
        max_ctx
    );

    let mut dump = LogitsDump::open(&args.dump_logits)?;
    let mut write_row = |_: usize, row: &[f32]| dump.row(row);

    let mut check_json = Json::Null;
    let mut check_failed = None;
    if args.check_against_cpu {
        let mut cpu = CpuModel::load(&path, cpu_threads(args))?;
        let r = check_against_cpu(&mut dec, &mut cpu, &prompt, args.tokens, &mut write_row)?;
        let line = r.summary();
        println!("check against cpu: {line}");
        let ok = r.passed(CHECK_REL_TOL);
        check_json = check_report_json(&r);
        if !ok {
            check_failed = Some(line);
        }
    } else if args.dump_logits.is_some() {
        // A separate untimed pass: one download per position.
        for pos in 0..total {
            if pos < prompt.len() {
                dec.set_input(pos, prompt[pos])?;
            }
            dec.step()?;
            let row = dec.logits()?;
            write_row(pos, &row)?;
        }
    }
    if dump.finish()? {
        eprintln!(
            "logits: {} ({total} positions x {} vocab, f32 LE)",
            dump.name, c.n_vocab
        );
    }

    let (ceiling_gbps, ceiling_src) = match args.ceiling_gbps {
        Some(g) if g > 0.0 && g.is_finite() => (g, "--ceiling-gbps".to_string()),
        Some(g) => {
            return Err(Error::Usage(format!(
                "--ceiling-gbps {g}: expected a positive number of GB/s"
            )))
        }
        None => {
            let g = measure_copy_gbps(dec.backend.as_mut())?;
            eprintln!("bandwidth ceiling: measured {g:.1} GB/s (1 GB copy_v4 on this backend, read + write, best of 5); --ceiling-gbps X to give it");
            (g, "measured: 1 GB copy_v4, best of 5".to_string())
        }
    };

    if args.tokens_per_replay == 0 {
        return Err(Error::Usage(
            "--tokens-per-replay 0: expected at least 1".into(),
        ));
    }
    let run = dec.run_timed_chained(&prompt, args.tokens, args.tokens_per_replay)?;
    // --profile and --timeline run one more step at position `total` on the last token.
    let last = run
        .generated
        .last()
        .copied()
        .unwrap_or(prompt[prompt.len() - 1]);
    let profile = if args.profile {
        Some(dec.profile(total, last)?)
    } else {
        None
    };
    let timeline = if args.timeline {
        dec.time_grids()?;
        Some(dec.timeline(total, last, TIMELINE_RUNS)?)
    } else {
        None
    };
    // The timed tokens see contexts P+1 .. P+N: bytes at the middle one.
    let mid_ctx = (prompt.len() + args.tokens / 2 + 1) as u64;
    let bytes = dec.plan.dram_bytes_at(mid_ctx);
    let ctx = Ctx {
        args,
        note: &note,
        model: &path,
        bytes,
        mid_ctx,
        ceiling_gbps,
        ceiling_src: &ceiling_src,
        launches: dec.plan.n_launches(),
        info: dec.backend.info().name.clone(),
        driver: dec.backend.info().driver.clone(),
        backend_name: dec.backend.info().backend,
    };
    if args.json {
        let mut j = report_json(&run, &ctx);
        j = j.set("check_against_cpu", check_json);
        if let Some(p) = &profile {
            j = j.set("profile", profile_json(p));
        }
        if let Some(t) = &timeline {
            j = j.set("timeline", profile_json(t));
        }
        println!("{}", j.to_string_pretty());
    } else {
        print_table(&run, &ctx);
        if let Some(p) = &profile {
            print_profile(
                p,
                "profile  one token, each launch timed alone (slowest first)",
            );
        }
        if let Some(t) = &timeline {
            print_profile(
                t,
                &format!("timeline one token in one replay, each launch from the previous grid's end to its own (median of {TIMELINE_RUNS} replays; launch order)"),
            );
        }
    }
    match check_failed {
        Some(line) => Err(Error::Check(format!(
            "GPU logits differ from the CPU reference: {line}"
        ))),
        None => Ok(()),
    }
}

/// Relative logit error the check accepts (f16 KV cache and f32 accumulation order).
pub(super) const CHECK_REL_TOL: f32 = 2e-2;

/// The check's figures for --json (the GPU check's and its CPU prediction's).
pub(super) fn check_report_json(r: &CheckReport) -> Json {
    Json::obj()
        .set("positions", r.positions)
        .set("max_abs_err", r.max_abs_err as f64)
        .set("max_rel_err", r.max_rel_err as f64)
        .set("argmax_agree", r.argmax_agree)
        .set("argmax_total", r.argmax_total)
        .set("near_ties", r.near_ties)
        .set("rel_tol", CHECK_REL_TOL as f64)
        .set("passed", r.passed(CHECK_REL_TOL))
}

struct Ctx<'a> {
    args: &'a Args,
    note: &'a str,
    model: &'a std::path::Path,
    bytes: u64,
    mid_ctx: u64,
    ceiling_gbps: f64,
    ceiling_src: &'a str,
    launches: usize,
    info: String,
    driver: String,
    /// The backend that ran ("cuda" or "nv", also under --backend auto).
    backend_name: &'static str,
}

/// GB/s of the best of 5 timed 1 GB copies with copy_v4 (read + write counted).
fn measure_copy_gbps(b: &mut dyn Backend) -> Result<f64, Error> {
    use kernlab::bench::kernels::{stream_blocks, STREAM_THREADS};
    let k = b.load(&kernlab::ptx::registry::copy_variant("plain")?)?;
    let src = b.alloc(CEILING_COPY_B)?;
    let dst = b.alloc(CEILING_COPY_B)?;
    let n16 = CEILING_COPY_B / 16;
    let blocks = stream_blocks(n16, b.info().sm_count, None);
    let l = Launch::linear(
        k,
        blocks,
        STREAM_THREADS,
        vec![Arg::Buf(dst), Arg::Buf(src), Arg::U64(n16)],
    );
    b.memset_u32(src, 1)?;
    b.launch(&l)?;
    b.clear_marks();
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let m0 = b.mark()?;
        b.launch(&l)?;
        let m1 = b.mark()?;
        best = best.min(b.elapsed_ns(m0, m1)?);
    }
    b.clear_marks();
    b.free(dst)?;
    b.free(src)?;
    Ok(2.0 * CEILING_COPY_B as f64 / best)
}

/// The per-token times after warm-up: the first WARMUP_TOKENS tokens, or with tokens chained
/// k per replay the whole first group (which holds them).
fn timed(run: &TimedRun) -> &[f64] {
    let skip = WARMUP_TOKENS.max(if run.tokens_per_replay > 1 {
        run.tokens_per_replay
    } else {
        0
    });
    if run.gen_ns.len() > skip {
        &run.gen_ns[skip..]
    } else {
        &run.gen_ns
    }
}

fn print_table(run: &TimedRun, c: &Ctx) {
    println!("model    {}", c.model.display());
    println!(
        "backend  {}; {} launches per token, {} token(s) per replay, threads-per-row {}",
        c.note, c.launches, run.tokens_per_replay, c.args.threads_per_row
    );
    println!(
        "prefill  {} tokens: {:.2} tok/s (one step per position, host-fed)",
        run.prompt.len(),
        run.prompt.len() as f64 / (run.prompt_ns * 1e-9)
    );
    let t = timed(run);
    if t.is_empty() {
        println!("decode   0 tokens");
    } else {
        let s = summarize(t);
        let gbps = c.bytes as f64 / s.median;
        println!(
            "decode   {} tokens: {:.2} tok/s (median {:.3} ms/token, p10 {:.3}, p90 {:.3}; {} timed after {} warm-up)",
            run.generated.len(),
            1e9 / s.median,
            s.median / 1e6,
            s.p10 / 1e6,
            s.p90 / 1e6,
            s.n,
            run.gen_ns.len() - s.n
        );
        println!(
            "bytes    {:.1} MB per token (weights + f16 KV at context {}): {:.1} GB/s = {:.1} % of {:.1} GB/s ({})",
            c.bytes as f64 / 1e6,
            c.mid_ctx,
            gbps,
            100.0 * gbps / c.ceiling_gbps,
            c.ceiling_gbps,
            c.ceiling_src
        );
        let (mem_ns, over_ns) = memory_and_overhead_ns(c, s.median);
        println!(
            "time     {:.3} ms memory (the bytes at the ceiling) + {:.3} ms fixed overhead per token ({:.2} us per launch over {} launches: launch gaps and latency-bound kernels)",
            mem_ns / 1e6,
            over_ns / 1e6,
            over_ns / 1e3 / c.launches.max(1) as f64,
            c.launches
        );
    }
    let ids: Vec<String> = run.generated.iter().map(|t| t.to_string()).collect();
    println!("generated {}", ids.join(","));
}

/// A token's time split into what its bytes need at the bandwidth ceiling and the rest: the
/// fixed per-token overhead (launch gaps, latency-bound small kernels, tails).
fn memory_and_overhead_ns(c: &Ctx, median_ns: f64) -> (f64, f64) {
    let mem_ns = c.bytes as f64 / c.ceiling_gbps;
    (mem_ns, median_ns - mem_ns)
}

fn report_json(run: &TimedRun, c: &Ctx) -> Json {
    let samples = timed(run).to_vec();
    let s = summarize(&samples);
    let num = kernlab::bench::report::finite;
    let gbps = c.bytes as f64 / s.median;
    let (mem_ns, over_ns) = memory_and_overhead_ns(c, s.median);
    let name = c
        .model
        .file_name()
        .map_or(String::new(), |n| n.to_string_lossy().into_owned());
    let size = std::fs::metadata(c.model).map_or(0, |m| m.len());
    kernlab::bench::report::decode_record(
        &name,
        size,
        run.prompt.len(),
        run.generated.len(),
        &samples,
        c.backend_name,
        &c.info,
        &c.driver,
    )
    .set("threads_per_row", c.args.threads_per_row)
    .set("launches_per_token", c.launches)
    .set("tokens_per_replay", run.tokens_per_replay)
    .set("bytes_per_token", c.bytes)
    .set("bytes_context", c.mid_ctx)
    .set("tok_s", num(1e9 / s.median))
    .set("gbps", num(gbps))
    .set("ceiling_gbps", c.ceiling_gbps)
    .set("ceiling_source", c.ceiling_src.to_string())
    .set("pct_of_peak", num(100.0 * gbps / c.ceiling_gbps))
    .set("memory_ms", num(mem_ns / 1e6))
    .set("overhead_ms", num(over_ns / 1e6))
    .set(
        "prompt_tokens",
        run.prompt.iter().map(|&t| t as u64).collect::<Vec<u64>>(),
    )
    .set(
        "generated_tokens",
        run.generated
            .iter()
            .map(|&t| t as u64)
            .collect::<Vec<u64>>(),
    )
}

/// Replays behind each `--timeline` median.
const TIMELINE_RUNS: usize = 32;

fn print_profile(p: &[KernelTime], title: &str) {
    let total: f64 = p.iter().map(|k| k.elapsed_ns).sum();
    println!("{title}: {:.3} ms in {} launches", total / 1e6, p.len());
    // Per kernel entry first (where the time goes), then every launch.
    let mut by_entry: Vec<(&str, usize, f64, u64)> = Vec::new();
    for k in p {
        match by_entry.iter_mut().find(|e| e.0 == k.entry) {
            Some(e) => {
                e.1 += 1;
                e.2 += k.elapsed_ns;
                e.3 += k.bytes;
            }
            None => by_entry.push((k.entry, 1, k.elapsed_ns, k.bytes)),
        }
    }
    by_entry.sort_by(|a, b| b.2.total_cmp(&a.2));
    println!(
        "{:<20} {:>6} {:>10} {:>6} {:>13} {:>8}",
        "kernel", "calls", "us", "%", "bytes", "GB/s"
    );
    for (entry, calls, ns, bytes) in &by_entry {
        println!(
            "{:<20} {:>6} {:>10.2} {:>6.2} {:>13} {:>8.1}",
            entry,
            calls,
            ns / 1e3,
            100.0 * ns / total,
            bytes,
            *bytes as f64 / ns
        );
    }
    println!();
    println!(
        "{:<28} {:<20} {:>9} {:>6} {:>11} {:>8}",
        "launch", "kernel", "us", "%", "bytes", "GB/s"
    );
    for k in p {
        println!(
            "{:<28} {:<20} {:>9.2} {:>6.2} {:>11} {:>8.1}",
            k.label,
            k.entry,
            k.elapsed_ns / 1e3,
            100.0 * k.elapsed_ns / total,
            k.bytes,
            k.bytes as f64 / k.elapsed_ns
        );
    }
}

fn profile_json(p: &[KernelTime]) -> Json {
    let total: f64 = p.iter().map(|k| k.elapsed_ns).sum();
    let rows: Vec<Json> = p
        .iter()
        .map(|k| {
            Json::obj()
                .set("launch", k.label.clone())
                .set("kernel", k.entry.to_string())
                .set("ns", k.elapsed_ns)
                .set("pct", 100.0 * k.elapsed_ns / total)
                .set("bytes", k.bytes)
                .set("gbps", k.bytes as f64 / k.elapsed_ns)
        })
        .collect();
    Json::obj().set("total_ns", total).set("launches", rows)
}

/// `--plan`: the launch list of one step, from the registry spec (no file needed) or the file.
pub fn print_plan(args: &Args) -> Result<(), Error> {
    use kernlab::engine::{DecodePlan, WeightsLayout};
    let (config, layout) = match kernlab::models::find(&args.model) {
        Some(spec) => (spec.config(), WeightsLayout::from_spec(spec)?),
        None => {
            let path = model_path(&args.model, false)?;
            let src = kernlab::gguf::GgufFile::open(&path)?;
            kernlab::engine::decode::layout_of(&src)?
        }
    };
    // No GPU is opened: the defaults of the backend named, nv taken as replaying with pdl (as
    // on Hopper; wfi elsewhere).
    let early = matches!(args.backend, super::super::BackendFlag::Nv);
    let options = plan_options(args, PlanOptions::tuned_for(early))?;
    let plan = DecodePlan::build(&config, &layout, options)?;
    println!(
        "{:>4} {:<44} {:<18} {:>16} {:>6} {:>12} {:>10}",
        "#", "launch", "kernel", "grid", "block", "weight B", "blocks/SM"
    );
    for (i, l) in plan.launches.iter().enumerate() {
        let grid = format!("{}x{}x{}", l.grid[0], l.grid[1], l.grid[2]);
        println!(
            "{:>4} {:<44} {:<18} {:>16} {:>6} {:>12} {:>10}",
            i,
            l.label,
            l.kernel.entry,
            grid,
            l.block[0],
            l.weight_b,
            match l.max_blocks_per_sm {
                0 => "-".to_string(),
                n => format!("<= {n}"),
            }
        );
    }
    let kv_per_pos = plan.dram_bytes_at(1) - plan.dram_bytes_at(0);
    println!(
        "{} launches per token ({} layers); weights read per token {} B; + {} B of f16 K/V per position of context; KV cache {} positions; threads-per-row {}{}; defaults for {}",
        plan.n_launches(),
        config.n_layer,
        plan.weight_bytes(),
        kv_per_pos,
        plan.options.max_ctx,
        plan.options.threads_per_row,
        if plan.options.fuse_matvecs { "" } else { "; unfused" },
        if early {
            "grids launched early (nv's pdl replay)"
        } else {
            "grids launched in order (cuda's graph)"
        }
    );
    Ok(())
}
