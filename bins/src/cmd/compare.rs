//! `kernlab compare`: run one benchmark on nv and on cuda, each in its own process, and print both with the delta.
//!
//! Each side is `<this exe> <bench> [args...] --backend <nv|cuda> --json`, run one after the
//! other (they would share the GPU) with a wall-clock limit: a crash, a non-zero exit or a hang
//! of one side is reported as that side's failure and the other side still prints. Rows are
//! matched by their `test` field; the delta is (nv - cuda) / cuda in percent of the row's
//! metric (GB/s, GFLOP/s, or median/p99 µs where there is no rate). The child executable can be
//! replaced with $KERNLAB_COMPARE_EXE (the tests use a fake one).

use super::*;
use argh::FromArgs;
use kernlab::bench::table::Table;
use kernlab::json::Json;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// run one benchmark on nv and on cuda, each in its own process, and print both with the delta.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "compare")]
pub struct Args {
    /// print JSON instead of a table
    #[argh(switch)]
    pub json: bool,
    /// wall-clock limit of each side in seconds (default 900)
    #[argh(option, default = "900")]
    pub timeout_s: u64,
    /// the benchmark to compare: bw, matmul, latency or decode
    #[argh(positional)]
    pub bench: String,
    /// extra arguments passed to both runs (--json here is compare's own)
    #[argh(positional, greedy)]
    pub rest: Vec<String>,
}

/// How one side ended.
#[derive(Debug)]
pub struct Side {
    pub backend: &'static str,
    pub records: Option<Vec<Json>>,
    /// Why the side failed (None: it ran and its JSON parsed).
    pub error: Option<String>,
    pub elapsed_s: f64,
}

/// One compared number.
#[derive(Debug, Clone, PartialEq)]
pub struct DeltaRow {
    pub test: String,
    pub metric: &'static str,
    pub nv: Option<f64>,
    pub cuda: Option<f64>,
    /// (nv - cuda) / cuda * 100; None when a side is missing or cuda is 0.
    pub delta_pct: Option<f64>,
}

pub fn run(args: Args) -> Result<(), Error> {
    const BENCHES: [&str; 4] = ["bw", "matmul", "latency", "decode"];
    if !BENCHES.contains(&args.bench.as_str()) {
        return Err(Error::Usage(format!(
            "compare: unknown benchmark '{}' (expected one of {})",
            args.bench,
            BENCHES.join(", ")
        )));
    }
    if args.timeout_s == 0 {
        return Err(Error::Usage("--timeout-s must be at least 1".into()));
    }
    let mut json = args.json;
    let mut rest = Vec::new();
    for a in &args.rest {
        match a.as_str() {
            "--json" => json = true,
            "--backend" => {
                return Err(Error::Usage(
                    "compare sets --backend itself (nv, then cuda)".into(),
                ))
            }
            _ => rest.push(a.clone()),
        }
    }
    let exe = match std::env::var_os("KERNLAB_COMPARE_EXE") {
        Some(p) => std::path::PathBuf::from(p),
        None => std::env::current_exe().map_err(|e| Error::io("current executable", e))?,
    };
    let limit = Duration::from_secs(args.timeout_s);
    let sides: Vec<Side> = ["nv", "cuda"]
        .into_iter()
        .map(|backend| {
            eprintln!("kernlab compare: running {} on {backend}", args.bench);
            let mut cmd = Command::new(&exe);
            cmd.arg(&args.bench)
                .args(&rest)
                .args(["--backend", backend, "--json"]);
            run_side(backend, cmd, limit)
        })
        .collect();
    let rows = delta_rows(
        sides[0].records.as_deref().unwrap_or(&[]),
        sides[1].records.as_deref().unwrap_or(&[]),
    );
    if json {
        print_json(&to_json(&args.bench, &sides, &rows));
    } else {
        println!("{}", render(&args.bench, &sides, &rows));
    }
    let failed: Vec<String> = sides
        .iter()
        .filter_map(|s| s.error.as_ref().map(|e| format!("{}: {e}", s.backend)))
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::Check(format!("compare: {}", failed.join("; "))))
    }
}

/// Run `cmd` with piped output; kill it after `limit`. Its stdout must be a JSON array.
pub fn run_side(backend: &'static str, mut cmd: Command, limit: Duration) -> Side {
    let start = Instant::now();
    let fail = |e: String| Side {
        backend,
        records: None,
        error: Some(e),
        elapsed_s: start.elapsed().as_secs_f64(),
    };
    let mut child = match cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return fail(format!("could not start {:?}: {e}", cmd.get_program())),
    };
    // Readers on their own threads so a chatty child never blocks on a full pipe.
    let reader = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break Ok(st),
            Ok(None) if start.elapsed() >= limit => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(format!(
                    "no result after {} s (killed)",
                    limit.as_secs_f64()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => break Err(format!("wait failed: {e}")),
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    // The child's own stderr (its backend note, errors) goes on to ours, marked.
    for line in stderr.lines() {
        eprintln!("  [{backend}] {line}");
    }
    let last_err = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .to_string();
    let status = match status {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    if !status.success() {
        use std::os::unix::process::ExitStatusExt;
        let how = match (status.code(), status.signal()) {
            (Some(c), _) => format!("exit status {c}"),
            (None, Some(sig)) => format!("killed by signal {sig}"),
            _ => "failed".to_string(),
        };
        return fail(if last_err.is_empty() {
            how
        } else {
            format!("{how}: {last_err}")
        });
    }
    match Json::parse(stdout.trim()) {
        Ok(Json::Arr(a)) => Side {
            backend,
            records: Some(a),
            error: None,
            elapsed_s: start.elapsed().as_secs_f64(),
        },
        Ok(_) => fail("its JSON output is not an array of records".into()),
        Err(e) => fail(format!("its output is not JSON: {e}")),
    }
}

/// The metrics of a record: rates where the record has them (higher is better), else the
/// median and p99 time in µs (lower is better).
fn metrics(r: &Json) -> Vec<(&'static str, f64)> {
    let num = |k: &str| r.get(k).and_then(Json::as_f64);
    if let Some(v) = num("gbps") {
        return vec![("GB/s", v)];
    }
    if let Some(v) = num("gflops") {
        return vec![("GFLOP/s", v)];
    }
    let mut m = Vec::new();
    if let Some(v) = num("median_ns") {
        m.push(("median µs", v / 1e3));
    }
    if let Some(v) = num("p99_ns") {
        m.push(("p99 µs", v / 1e3));
    }
    m
}

/// Rows of both sides matched by `test` (nv's order, then tests only cuda has).
pub fn delta_rows(nv: &[Json], cuda: &[Json]) -> Vec<DeltaRow> {
    let test = |r: &Json| r.get("test").and_then(Json::as_str).map(str::to_string);
    let mut order: Vec<String> = Vec::new();
    for r in nv.iter().chain(cuda) {
        if let Some(t) = test(r) {
            if !order.contains(&t) {
                order.push(t);
            }
        }
    }
    let find = |side: &[Json], t: &str| -> Vec<(&'static str, f64)> {
        side.iter()
            .find(|r| test(r).as_deref() == Some(t))
            .map(metrics)
            .unwrap_or_default()
    };
    let mut rows = Vec::new();
    for t in order {
        let (a, b) = (find(nv, &t), find(cuda, &t));
        let mut names: Vec<&'static str> = a.iter().map(|m| m.0).collect();
        for m in &b {
            if !names.contains(&m.0) {
                names.push(m.0);
            }
        }
        for name in names {
            let get = |s: &[(&'static str, f64)]| s.iter().find(|m| m.0 == name).map(|m| m.1);
            let (nv_v, cuda_v) = (get(&a), get(&b));
            rows.push(DeltaRow {
                test: t.clone(),
                metric: name,
                nv: nv_v,
                cuda: cuda_v,
                delta_pct: delta_pct(nv_v, cuda_v),
            });
        }
    }
    rows
}

/// (nv - cuda) / cuda in percent.
pub fn delta_pct(nv: Option<f64>, cuda: Option<f64>) -> Option<f64> {
    match (nv, cuda) {
        (Some(a), Some(b)) if b != 0.0 && a.is_finite() && b.is_finite() => {
            Some((a - b) / b * 100.0)
        }
        _ => None,
    }
}

fn cell(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.2}")).unwrap_or_else(|| "-".into())
}

fn render(bench: &str, sides: &[Side], rows: &[DeltaRow]) -> String {
    let mut t = Table::new(&["test", "metric", "nv", "cuda", "delta %"]);
    for r in rows {
        t.row(vec![
            r.test.clone(),
            r.metric.to_string(),
            cell(r.nv),
            cell(r.cuda),
            r.delta_pct
                .map(|d| format!("{d:+.1}"))
                .unwrap_or_else(|| "-".into()),
        ]);
    }
    let mut s = format!("compare {bench}: nv vs cuda, delta = (nv - cuda) / cuda\n");
    for side in sides {
        match &side.error {
            None => {
                s += &format!(
                    "  {}: ok, {} records, {:.1} s\n",
                    side.backend,
                    side.records.as_ref().map_or(0, Vec::len),
                    side.elapsed_s
                )
            }
            Some(e) => {
                s += &format!(
                    "  {}: FAILED after {:.1} s: {e}\n",
                    side.backend, side.elapsed_s
                )
            }
        }
    }
    s + "\n" + &t.render()
}

fn to_json(bench: &str, sides: &[Side], rows: &[DeltaRow]) -> Json {
    let opt = |v: Option<f64>| v.map(Json::Num).unwrap_or(Json::Null);
    let mut j = Json::obj().set("bench", bench);
    for side in sides {
        j.insert(
            side.backend,
            Json::obj()
                .set("ok", side.error.is_none())
                .set(
                    "error",
                    side.error.clone().map(Json::Str).unwrap_or(Json::Null),
                )
                .set("elapsed_s", side.elapsed_s),
        );
    }
    j.set(
        "rows",
        Json::Arr(
            rows.iter()
                .map(|r| {
                    Json::obj()
                        .set("test", r.test.as_str())
                        .set("metric", r.metric)
                        .set("nv", opt(r.nv))
                        .set("cuda", opt(r.cuda))
                        .set("delta_pct", opt(r.delta_pct))
                })
                .collect(),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(test: &str, key: &str, v: f64) -> Json {
        Json::obj().set("test", test).set(key, v)
    }

    #[test]
    fn delta_of_rates_and_times() {
        let nv = vec![
            rec("copy 1 GB", "gbps", 2900.0),
            rec("empty", "median_ns", 4000.0),
        ];
        let cuda = vec![
            rec("copy 1 GB", "gbps", 3000.0),
            rec("empty", "median_ns", 10000.0),
        ];
        let rows = delta_rows(&nv, &cuda);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].metric, "GB/s");
        assert!((rows[0].delta_pct.unwrap() - (-3.333_333)).abs() < 1e-3);
        assert_eq!(rows[1].metric, "median µs");
        assert_eq!(rows[1].nv, Some(4.0));
        assert!((rows[1].delta_pct.unwrap() + 60.0).abs() < 1e-9);
    }

    #[test]
    fn missing_side_gives_no_delta() {
        let rows = delta_rows(&[rec("a", "gflops", 5.0)], &[rec("b", "gflops", 7.0)]);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].nv, rows[0].cuda, rows[0].delta_pct),
            (Some(5.0), None, None)
        );
        assert_eq!(
            (rows[1].nv, rows[1].cuda, rows[1].delta_pct),
            (None, Some(7.0), None)
        );
        assert_eq!(delta_pct(Some(1.0), Some(0.0)), None);
    }
}
