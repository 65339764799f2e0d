//! `kernlab synth`: write a random-weight GGUF with a registry model's exact shapes, names and quant types.

use super::*;
use argh::FromArgs;
use kernlab::models::{self, SynthOptions, SynthProgress};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// write a random-weight GGUF with a registry model's exact shapes, names and quant types.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "synth")]
pub struct Args {
    /// registry name (see `kernlab models`)
    #[argh(option)]
    pub model: String,
    /// random seed (default 0)
    #[argh(option, default = "0")]
    pub seed: u64,
    /// output path (default: the model's cache path)
    #[argh(option)]
    pub out: Option<String>,
    /// override the number of layers (tiny test models)
    #[argh(option)]
    pub layers: Option<u32>,
    /// worker threads (default: all cores)
    #[argh(option, default = "0")]
    pub threads: usize,
    /// vocab GGUF to copy tokenizer.* keys from (default: llama.cpp's vocab file for the model's
    /// tokenizer in $KERNLAB_VOCAB_DIR, ../shared/data/vocab or /work/shared/data/vocab)
    #[argh(option)]
    pub vocab: Option<String>,
}

pub fn run(args: Args) -> Result<(), Error> {
    let spec = models::find(&args.model).ok_or_else(|| {
        Error::Usage(format!(
            "unknown model '{}' (see `kernlab models` for the registry names)",
            args.model
        ))
    })?;
    let path = match &args.out {
        Some(p) => PathBuf::from(p),
        None => spec.cache_path(),
    };
    let opts = SynthOptions {
        seed: args.seed,
        layers: args.layers.map(|n| n as usize),
        threads: args.threads,
        vocab_gguf: args.vocab.as_ref().map(PathBuf::from),
    };
    eprintln!(
        "kernlab synth: {} ({}) -> {}: RANDOM weights with the real shapes, names and quant types (not a trained model)",
        spec.name,
        spec.display,
        path.display()
    );
    // A terminal gets one updating line every 64 MB; a log gets a line every 512 MB.
    let tty = std::io::stderr().is_terminal();
    let step_mb = if tty { 64 } else { 512 };
    let mut last_mb = u64::MAX;
    let mut last_tensor = 0;
    let mut progress = |p: SynthProgress| {
        let mb = p.written_b >> 20;
        let last = p.tensor == p.n_tensors && last_tensor != p.tensor;
        if mb / step_mb != last_mb / step_mb || last {
            last_mb = mb;
            last_tensor = p.tensor;
            let line = format!(
                "  tensor {}/{} {:<28} {:>6} / {} MB",
                p.tensor,
                p.n_tensors,
                p.name,
                mb,
                p.total_b >> 20
            );
            if tty {
                eprint!("\r{line}");
                let _ = std::io::stderr().flush();
            } else {
                eprintln!("{line}");
            }
        }
    };
    let r = models::synth_spec(spec, &path, &opts, &mut progress)?;
    if tty {
        eprintln!();
    }
    eprintln!("  tokenizer: {}", r.vocab_note);
    let _ = writeln!(
        std::io::stdout(),
        "wrote {} ({} layers, {} tensors, {} tensor bytes, {} file bytes) in {:.2} s on {} threads; weights are random",
        r.path.display(),
        r.n_layer,
        r.n_tensors,
        r.tensor_b,
        r.file_b,
        r.elapsed_s,
        r.threads
    );
    Ok(())
}
