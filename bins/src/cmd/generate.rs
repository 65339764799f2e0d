//! `kernlab generate`: stream text from a prompt with a GGUF model (byte-level BPE tokenizer
//! from the file's metadata; greedy sampling). Runs on the CPU reference decoder; the GPU decode
//! paths are not built yet.

use super::*;
use argh::FromArgs;
use kernlab::cpu::CpuModel;
use kernlab::models::ModelConfig;
use kernlab::tokenizer::BpeTokenizer;
use std::io::Write;

/// stream text from a prompt with a GGUF model (greedy).
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "generate")]
pub struct Args {
    /// backend: auto, nv, cuda or cpu (default auto)
    #[argh(option, default = "BackendFlag::Auto")]
    pub backend: BackendFlag,
    /// print JSON (prompt ids, generated ids, text, tok/s) instead of streaming text
    #[argh(switch)]
    pub json: bool,
    /// registry name or path to a .gguf file
    #[argh(option)]
    pub model: String,
    /// prompt text (special tokens such as <|im_start|> are parsed)
    #[argh(option)]
    pub prompt: String,
    /// tokens to generate (default 64)
    #[argh(option, default = "64")]
    pub tokens: usize,
    /// when the named model is not on disk, make it with random weights first
    #[argh(switch)]
    pub synthetic: bool,
}

pub fn run(args: Args) -> Result<(), Error> {
    let path = super::decode::model_path(&args.model, args.synthetic)?;
    let tok = kernlab::tokenizer::load_from_gguf(&path)?;
    if args.backend != BackendFlag::Cpu {
        match run_gpu(&args, &path, &tok) {
            Err(e) if args.backend == BackendFlag::Auto => {
                eprintln!("kernlab generate: backend auto -> cpu ({e})");
            }
            other => return other,
        }
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut model = CpuModel::load(&path, threads)?;
    let prompt = build_prompt(&model.config, &tok, &args.prompt)?;
    let mut cache = model.new_cache(prompt.len() + args.tokens);
    let mut stream = Stream::start(&args);
    let t0 = std::time::Instant::now();
    let generated = model.generate(&prompt, args.tokens, &mut cache, |step| {
        if step.phase == kernlab::cpu::Phase::Generate {
            stream.push(&tok.token_bytes(step.token));
        }
        Ok(())
    })?;
    report(
        &args,
        "cpu",
        &model.config,
        &tok,
        &prompt,
        &generated,
        t0,
        stream,
    )
}

/// BOS (when the model adds one) and the prompt's tokens, checked against the vocabulary.
fn build_prompt(c: &ModelConfig, tok: &BpeTokenizer, text: &str) -> Result<Vec<u32>, Error> {
    let mut prompt = Vec::new();
    if c.add_bos {
        prompt.extend(c.bos_token);
    }
    prompt.extend(tok.encode(text, true));
    if prompt.is_empty() {
        return Err(Error::Usage(
            "the prompt is empty and the model adds no BOS token".into(),
        ));
    }
    if let Some(&bad) = prompt.iter().find(|&&t| t as usize >= c.n_vocab) {
        return Err(Error::Model(format!(
            "token {bad} is outside the model's vocabulary of {}",
            c.n_vocab
        )));
    }
    Ok(prompt)
}

/// Writes each generated token's text as it comes; holds back a UTF-8 character split across
/// tokens. Silent with --json.
struct Stream {
    on: bool,
    pending: Vec<u8>,
}

impl Stream {
    fn start(args: &Args) -> Stream {
        let mut s = Stream {
            on: !args.json,
            pending: Vec::new(),
        };
        s.push(args.prompt.as_bytes());
        s
    }

    fn push(&mut self, bytes: &[u8]) {
        if !self.on {
            return;
        }
        self.pending.extend_from_slice(bytes);
        let valid = match std::str::from_utf8(&self.pending) {
            Ok(_) => self.pending.len(),
            Err(e) => e.valid_up_to(),
        };
        let mut out = std::io::stdout();
        let _ = out.write_all(&self.pending[..valid]);
        let _ = out.flush();
        self.pending.drain(..valid);
    }
}

#[allow(clippy::too_many_arguments)]
fn report(
    args: &Args,
    backend: &str,
    c: &ModelConfig,
    tok: &BpeTokenizer,
    prompt: &[u32],
    generated: &[u32],
    t0: std::time::Instant,
    stream: Stream,
) -> Result<(), Error> {
    let elapsed_s = t0.elapsed().as_secs_f64();
    if args.json {
        let j = kernlab::json::Json::obj()
            .set("backend", backend)
            .set("prompt_tokens", prompt.to_vec())
            .set("generated_tokens", generated.to_vec())
            .set("text", tok.decode(generated))
            .set("tok_s", (prompt.len() + generated.len()) as f64 / elapsed_s);
        println!("{}", j.to_string_pretty());
        return Ok(());
    }
    let _ = std::io::stdout().write_all(&stream.pending);
    println!();
    let eos_hit = c.eos_token.is_some_and(|e| generated.contains(&e));
    eprintln!(
        "kernlab generate: {} prompt + {} generated tokens in {elapsed_s:.2} s on {backend}{}",
        prompt.len(),
        generated.len(),
        if eos_hit {
            " (the model emitted its end-of-sequence token)"
        } else {
            ""
        }
    );
    Ok(())
}

/// The GPU path: the prompt is fed one position at a time (host-fed steps), then each step's
/// argmax, computed on the GPU, is read back and streamed.
fn run_gpu(args: &Args, path: &std::path::Path, tok: &BpeTokenizer) -> Result<(), Error> {
    use kernlab::engine::GpuDecoder;
    let config = ModelConfig::from_gguf(&kernlab::gguf::GgufFile::open(path)?)?;
    let prompt = build_prompt(&config, tok, &args.prompt)?;
    let max_ctx = (prompt.len() + args.tokens + 1).next_multiple_of(256);
    let (mut gpu, note) = GpuDecoder::open_tuned(args.backend.kind(), path, max_ctx)?;
    eprintln!("kernlab generate: {note}");
    gpu.check_run(&prompt, args.tokens)?;
    let mut stream = Stream::start(args);
    let t0 = std::time::Instant::now();
    let mut next = 0;
    for (pos, &t) in prompt.iter().enumerate() {
        gpu.set_input(pos, t)?;
        gpu.step()?;
        next = gpu.next_token()?;
    }
    let mut generated = Vec::new();
    for i in 0..args.tokens {
        generated.push(next);
        stream.push(&tok.token_bytes(next));
        if i + 1 < args.tokens {
            gpu.set_input(prompt.len() + i, next)?;
            gpu.step()?;
            next = gpu.next_token()?;
        }
    }
    let backend = if args.backend == BackendFlag::Auto {
        "gpu (auto)"
    } else {
        args.backend.name()
    };
    report(args, backend, &config, tok, &prompt, &generated, t0, stream)
}
