//! `kernlab decode`: token-by-token decode of a GGUF model: tok/s, ms/token, GB/s, % of the bandwidth roofline.

use super::*;
use argh::FromArgs;
use kernlab::cpu::{decode_run, CpuModel, DecodeReport};
use kernlab::json::Json;
use kernlab::models::{self, SynthOptions, SynthProgress};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

mod gpu;
mod predict;

/// token-by-token decode of a GGUF model: tok/s, ms/token, GB/s, % of the bandwidth roofline.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "decode")]
pub struct Args {
    /// backend: auto, nv, cuda or cpu (default auto)
    #[argh(option, default = "BackendFlag::Auto")]
    pub backend: BackendFlag,
    /// print JSON (a superset of llama-bench's schema) instead of a table
    #[argh(switch)]
    pub json: bool,
    /// registry name (see `kernlab models`) or a path to a .gguf file
    #[argh(option)]
    pub model: String,
    /// comma-separated prompt token ids (default: the BOS token, or token 0 if the model has none)
    #[argh(option)]
    pub prompt_tokens: Option<String>,
    /// tokens to generate (default 32); each is the argmax of the previous position's logits and is
    /// then processed itself
    #[argh(option, default = "32")]
    pub tokens: usize,
    /// write the logits of every processed position to FILE: f32 little-endian, row-major
    /// (positions x vocab); rows are the prompt positions 0..P-1, then the positions P..P+N-1
    /// where the N generated tokens were processed
    #[argh(option)]
    pub dump_logits: Option<String>,
    /// when the named model is not on disk, make it with random weights first (`kernlab synth`)
    #[argh(switch)]
    pub synthetic: bool,
    /// threads per matvec row on GPU backends (default 32)
    #[argh(option, default = "32")]
    pub threads_per_row: u32,
    /// per-kernel time and bytes for one token
    #[argh(switch)]
    pub profile: bool,
    /// nv: each launch's share of the pipelined step, from the GPU time each grid of the
    /// replay completed (median of 32 replays), in launch order
    #[argh(switch)]
    pub timeline: bool,
    /// CPU threads for the cpu backend and the CPU side of --check-against-cpu (default: all cores)
    #[argh(option)]
    pub threads: Option<usize>,
    /// GPU backends: compare every position's logits and the greedy tokens with the CPU
    /// reference (max abs / relative error, argmax agreement); fails when they differ
    #[argh(switch)]
    pub check_against_cpu: bool,
    /// cpu backend: predict --check-against-cpu of the GPU plan the other flags select (nv's
    /// defaults) without a GPU: every position runs twice on the CPU, exactly and with the
    /// plan's roundings (K/V in f16; with --q4k-dot i8|i16, x as integers per 32 columns in the
    /// Q4_K matvecs), compared as the check compares GPU and CPU; fails where the check would
    #[argh(switch)]
    pub predict_check: bool,
    /// bandwidth ceiling in GB/s for the % column (default: measure a 1 GB copy at start)
    #[argh(option)]
    pub ceiling_gbps: Option<f64>,
    /// GPU backends: one matvec per tensor (by default q|k|v and gate|up of one type are one
    /// matvec each)
    #[argh(switch)]
    pub unfused: bool,
    /// GPU backends: separate rmsnorm and swiglu launches around the warp matvecs instead of
    /// the fused matvecs that normalise x and apply SwiGLU themselves
    #[argh(switch)]
    pub separate_norm: bool,
    /// GPU backends: keep the rmsnorm launches where the plan would fold the norms into the Q6_K
    /// matvecs around them (matvec_q6_k_n: the producer of the residual writes x o norm and its
    /// sum of squares, the consumer scales by 1 / rms; the default where it applies)
    #[argh(switch)]
    pub norm_launches: bool,
    /// GPU backends, with the folded norms: a swiglu launch after the gate|up matvec instead of
    /// SwiGLU inside it (glu mode of matvec_q6_k_n)
    #[argh(switch)]
    pub swiglu_launch: bool,
    /// GPU backends: Q6_K rows through the fused matvec matvec_q6_k_p, rmsnorm and SwiGLU inside
    /// (true), or rmsnorm + matvec_q6_k_w + swiglu launches (false); default: the plan's
    #[argh(option)]
    pub q6k_fused: Option<bool>,
    /// GPU backends: a Q6_K matvec through matvec_q6_k_p only where that saves an rmsnorm
    /// launch (the one unfused matvec after its norm: qwen3-1.7b-q4km's Q6_K attn_v, the LM
    /// head) (true), or not (false); default: the plan's (false)
    #[argh(option)]
    pub q6k_fused_alone: Option<bool>,
    /// GPU backends: a norm group of a fused Q4_K matvec and a Q6_K one (qwen3-1.7b-q4km's q|k
    /// and attn_v) as one launch of the paired kernel matvec_q4k_q6k_f (true), or the rmsnorm
    /// launch and two matvecs (false); default: the plan's (true)
    #[argh(option)]
    pub pair_q6: Option<bool>,
    /// GPU backends: the fused Q4_K matvecs (and the pair's Q4_K part) through matvec_q4_k_x,
    /// which stages the sums of x per 16 columns and skips a sub per weight (true), or
    /// matvec_q4_k_f (false); default: the plan's (true)
    #[argh(option)]
    pub q4k_xsum: Option<bool>,
    /// GPU backends: how the fused Q4_K matvecs take x: f32 (the kernel --q4k-xsum picks), i8
    /// (matvec_q4_k_d: x rounded to int8 per 32 columns, 4 weights a dp4a) or i16
    /// (matvec_q4_k_d16: int16, 2 weights a dp2a); the q|k|v pair follows; default: the plan's
    #[argh(option)]
    pub q4k_dot: Option<String>,
    /// GPU backends: plain Q6_K residual matvecs (qwen3 Q4_K_M's Q6_K ffn_down) through
    /// matvec_q6_k_nx with the norm parts off, where --q6k-xsum-max-blocks-per-sm allows (true),
    /// or matvec_q6_k_w (false); default: the plan's (false)
    #[argh(option)]
    pub q6k_plain_xsum: Option<bool>,
    /// GPU backends: the folded-norm Q6_K matvecs (llama1b-q6k's matvec_q6_k_n launches) through
    /// matvec_q6_k_nx, which starts its fma chains at the sums of x per 8 columns and skips a
    /// sub per weight (true; on nv only where --q6k-xsum-max-blocks-per-sm allows), or
    /// matvec_q6_k_n (false); default: the plan's (true)
    #[argh(option)]
    pub q6k_xsum: Option<bool>,
    /// GPU backends: how the folded-norm Q6_K matvecs keep their weights coming: reg (one chunk
    /// ahead through registers: matvec_q6_k_n / _nx), async (two ahead by cp.async into 3
    /// shared stages per warp: _na / _nxa) or l2 (an L2 prefetch of the warp's rows up front:
    /// _np / _nxp); default: the plan's (reg)
    #[argh(option)]
    pub q6k_pipeline: Option<String>,
    /// GPU backends: matvec launches needing at most N blocks per SM hold at most that many on
    /// any SM (shared memory sized to match), so a grid launched early under nv's pdl replay
    /// spreads over every SM; 0: off; default: the plan's for the backend (4 on nv's pdl
    /// replay, else 0)
    #[argh(option)]
    pub spread_blocks_per_sm: Option<u32>,
    /// GPU backends, with --q6k-xsum true: only folded-norm Q6_K launches needing at most N
    /// blocks per SM take matvec_q6_k_nx, larger grids matvec_q6_k_n; 0: nx everywhere;
    /// default: the plan's for the backend (4 on nv's pdl replay, else 0)
    #[argh(option)]
    pub q6k_xsum_max_blocks_per_sm: Option<u32>,
    /// GPU backends, with a spread: cap every small grid (attention, argmax, elementwise too),
    /// not only the matvecs (true); default: the plan's (false)
    #[argh(option)]
    pub spread_all: Option<bool>,
    /// GPU backends: the residual Q8_0 matvecs (o-proj, ffn_down) of the fused plan through the
    /// split-K matvec_q8_0_k where they have few rows (true), or matvec_q8_0_f (false); default:
    /// the plan's
    #[argh(option)]
    pub split_q8: Option<bool>,
    /// GPU backends: the Q6_K residual matvecs (o-proj, ffn_down) through the split-K
    /// matvec_q6_k_nk where they have few rows (true), or matvec_q6_k_w / matvec_q6_k_n
    /// (false); default: the plan's (false)
    #[argh(option)]
    pub split_q6: Option<bool>,
    /// GPU backends: rope_kv (or qk_norm_rope_kv) then attn_decode, two launches per layer,
    /// instead of the one attn_rope launch that does rope, K/V append and attention
    #[argh(switch)]
    pub separate_rope: bool,
    /// GPU backends: positions per attention split of the fused plan (default 256: contexts up
    /// to 256 take one block per head, no combine)
    #[argh(option)]
    pub attn_split_len: Option<u32>,
    /// GPU backends: the Q6_K warp matvec: s (matvec_q6_k_s: grid-stride, one cp.async pipeline
    /// per warp across its row pairs) or w (matvec_q6_k_w: one row pair per warp); default: the
    /// plan's
    #[argh(option)]
    pub matvec_q6k: Option<String>,
    /// GPU backends: blocks per SM of the grid-stride matvecs (default: the plan's, 4)
    #[argh(option)]
    pub stream_blocks_per_sm: Option<u32>,
    /// GPU backends: the fused Q8_0 / Q4_K matvecs on at most N blocks per SM, each warp walking
    /// several row pairs (0: one row pair per warp); default: the plan's
    #[argh(option)]
    pub fused_blocks_per_sm: Option<u32>,
    /// GPU backends: generated tokens queued K at a time as one replay of K chained steps, with
    /// a timing mark per group (each token gets the group's time / K; the first group is
    /// warm-up). Default 1: one replay and one mark per token
    #[argh(option, default = "1")]
    pub tokens_per_replay: usize,
    /// print the GPU launch plan of one token (kernels, grids, bytes) and exit; needs no GPU
    /// (a registry name needs no file either)
    #[argh(switch)]
    pub plan: bool,
}

pub fn run(args: Args) -> Result<(), Error> {
    if args.plan {
        return gpu::print_plan(&args);
    }
    if args.predict_check && !matches!(args.backend, BackendFlag::Cpu) {
        return Err(Error::Usage(
            "decode --predict-check predicts the GPU check on the CPU: use --backend cpu (--check-against-cpu checks a GPU)"
                .into(),
        ));
    }
    match args.backend {
        BackendFlag::Cpu => run_cpu(&args),
        BackendFlag::Nv | BackendFlag::Cuda => gpu::run_gpu(&args, args.backend.kind()),
        BackendFlag::Auto => match kernlab::gpu::open(kernlab::gpu::BackendKind::Auto) {
            Ok(opened) => {
                drop(opened);
                gpu::run_gpu(&args, kernlab::gpu::BackendKind::Auto)
            }
            Err(e) => {
                eprintln!("kernlab decode: backend auto -> cpu ({e})");
                run_cpu(&args)
            }
        },
    }
}

/// The model file: an existing path or a registry name in the cache; with --synthetic a missing
/// registry model is written first.
/// The file of `model` (registry name or path); with `synthetic`, a missing registry model is
/// written with random weights first.
pub fn model_path(model: &str, synthetic: bool) -> Result<PathBuf, Error> {
    match models::resolve_model(model) {
        Ok(p) => Ok(p),
        Err(Error::ModelMissing { .. }) if synthetic && models::find(model).is_some() => {
            let spec = models::find(model).expect("checked above");
            let path = spec.cache_path();
            eprintln!(
                "kernlab decode: {} is not on disk; writing a RANDOM-weight stand-in to {}",
                spec.name,
                path.display()
            );
            let mut last_mb = u64::MAX;
            let mut progress = |p: SynthProgress| {
                let mb = p.written_b >> 20;
                if mb / 64 == last_mb / 64 && p.tensor != p.n_tensors {
                    return;
                }
                last_mb = mb;
                eprint!(
                    "\r  synth tensor {}/{} {:>6} / {} MB",
                    p.tensor,
                    p.n_tensors,
                    mb,
                    p.total_b >> 20
                );
                let _ = std::io::stderr().flush();
            };
            models::synth_spec(spec, &path, &SynthOptions::default(), &mut progress)?;
            eprintln!();
            Ok(path)
        }
        Err(e) => Err(e),
    }
}

/// `--dump-logits FILE`: f32 little-endian rows, one per processed position (nothing without it).
struct LogitsDump {
    file: Option<std::io::BufWriter<std::fs::File>>,
    name: String,
}

impl LogitsDump {
    fn open(path: &Option<String>) -> Result<LogitsDump, Error> {
        let file = match path {
            Some(p) => Some(std::io::BufWriter::new(
                std::fs::File::create(p).map_err(|e| Error::io(p, e))?,
            )),
            None => None,
        };
        Ok(LogitsDump {
            file,
            name: path.clone().unwrap_or_default(),
        })
    }

    fn row(&mut self, row: &[f32]) -> Result<(), Error> {
        if let Some(w) = self.file.as_mut() {
            let bytes: Vec<u8> = row.iter().flat_map(|v| v.to_le_bytes()).collect();
            w.write_all(&bytes).map_err(|e| Error::io(&self.name, e))?;
        }
        Ok(())
    }

    /// Flushes; whether there is a file.
    fn finish(&mut self) -> Result<bool, Error> {
        match self.file.as_mut() {
            Some(w) => w
                .flush()
                .map(|_| true)
                .map_err(|e| Error::io(&self.name, e)),
            None => Ok(false),
        }
    }
}

/// `--threads`, else every core: the CPU reference's workers.
fn cpu_threads(args: &Args) -> usize {
    args.threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1)
}

fn parse_prompt(s: &str) -> Result<Vec<u32>, Error> {
    s.split(',')
        .map(|t| {
            t.trim().parse::<u32>().map_err(|_| {
                Error::Usage(format!(
                    "--prompt-tokens: '{t}' is not a token id (want e.g. 1,2,3)"
                ))
            })
        })
        .collect()
}

fn run_cpu(args: &Args) -> Result<(), Error> {
    if args.profile || args.timeline {
        return Err(Error::Unsupported(
            "decode --profile and --timeline time GPU kernels; use --backend cuda or nv".into(),
        ));
    }
    if args.check_against_cpu {
        return Err(Error::Usage(
            "decode --check-against-cpu compares a GPU backend with the CPU; use --backend cuda or nv"
                .into(),
        ));
    }
    // --threads-per-row shapes GPU kernels only; the cpu backend splits rows across --threads.
    let _ = args.threads_per_row;
    let threads = cpu_threads(args);
    if args.predict_check {
        return predict::run(args, threads);
    }
    let path = model_path(&args.model, args.synthetic)?;
    let t0 = Instant::now();
    let mut model = CpuModel::load(&path, threads)?;
    let load_s = t0.elapsed().as_secs_f64();
    let c = model.config.clone();
    let prompt = match &args.prompt_tokens {
        Some(s) => parse_prompt(s)?,
        None => vec![c.bos_token.unwrap_or(0)],
    };
    if let Some(&bad) = prompt.iter().find(|&&t| t as usize >= c.n_vocab) {
        return Err(Error::Usage(format!(
            "--prompt-tokens: token id {bad} is outside the vocabulary (n_vocab {})",
            c.n_vocab
        )));
    }
    let total = prompt.len() + args.tokens;
    if total > c.n_ctx_train {
        return Err(Error::Usage(format!(
            "{} prompt + {} generated positions exceed the model's context of {}",
            prompt.len(),
            args.tokens,
            c.n_ctx_train
        )));
    }
    let bytes_per_token = model.weights.bytes_per_token(&c);
    eprintln!(
        "kernlab decode: {} loaded in {load_s:.2} s ({} layers, n_embd {}, vocab {}, {:.1} MB f32 weights), cpu, {threads} threads",
        path.display(),
        c.n_layer,
        c.n_embd,
        c.n_vocab,
        bytes_per_token as f64 / 1e6
    );

    let mut dump = LogitsDump::open(&args.dump_logits)?;
    let started = Instant::now();
    let mut last_print = Instant::now();
    let mut progress = |done: usize, total: usize| {
        // A progress line only for runs long enough to wonder about.
        if started.elapsed().as_secs_f64() > 2.0 && last_print.elapsed().as_secs_f64() > 1.0 {
            last_print = Instant::now();
            let phase = if done <= prompt.len() {
                "prompt"
            } else {
                "generate"
            };
            eprint!("\r  {phase}: position {done}/{total}");
            let _ = std::io::stderr().flush();
        }
    };
    let report = decode_run(
        &mut model,
        &prompt,
        args.tokens,
        dump.file.as_mut().map(|w| w as &mut dyn Write),
        &dump.name,
        &mut progress,
    )?;
    if started.elapsed().as_secs_f64() > 2.0 {
        eprintln!();
    }
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let model_type = format!("{} {name}", c.arch);
    let model_size = std::fs::metadata(&path).map_or(0, |m| m.len());
    if args.json {
        let j = report_json(&report, &model_type, model_size, bytes_per_token, threads);
        println!("{}", j.to_string_pretty());
    } else {
        print_table(&report, &model_type, bytes_per_token, threads);
    }
    if let Some(p) = &args.dump_logits {
        eprintln!(
            "logits: {p} ({total} positions x {} vocab, f32 LE; first {} row(s) the prompt positions, then the {} generated positions)",
            c.n_vocab,
            prompt.len(),
            args.tokens
        );
    }
    Ok(())
}

fn print_table(r: &DecodeReport, model_type: &str, bytes_per_token: u64, threads: usize) {
    println!("model    {model_type}");
    println!(
        "backend  cpu, {threads} threads, {:.1} MB f32 weights read per token",
        bytes_per_token as f64 / 1e6
    );
    println!(
        "prefill  {} tokens: {:.2} tok/s",
        r.prompt.len(),
        r.prefill_tok_s()
    );
    match r.gen_ms() {
        Some(s) => println!(
            "decode   {} tokens: {:.2} tok/s (median {:.3} ms/token, p10 {:.3}, p90 {:.3}; {} timed after {} warm-up), {:.2} GB/s",
            r.generated.len(),
            1e3 / s.median,
            s.median,
            s.p10,
            s.p90,
            s.n,
            r.gen_ns.len() - s.n,
            bytes_per_token as f64 / (s.median * 1e-3) / 1e9
        ),
        None => println!("decode   0 tokens"),
    }
    let ids: Vec<String> = r.generated.iter().map(|t| t.to_string()).collect();
    println!("generated {}", ids.join(","));
}

/// llama-bench's fields (for the decode test: n_prompt = the prompt processed first, n_gen = the
/// generated tokens, samples = per-token times of the timed generated positions) plus kernlab's.
fn report_json(
    r: &DecodeReport,
    model_type: &str,
    model_size: u64,
    bytes_per_token: u64,
    threads: usize,
) -> Json {
    let samples: Vec<f64> = r.timed_gen_ns().iter().map(|&ns| ns as f64).collect();
    let median_ns = kernlab::stats::summarize(&samples).median;
    let gbps = if median_ns.is_finite() && median_ns > 0.0 {
        Json::Num(bytes_per_token as f64 / median_ns)
    } else {
        Json::Null
    };
    let n_gen = r.generated.len();
    kernlab::bench::report::decode_record(
        model_type,
        model_size,
        r.prompt.len(),
        n_gen,
        &samples,
        "cpu",
        "cpu",
        "",
    )
    .set("n_threads", threads)
    .set("gbps", gbps)
    .set("pct_of_peak", Json::Null)
    .set("bytes_per_token", bytes_per_token)
    .set(
        "prefill_tok_s",
        kernlab::bench::report::finite(r.prefill_tok_s()),
    )
    .set(
        "prompt_tokens",
        r.prompt.iter().map(|&t| t as u64).collect::<Vec<u64>>(),
    )
    .set(
        "generated_tokens",
        r.generated.iter().map(|&t| t as u64).collect::<Vec<u64>>(),
    )
}
