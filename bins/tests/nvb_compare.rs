//! `kernlab compare` end to end with a fake child (KERNLAB_COMPARE_EXE, a shell script): the
//! delta per row, JSON output, and a crashed or hung side reported as failed while the other
//! side still prints.

use kernlab::json::Json;
use std::path::PathBuf;
use std::process::{Command, Output};

/// A fake `kernlab` that answers `<bench> ... --backend B --json` per `mode_nv` / `mode_cuda`:
/// "ok:<gbps>" prints one bw record, "crash" kills itself with SIGSEGV, "hang" sleeps, "exit"
/// exits 3 with a message.
fn fake(tag: &str, mode_nv: &str, mode_cuda: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("kernlab-fake-{}-{tag}.sh", std::process::id()));
    let act = |mode: &str| {
        match mode.split_once(':') {
        Some(("ok", v)) => format!(
            "echo '[{{\"test\": \"copy 1 GB\", \"gbps\": {v}, \"median_ns\": 1000}}, {{\"test\": \"empty\", \"median_ns\": 5000, \"p99_ns\": 9000}}]'"
        ),
        _ => match mode {
            "crash" => "kill -SEGV $$".to_string(),
            "hang" => "exec sleep 30".to_string(),
            _ => "echo 'kernlab: nv: channel error 31' >&2; exit 3".to_string(),
        },
    }
    };
    let script = format!(
        "#!/bin/sh\ncase \"$*\" in\n*\"--backend nv\"*) {} ;;\n*) {} ;;\nesac\n",
        act(mode_nv),
        act(mode_cuda)
    );
    std::fs::write(&p, script).unwrap();
    Command::new("chmod").arg("+x").arg(&p).status().unwrap();
    p
}

fn compare(exe: &PathBuf, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kernlab"))
        .env("KERNLAB_COMPARE_EXE", exe)
        .arg("compare")
        .args(args)
        .output()
        .expect("run kernlab")
}

#[test]
fn delta_per_row_in_table_and_json() {
    let f = fake("ok", "ok:2900", "ok:3000");
    let o = compare(&f, &["bw"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let row = out
        .lines()
        .find(|l| l.starts_with("copy 1 GB"))
        .expect(&out);
    assert!(
        row.contains("2900.00") && row.contains("3000.00") && row.ends_with("-3.3"),
        "{row}"
    );
    let p99 = out
        .lines()
        .find(|l| l.starts_with("empty") && l.contains("p99"))
        .expect(&out);
    assert!(
        p99.contains("9.00") && p99.trim_end().ends_with("+0.0"),
        "{p99}"
    );

    let o = compare(&f, &["--json", "bw", "--", "--sizes", "1024"]);
    let j = Json::parse(String::from_utf8_lossy(&o.stdout).trim()).unwrap();
    assert_eq!(j.get("nv").unwrap().get("ok"), Some(&Json::Bool(true)));
    let rows = j.get("rows").unwrap().as_arr().unwrap();
    let d = rows[0].get("delta_pct").unwrap().as_f64().unwrap();
    assert!((d - (-100.0 / 30.0)).abs() < 1e-9, "{d}");
}

#[test]
fn crashed_side_is_reported_and_the_other_still_prints() {
    let f = fake("crash", "crash", "ok:3000");
    let o = compare(&f, &["bw"]);
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        out.contains("nv: FAILED") && out.contains("killed by signal 11"),
        "{out}"
    );
    assert!(out.contains("cuda: ok, 2 records"), "{out}");
    assert!(out.contains("3000.00"), "{out}");
    assert!(err.contains("compare: nv: killed by signal 11"), "{err}");
}

#[test]
fn hung_side_is_killed_after_the_timeout() {
    let f = fake("hang", "ok:2900", "hang");
    let t = std::time::Instant::now();
    let o = compare(&f, &["--timeout-s", "1", "bw"]);
    assert!(t.elapsed().as_secs() < 10, "took {:?}", t.elapsed());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!o.status.success());
    assert!(
        out.contains("cuda: FAILED") && out.contains("no result after 1 s (killed)"),
        "{out}"
    );
    assert!(out.contains("2900.00"), "{out}");
}

#[test]
fn failing_side_carries_its_last_error_line() {
    let f = fake("exit", "exit", "ok:1");
    let o = compare(&f, &["bw"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("exit status 3: kernlab: nv: channel error 31"),
        "{out}"
    );
}

#[test]
fn usage_errors() {
    let f = fake("usage", "ok:1", "ok:1");
    let o = compare(&f, &["prefill"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown benchmark 'prefill'"));
    let o = compare(&f, &["bw", "--", "--backend", "cuda"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("compare sets --backend itself"));
}
