//! `kernlab models`: the model registry: which files are present and how to get the real ones.

use super::*;
use argh::FromArgs;
use kernlab::json::Json;
use kernlab::models::{self, ModelSpec, Presence};
use std::fmt::Write as _;
use std::io::Write as _;

/// the model registry: which files are present and how to get the real ones.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "models")]
pub struct Args {
    /// print JSON instead of a table
    #[argh(switch)]
    pub json: bool,
}

fn presence_word(p: Presence) -> &'static str {
    match p {
        Presence::Absent => "no",
        Presence::Synthetic => "synth",
        Presence::Real => "yes",
        Presence::Unreadable => "bad",
    }
}

fn row_json(s: &ModelSpec) -> Json {
    let path = s.cache_path();
    let presence = s.presence();
    Json::obj()
        .set("name", s.name)
        .set("family", s.family)
        .set("display", s.display)
        .set("arch", s.arch.gguf_name())
        .set("quant", s.ftype.name())
        .set("params", s.n_params())
        .set("tensor_bytes", s.tensor_bytes())
        .set("bytes_per_token", s.bytes_per_token())
        .set(
            "kv_bytes_per_token_f16",
            s.config().kv_bytes_per_token_f16(),
        )
        .set("hf_repo", s.hf_repo)
        .set("hf_file", s.hf_file)
        .set("path", path.display().to_string())
        .set("present", presence != Presence::Absent)
        .set("synthetic", presence == Presence::Synthetic)
        .set("presence", presence_word(presence))
}

pub fn run(args: Args) -> Result<(), Error> {
    let reg = models::registry();
    if args.json {
        let rows: Vec<Json> = reg.iter().map(row_json).collect();
        let out = Json::obj()
            .set("cache_dir", models::cache_dir().display().to_string())
            .set("models", rows);
        return emit(&(out.to_string_pretty() + "\n"));
    }
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{:<18} {:<6} {:<7} {:>8} {:>8} {:>9} {:>8}  file",
        "name", "arch", "quant", "params", "file GB", "GB/token", "present"
    );
    for s in reg {
        let path = s.cache_path();
        let presence = s.presence();
        let present = presence != Presence::Absent;
        let _ = writeln!(
            o,
            "{:<18} {:<6} {:<7} {:>7.3}B {:>8.3} {:>9.3} {:>8}  {}",
            s.name,
            s.arch.gguf_name(),
            s.ftype.name(),
            s.n_params() as f64 / 1e9,
            s.tensor_bytes() as f64 / 1e9,
            s.bytes_per_token() as f64 / 1e9,
            presence_word(presence),
            if present {
                path.display().to_string()
            } else {
                format!("{}/{}", s.hf_repo, s.hf_file)
            }
        );
    }
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "cache: {} (set KERNLAB_MODELS to change it)",
        models::cache_dir().display()
    );
    let _ = writeln!(
        o,
        "real files: download the Hugging Face file above into the cache, e.g."
    );
    let _ = writeln!(
        o,
        "  huggingface-cli download bartowski/Llama-3.2-1B-Instruct-GGUF Llama-3.2-1B-Instruct-Q6_K.gguf --local-dir {}",
        models::cache_dir().display()
    );
    let _ = writeln!(
        o,
        "random-weight stand-ins with the exact shapes and quant types: kernlab synth --model NAME"
    );
    let _ = writeln!(
        o,
        "(present: yes = a real file, synth = random weights from `kernlab synth`, bad = not a readable GGUF)"
    );
    let _ = writeln!(
        o,
        "(file GB = tensor bytes; GB/token = weight bytes read per decoded token at context 0)"
    );
    emit(&o)
}

/// Writes to stdout; a closed pipe (`kernlab models | head`) is not an error.
fn emit(text: &str) -> Result<(), Error> {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::io("stdout", e)),
        _ => Ok(()),
    }
}
