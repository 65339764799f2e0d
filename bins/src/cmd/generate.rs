//! `kernlab generate`: stream text from a prompt with a GGUF model (byte-level BPE tokenizer
//! from the file's metadata; greedy sampling). Runs on the CPU reference decoder; the GPU decode
//! paths are not built yet.

use super::*;
use argh::FromArgs;
use kernlab::cpu::CpuModel;
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
    match args.backend {
        BackendFlag::Cpu => {}
        BackendFlag::Auto => eprintln!(
            "kernlab generate: backend auto -> cpu (the GPU decode paths are not built yet)"
        ),
        other => {
            return Err(Error::Unsupported(format!(
                "generate --backend {}: the GPU decode path is not built yet; use --backend cpu",
                other.name()
            )))
        }
    }
    let path = super::decode::model_path(&args.model, args.synthetic)?;
    let tok = kernlab::tokenizer::load_from_gguf(&path)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut model = CpuModel::load(&path, threads)?;
    let c = model.config.clone();
    let mut prompt = Vec::new();
    if c.add_bos {
        prompt.extend(c.bos_token);
    }
    prompt.extend(tok.encode(&args.prompt, true));
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
    let mut cache = model.new_cache(prompt.len() + args.tokens);
    let mut out = std::io::stdout();
    if !args.json {
        let _ = write!(out, "{}", args.prompt);
        let _ = out.flush();
    }
    // Bytes of a UTF-8 character can span tokens: hold back an incomplete tail.
    let mut pending: Vec<u8> = Vec::new();
    let t0 = std::time::Instant::now();
    let generated = model.generate(&prompt, args.tokens, &mut cache, |step| {
        if step.phase == kernlab::cpu::Phase::Generate && !args.json {
            pending.extend(tok.token_bytes(step.token));
            let valid = match std::str::from_utf8(&pending) {
                Ok(_) => pending.len(),
                Err(e) => e.valid_up_to(),
            };
            let _ = out.write_all(&pending[..valid]);
            let _ = out.flush();
            pending.drain(..valid);
        }
        Ok(())
    })?;
    let elapsed_s = t0.elapsed().as_secs_f64();
    let eos_hit = c.eos_token.is_some_and(|e| generated.contains(&e));
    if args.json {
        let j = kernlab::json::Json::obj()
            .set("backend", "cpu")
            .set("prompt_tokens", prompt.clone())
            .set("generated_tokens", generated.clone())
            .set("text", tok.decode(&generated))
            .set("tok_s", (prompt.len() + generated.len()) as f64 / elapsed_s);
        println!("{}", j.to_string_pretty());
    } else {
        let _ = out.write_all(&pending);
        println!();
        eprintln!(
            "kernlab generate: {} prompt + {} generated tokens in {elapsed_s:.2} s on cpu{}",
            prompt.len(),
            generated.len(),
            if eos_hit {
                " (the model emitted its end-of-sequence token)"
            } else {
                ""
            }
        );
    }
    Ok(())
}
