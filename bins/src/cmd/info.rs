//! `kernlab info`: architecture, hyper-parameters, tokenizer and tensor table of a GGUF file.

use super::*;
use argh::FromArgs;
use kernlab::gguf::summary::{totals_by_type, value_json, value_text, SMALL_ARRAY};
use kernlab::gguf::{GgufFile, Value};
use kernlab::json::Json;

/// architecture, hyper-parameters, tokenizer and tensor table of a GGUF file.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "info")]
pub struct Args {
    /// path to a .gguf file
    #[argh(positional)]
    pub file: String,
    /// print JSON instead of a table
    #[argh(switch)]
    pub json: bool,
}

/// Strings longer than this are cut in the table (chat templates run to kilobytes).
const MAX_TEXT_CHARS: usize = 72;

pub fn run(args: Args) -> Result<(), Error> {
    let f = GgufFile::open(&args.file)?;
    if args.json {
        println!("{}", info_json(&f).to_string_pretty());
    } else {
        print!("{}", info_text(&f));
    }
    Ok(())
}

fn info_json(f: &GgufFile) -> Json {
    let mut metadata = Json::obj();
    for (k, v) in &f.metadata {
        metadata.insert(k, value_json(v, SMALL_ARRAY));
    }
    let tensors: Vec<Json> = f
        .tensors
        .iter()
        .map(|t| {
            Json::obj()
                .set("name", t.name.as_str())
                .set("type", t.ty.name())
                .set("dims", t.dims.clone())
                .set("offset", t.offset)
                .set("size_b", t.size_b)
        })
        .collect();
    let total = f.data_bytes();
    let totals: Vec<Json> = totals_by_type(f)
        .iter()
        .map(|x| {
            Json::obj()
                .set("type", x.ty.name())
                .set("count", x.count)
                .set("size_b", x.size_b)
                .set("percent", percent(x.size_b, total))
        })
        .collect();
    Json::obj()
        .set("file", f.path.display().to_string())
        .set("version", f.version)
        .set("alignment", f.alignment)
        .set("data_offset", f.data_offset)
        .set("architecture", f.architecture())
        .set("metadata", metadata)
        .set("tensors", Json::Arr(tensors))
        .set("totals_by_type", Json::Arr(totals))
        .set("data_bytes", total)
}

fn percent(part: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        (part as f64 * 1000.0 / total as f64).round() / 10.0
    }
}

fn info_text(f: &GgufFile) -> String {
    let mut out = String::new();
    let arch = f.architecture().unwrap_or("(none)");
    out += &format!(
        "{}: GGUF v{}, alignment {}, data at byte {}, {} bytes of tensor data\n",
        f.path.display(),
        f.version,
        f.alignment,
        f.data_offset,
        f.data_bytes()
    );
    out += &format!("architecture: {arch}\n");

    let show = |out: &mut String, title: &str, keep: &dyn Fn(&str) -> bool| {
        let rows: Vec<&(String, Value)> = f.metadata.iter().filter(|(k, _)| keep(k)).collect();
        if rows.is_empty() {
            return;
        }
        *out += &format!("{title}:\n");
        let w = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        for (k, v) in rows {
            *out += &format!(
                "  {k:<w$} {:<4} {}\n",
                v.type_name(),
                value_text(v, SMALL_ARRAY, MAX_TEXT_CHARS)
            );
        }
    };
    let arch_prefix = format!("{arch}.");
    show(&mut out, "hyper-parameters", &|k| {
        k.starts_with(&arch_prefix)
    });
    out += &tokenizer_line(f);
    show(&mut out, "general", &|k| k.starts_with("general."));
    show(&mut out, "other keys", &|k| {
        !k.starts_with(&arch_prefix) && !k.starts_with("general.")
    });

    out += &format!("tensors ({}):\n", f.tensors.len());
    let w = f
        .tensors
        .iter()
        .map(|t| t.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    out += &format!(
        "  {:<w$} {:<5} {:<24} {:>12}\n",
        "name", "type", "ne", "bytes"
    );
    for t in &f.tensors {
        out += &format!(
            "  {:<w$} {:<5} {:<24} {:>12}\n",
            t.name,
            t.ty.name(),
            format!("{:?}", t.dims),
            t.size_b
        );
    }
    let total = f.data_bytes();
    out += "totals by type:\n";
    for x in totals_by_type(f) {
        out += &format!(
            "  {:<5} {:>5} tensors {:>14} bytes {:>6.1}%\n",
            x.ty.name(),
            x.count,
            x.size_b,
            percent(x.size_b, total)
        );
    }
    out += &format!("total: {total} bytes ({:.3} GB)\n", total as f64 / 1e9);
    out
}

/// Model, pre-tokenizer, vocab size, merges and special ids in one line (never the token list).
fn tokenizer_line(f: &GgufFile) -> String {
    let Some(model) = f.get_str("tokenizer.ggml.model") else {
        return "tokenizer: (none)\n".to_string();
    };
    let count = |k: &str| f.get(k).and_then(Value::as_arr).map_or(0, |a| a.len());
    let id = |k: &str| f.get_u64(k).map_or("-".to_string(), |x| x.to_string());
    format!(
        "tokenizer: model {model}, pre {}, {} tokens, {} merges, bos {}, eos {}\n",
        f.get_str("tokenizer.ggml.pre").unwrap_or("(none)"),
        count("tokenizer.ggml.tokens"),
        count("tokenizer.ggml.merges"),
        id("tokenizer.ggml.bos_token_id"),
        id("tokenizer.ggml.eos_token_id"),
    )
}
