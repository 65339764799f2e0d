//! gguf-py's view of a file (scripts/gguf_dump.py) and the Rust reader's view in the same
//! shape, for exact comparison. Integers are decimal strings on both sides (u64 precision).

use kernlab::gguf::{GgufFile, Value};
use kernlab::json::Json;
use std::path::Path;
use std::process::Command;

/// Whether python3 with gguf-py and numpy runs here (CI installs them: scripts/ci-setup.sh).
pub fn have_gguf_py() -> bool {
    Command::new("python3")
        .args(["-c", "import gguf, numpy"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Run scripts/gguf_dump.py (under `repo_root`) on `file`; None (with a printed note) when
/// python3 or gguf-py is missing here. CI installs them (scripts/ci-setup.sh).
pub fn gguf_py_dump(repo_root: &Path, file: &Path, max_array: Option<usize>) -> Option<Json> {
    if !have_gguf_py() {
        println!("note: python3 with gguf-py is missing; skipping the gguf-py comparison (pip install gguf numpy)");
        return None;
    }
    let mut cmd = Command::new("python3");
    cmd.arg(repo_root.join("scripts/gguf_dump.py")).arg(file);
    if let Some(n) = max_array {
        cmd.args(["--max-array", &n.to_string()]);
    }
    let out = cmd.output().expect("run gguf_dump.py");
    assert!(
        out.status.success(),
        "gguf_dump.py failed on {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(Json::parse(&String::from_utf8(out.stdout).unwrap()).expect("gguf_dump.py JSON"))
}

/// A value as gguf_dump.py writes it.
pub fn value_view(v: &Value, max_array: Option<usize>) -> Json {
    match v {
        Value::U8(x) => Json::Str(x.to_string()),
        Value::I8(x) => Json::Str(x.to_string()),
        Value::U16(x) => Json::Str(x.to_string()),
        Value::I16(x) => Json::Str(x.to_string()),
        Value::U32(x) => Json::Str(x.to_string()),
        Value::I32(x) => Json::Str(x.to_string()),
        Value::U64(x) => Json::Str(x.to_string()),
        Value::I64(x) => Json::Str(x.to_string()),
        Value::F32(x) => Json::Num(*x as f64),
        Value::F64(x) => Json::Num(*x),
        Value::Bool(b) => Json::Bool(*b),
        Value::Str(s) => Json::Str(s.clone()),
        Value::Arr(a) => match max_array {
            Some(n) if a.len() > n => Json::obj()
                .set("count", a.len())
                .set("elem", a[0].type_name()),
            _ => Json::Arr(a.iter().map(|x| value_view(x, max_array)).collect()),
        },
    }
}

/// The Rust reader's view in gguf_dump.py's shape.
pub fn rust_view(f: &GgufFile, max_array: Option<usize>) -> Json {
    let metadata: Vec<Json> = f
        .metadata
        .iter()
        .map(|(k, v)| {
            Json::obj()
                .set("key", k.as_str())
                .set("type", v.type_name())
                .set("value", value_view(v, max_array))
        })
        .collect();
    let tensors: Vec<Json> = f
        .tensors
        .iter()
        .map(|t| {
            Json::obj()
                .set("name", t.name.as_str())
                .set("type", t.ty.name())
                .set("dims", t.dims.clone())
                .set("offset", t.offset.to_string())
                .set("size_b", t.size_b.to_string())
        })
        .collect();
    Json::obj()
        .set("metadata", Json::Arr(metadata))
        .set("tensors", Json::Arr(tensors))
        .set("version", f.version)
        .set("alignment", f.alignment)
        .set("data_offset", f.data_offset)
}

/// Compare key by key so a mismatch names the key.
pub fn assert_same_view(rust: &Json, py: &Json) {
    for k in ["version", "alignment", "data_offset"] {
        assert_eq!(rust.get(k), py.get(k), "{k}");
    }
    let (rm, pm) = (
        rust.get("metadata").unwrap().as_arr().unwrap(),
        py.get("metadata").unwrap().as_arr().unwrap(),
    );
    assert_eq!(rm.len(), pm.len(), "metadata count");
    for (r, p) in rm.iter().zip(pm) {
        assert_eq!(r, p, "metadata entry {:?}", r.get("key"));
    }
    assert_eq!(rust.get("tensors"), py.get("tensors"), "tensors");
}
