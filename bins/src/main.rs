//! The `kernlab` command line: one subcommand per tool of the lab. Each subcommand lives in
//! `cmd/<name>.rs` with its flags and its `run`; errors print as one line and exit non-zero.

mod cmd;

use argh::FromArgs;

/// kernlab: a kernel lab for NVIDIA GPUs (raw command queues, hand-written PTX, quantized LLM decode).
#[derive(FromArgs)]
struct Top {
    /// log every ioctl the NV path makes, decoded (name, fields, result), to FILE (also: env
    /// KERNLAB_TRACE=FILE); send this log when bring-up fails on your machine
    #[argh(option)]
    trace: Option<String>,
    /// kernel interface of the nv backend: auto (tegra if /dev/nvhost-ctrl-gpu or
    /// /dev/nvgpu/igpu0 exists, else rm if /dev/nvidiactl does), rm or tegra
    #[argh(option)]
    iface: Option<String>,
    #[argh(subcommand)]
    cmd: Cmd,
}

#[derive(FromArgs)]
#[argh(subcommand)]
enum Cmd {
    Bw(cmd::bw::Args),
    Matmul(cmd::matmul::Args),
    Latency(cmd::latency::Args),
    Decode(cmd::decode::Args),
    Generate(cmd::generate::Args),
    Prefill(cmd::prefill::Args),
    Scaling(cmd::scaling::Args),
    Precision(cmd::precision::Args),
    Compare(cmd::compare::Args),
    Suite(cmd::suite::Args),
    Selftest(cmd::selftest::Args),
    Doctor(cmd::doctor::Args),
    Ptx(cmd::ptx::Args),
    Synth(cmd::synth::Args),
    Models(cmd::models::Args),
    Info(cmd::info::Args),
}

fn main() {
    let top: Top = argh::from_env();
    if let Some(iface) = &top.iface {
        if let Err(e) = iface.parse::<hcq::select::IfaceChoice>() {
            eprintln!("kernlab: --iface: {e}");
            std::process::exit(1);
        }
        // Read by the nv backend when it opens its interface (also in child processes of `compare`).
        std::env::set_var("KERNLAB_IFACE", iface);
    }
    if let Some(path) = top
        .trace
        .clone()
        .or_else(|| std::env::var("KERNLAB_TRACE").ok())
    {
        match std::fs::File::create(&path) {
            Ok(f) => hcq::ioctl::set_trace(Some(Box::new(std::io::LineWriter::new(f)))),
            Err(e) => {
                eprintln!("kernlab: --trace {path}: {e}");
                std::process::exit(1);
            }
        }
    }
    let result = match top.cmd {
        Cmd::Bw(a) => cmd::bw::run(a),
        Cmd::Matmul(a) => cmd::matmul::run(a),
        Cmd::Latency(a) => cmd::latency::run(a),
        Cmd::Decode(a) => cmd::decode::run(a),
        Cmd::Generate(a) => cmd::generate::run(a),
        Cmd::Prefill(a) => cmd::prefill::run(a),
        Cmd::Scaling(a) => cmd::scaling::run(a),
        Cmd::Precision(a) => cmd::precision::run(a),
        Cmd::Compare(a) => cmd::compare::run(a),
        Cmd::Suite(a) => cmd::suite::run(a),
        Cmd::Selftest(a) => cmd::selftest::run(a),
        Cmd::Doctor(a) => cmd::doctor::run(a),
        Cmd::Ptx(a) => cmd::ptx::run(a),
        Cmd::Synth(a) => cmd::synth::run(a),
        Cmd::Models(a) => cmd::models::run(a),
        Cmd::Info(a) => cmd::info::run(a),
    };
    if let Err(e) = result {
        eprintln!("kernlab: {e}");
        std::process::exit(1);
    }
}
