//! `kernlab info` end to end: the built binary on a writer-made file (every value type, 13
//! tensors), on a real vocab file, and on bad files; its --json compared with gguf-py's view.

#[path = "../../tests/gguf_util/mod.rs"]
mod gguf_util;

use gguf_util::py::gguf_py_dump;
use gguf_util::{full_writer, repo_root, tmp_path};
use kernlab::json::Json;
use std::path::Path;
use std::process::Command;

fn kernlab_info(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kernlab"))
        .arg("info")
        .args(args)
        .output()
        .expect("run kernlab");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn info_json(path: &Path) -> Json {
    let (rc, out, err) = kernlab_info(&["--json", path.to_str().unwrap()]);
    assert_eq!(rc, 0, "stderr: {err}");
    Json::parse(&out).expect("info --json is JSON")
}

/// gguf_dump.py's exact value (ints as strings, long arrays as {count, elem}) against info's
/// JSON value (numbers, long arrays as "[N strings]").
fn same_value(py: &Json, cli: &Json) -> bool {
    match (py, cli) {
        (Json::Str(s), Json::Num(x)) => s.parse::<f64>().map(|v| v == *x).unwrap_or(false),
        (Json::Obj(_), Json::Str(summary)) => {
            let count = py.get("count").and_then(Json::as_f64).unwrap_or(-1.0);
            let what = match py.get("elem").and_then(Json::as_str) {
                Some("str") => "strings",
                Some("arr") => "arrays",
                Some(t) => t,
                None => "?",
            };
            *summary == format!("[{count} {what}]")
        }
        (Json::Arr(a), Json::Arr(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_value(x, y))
        }
        _ => py == cli,
    }
}

fn compare_with_gguf_py(path: &Path) -> bool {
    let cli = info_json(path);
    let Some(py) = gguf_py_dump(&repo_root(), path, Some(16)) else {
        return false;
    };
    for k in ["version", "alignment", "data_offset"] {
        assert_eq!(cli.get(k), py.get(k), "{k}");
    }
    let Some(Json::Obj(meta)) = cli.get("metadata") else {
        panic!("metadata object")
    };
    let py_meta = py.get("metadata").unwrap().as_arr().unwrap();
    assert_eq!(meta.len(), py_meta.len(), "metadata count");
    for (entry, (k, v)) in py_meta.iter().zip(meta) {
        assert_eq!(entry.get("key").and_then(Json::as_str), Some(k.as_str()));
        assert!(
            same_value(entry.get("value").unwrap(), v),
            "{k}: gguf-py {:?} vs info {v:?}",
            entry.get("value")
        );
    }
    let tensors = cli.get("tensors").unwrap().as_arr().unwrap();
    let py_tensors = py.get("tensors").unwrap().as_arr().unwrap();
    assert_eq!(tensors.len(), py_tensors.len());
    let mut total = 0.0;
    for (t, p) in tensors.iter().zip(py_tensors) {
        for k in ["name", "type", "dims", "offset", "size_b"] {
            assert!(
                same_value(p.get(k).unwrap(), t.get(k).unwrap()),
                "{k} of {:?}",
                t.get("name")
            );
        }
        total += t.get("size_b").unwrap().as_f64().unwrap();
    }
    assert_eq!(cli.get("data_bytes").and_then(Json::as_f64), Some(total));
    let by_type: f64 = cli
        .get("totals_by_type")
        .unwrap()
        .as_arr()
        .unwrap()
        .iter()
        .map(|x| x.get("size_b").unwrap().as_f64().unwrap())
        .sum();
    assert_eq!(by_type, total);
    true
}

#[test]
fn info_json_matches_gguf_py_on_writer_file() {
    let p = tmp_path("info_cli.gguf");
    full_writer(Some(64)).write(&p).unwrap();
    compare_with_gguf_py(&p);
    let cli = info_json(&p);
    assert_eq!(cli.get("tensors").unwrap().as_arr().unwrap().len(), 13);
    assert_eq!(
        cli.get("architecture").and_then(Json::as_str),
        Some("llama")
    );
}

#[test]
fn info_text_table() {
    let p = tmp_path("info_text.gguf");
    full_writer(None).write(&p).unwrap();
    let (rc, out, err) = kernlab_info(&[p.to_str().unwrap()]);
    assert_eq!(rc, 0, "{err}");
    assert!(out.contains("architecture: llama"), "{out}");
    assert!(out.contains("llama.block_count"));
    assert!(out.contains("tokenizer: (none)"));
    assert!(
        out.contains("blk.0.ffn_down.weight Q6_K  [256, 3]"),
        "{out}"
    );
    let total: u64 = gguf_util::test_tensors()
        .iter()
        .map(|(_, dims, ty)| ty.bytes_for(dims.iter().product()).unwrap())
        .sum();
    assert!(out.contains(&format!("total: {total} bytes")), "{out}");
}

#[test]
fn info_on_real_vocab_summarises_arrays() {
    let p = repo_root().join("../shared/data/vocab/ggml-vocab-qwen2.gguf");
    if !p.exists() {
        println!("note: {} is absent; skipping", p.display());
        return;
    }
    let (rc, out, _) = kernlab_info(&[p.to_str().unwrap()]);
    assert_eq!(rc, 0);
    assert!(out.contains("tokenizer: model gpt2, pre qwen2, 151936 tokens, 151387 merges, bos 151643, eos 151643"), "{out}");
    assert!(out.contains("[151936 strings]"));
    assert!(out.len() < 10_000, "never the whole token list");
    compare_with_gguf_py(&p);
}

#[test]
fn info_on_bad_files_fails_with_the_error() {
    let p = tmp_path("info_bad.gguf");
    let mut bytes = std::fs::read({
        let good = tmp_path("info_good.gguf");
        full_writer(None).write(&good).unwrap();
        good
    })
    .unwrap();
    bytes.truncate(100);
    std::fs::write(&p, &bytes).unwrap();
    let (rc, out, err) = kernlab_info(&[p.to_str().unwrap()]);
    assert_ne!(rc, 0);
    assert!(out.is_empty());
    assert!(err.contains("info_bad.gguf: bad GGUF at offset"), "{err}");
    let (rc, _, err) = kernlab_info(&["/nonexistent/x.gguf"]);
    assert_ne!(rc, 0);
    assert!(err.contains("/nonexistent/x.gguf"), "{err}");
}
