//! Errors of the command-queue layer. Each names the call that failed and what was expected.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum HcqError {
    /// No usable device node (the message lists what was looked for).
    NoDevice(String),
    /// open() of a device node failed.
    Open { path: String, errno: i32 },
    /// An ioctl returned -1.
    Ioctl { name: &'static str, errno: i32 },
    /// The desktop RM answered with a non-OK NV_STATUS in the parameter struct.
    RmStatus { call: String, status: u32 },
    /// The UVM driver answered with a non-OK rmStatus.
    UvmStatus { call: &'static str, status: u32 },
    /// mmap() failed.
    Mmap { what: String, errno: i32 },
    /// The GPU lacks a class kernlab needs; `found` lists what it reported.
    UnsupportedGpu { what: String, found: Vec<u32> },
    /// A CPU wait on a signal ran out of time.
    Timeout {
        queue: String,
        signal_va: u64,
        want: u64,
        got: u64,
        waited_ms: u64,
        running: String,
    },
    /// The driver reported a channel error (RC / error notifier / Xid); the channel is dead.
    ChannelError {
        queue: String,
        code: u32,
        what: String,
        running: String,
        last_signal: u64,
    },
    /// A cubin could not be loaded.
    Cubin(String),
    /// Out of GPU memory or VA space.
    OutOfMemory { want_b: u64, what: String },
    /// Anything else the caller asked for that this layer cannot do.
    Unsupported(String),
}

pub type Result<T, E = HcqError> = std::result::Result<T, E>;

impl fmt::Display for HcqError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HcqError::NoDevice(m) => write!(f, "no device: {m}"),
            HcqError::Open { path, errno } => write!(f, "open {path}: {}", errno_str(*errno)),
            HcqError::Ioctl { name, errno } => write!(f, "ioctl {name}: {}", errno_str(*errno)),
            HcqError::RmStatus { call, status } => write!(f, "{call}: RM status 0x{status:x}"),
            HcqError::UvmStatus { call, status } => write!(f, "{call}: UVM status 0x{status:x}"),
            HcqError::Mmap { what, errno } => write!(f, "mmap {what}: {}", errno_str(*errno)),
            HcqError::UnsupportedGpu { what, found } => {
                let list: Vec<String> = found.iter().map(|c| format!("0x{c:04x}")).collect();
                write!(f, "unsupported GPU: no {what}; the GPU reports classes [{}]", list.join(", "))
            }
            HcqError::Timeout { queue, signal_va, want, got, waited_ms, running } => write!(
                f,
                "timeout on {queue} queue after {waited_ms} ms: signal at 0x{signal_va:x} is {got}, waited for {want} (running: {running})"
            ),
            HcqError::ChannelError { queue, code, what, running, last_signal } => write!(
                f,
                "{queue} channel error {code} ({what}); last signal value {last_signal}; running: {running}"
            ),
            HcqError::Cubin(m) => write!(f, "cubin: {m}"),
            HcqError::OutOfMemory { want_b, what } => write!(f, "out of memory allocating {want_b} B for {what}"),
            HcqError::Unsupported(m) => write!(f, "unsupported: {m}"),
        }
    }
}

impl std::error::Error for HcqError {}

/// "EINVAL (22): Invalid argument"
pub fn errno_str(errno: i32) -> String {
    let name = nix::errno::Errno::from_raw(errno);
    format!("{name:?} ({errno}): {}", name.desc())
}
