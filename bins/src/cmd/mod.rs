//! One module per subcommand, plus the flag types they share.

pub mod bw;
pub mod compare;
pub mod decode;
pub mod doctor;
pub mod generate;
pub mod info;
pub mod latency;
pub mod matmul;
pub mod models;
pub mod precision;
pub mod prefill;
pub mod ptx;
pub mod scaling;
pub mod selftest;
pub mod suite;
pub mod synth;

use kernlab::Error;

/// Which path runs the kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendFlag {
    /// nv if it initialises, else cuda, else cpu; says which it chose and why.
    Auto,
    /// Hand-built command queues over kernel ioctls (hcq).
    Nv,
    /// The CUDA driver API through a dlopen'd libcuda.
    Cuda,
    /// The CPU reference.
    Cpu,
}

impl std::str::FromStr for BackendFlag {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(BackendFlag::Auto),
            "nv" => Ok(BackendFlag::Nv),
            "cuda" => Ok(BackendFlag::Cuda),
            "cpu" => Ok(BackendFlag::Cpu),
            _ => Err(format!(
                "unknown backend '{s}' (expected auto, nv, cuda or cpu)"
            )),
        }
    }
}

impl BackendFlag {
    pub fn name(self) -> &'static str {
        match self {
            BackendFlag::Auto => "auto",
            BackendFlag::Nv => "nv",
            BackendFlag::Cuda => "cuda",
            BackendFlag::Cpu => "cpu",
        }
    }
}

impl BackendFlag {
    /// The library's backend kind for this flag.
    pub fn kind(self) -> kernlab::gpu::BackendKind {
        match self {
            BackendFlag::Auto => kernlab::gpu::BackendKind::Auto,
            BackendFlag::Nv => kernlab::gpu::BackendKind::Nv,
            BackendFlag::Cuda => kernlab::gpu::BackendKind::Cuda,
            BackendFlag::Cpu => kernlab::gpu::BackendKind::Cpu,
        }
    }
}

/// Open the backend named by `flag`, telling stderr which one and why.
pub fn open_backend(flag: BackendFlag) -> Result<kernlab::gpu::Opened, Error> {
    let opened = kernlab::gpu::open(flag.kind())?;
    eprintln!("kernlab: {}", opened.note);
    Ok(opened)
}

/// Parse a comma-separated list of positive integers (`--sizes 1,16,64`).
pub fn parse_list(flag: &str, text: &str) -> Result<Vec<u64>, Error> {
    text.split(',')
        .map(|t| {
            t.trim()
                .parse::<u64>()
                .ok()
                .filter(|&v| v > 0)
                .ok_or_else(|| Error::Usage(format!("{flag}: '{t}' is not a positive integer")))
        })
        .collect()
}

/// Print JSON to stdout.
pub fn print_json(j: &kernlab::json::Json) {
    println!("{}", j.to_string_pretty());
}

/// Write JSON to `path`.
pub fn write_json(path: &str, j: &kernlab::json::Json) -> Result<(), Error> {
    std::fs::write(path, j.to_string_pretty() + "\n").map_err(|e| Error::io(path, e))
}

/// The one-line error of a subcommand whose backend is not built yet.
pub fn not_built(what: &str) -> Error {
    Error::Unsupported(format!(
        "{what} is not built yet in this version of kernlab"
    ))
}
