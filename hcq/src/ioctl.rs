//! The single door to the kernel: every ioctl of every interface goes through `call`, which
//! checks the return, and, when tracing is on, logs the call decoded (name, struct fields
//! before and after, result) so a user can send a log that shows where bring-up stopped.

use crate::error::{HcqError, Result};
use std::fmt::Debug;
use std::io::Write;
use std::sync::Mutex;

static TRACE: Mutex<Option<Box<dyn Write + Send>>> = Mutex::new(None);

/// Send the decoded log of every following ioctl to `sink` (None turns tracing off).
pub fn set_trace(sink: Option<Box<dyn Write + Send>>) {
    if let Ok(mut t) = TRACE.lock() {
        *t = sink;
    }
}

pub fn tracing() -> bool {
    TRACE.lock().map(|t| t.is_some()).unwrap_or(false)
}

/// Write one free-form line into the trace (for steps that are not ioctls: open, mmap, doorbell).
pub fn trace_line(line: &str) {
    if let Ok(mut t) = TRACE.lock() {
        if let Some(w) = t.as_mut() {
            let _ = writeln!(w, "{line}");
        }
    }
}

/// ioctl(fd, req, &mut arg). `name` is the header's name for `req`.
pub fn call<T: bytemuck::Pod + Debug>(
    fd: i32,
    name: &'static str,
    req: u64,
    arg: &mut T,
) -> Result<i32> {
    let before = if tracing() {
        Some(format!("{arg:?}"))
    } else {
        None
    };
    // SAFETY: `arg` is a Pod struct of exactly the size encoded in `req` (checked by the uapi tests);
    // the kernel reads and writes only within it.
    let rc = unsafe { libc::ioctl(fd, req as _, arg as *mut T as *mut libc::c_void) };
    let errno = if rc < 0 {
        std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
    } else {
        0
    };
    if let Some(before) = before {
        trace_line(&format!(
            "ioctl {name} fd={fd} req=0x{req:08x} rc={rc}{}\n  in:  {before}\n  out: {arg:?}",
            if rc < 0 {
                format!(" errno={errno}")
            } else {
                String::new()
            }
        ));
    }
    if rc < 0 {
        return Err(HcqError::Ioctl { name, errno });
    }
    Ok(rc)
}

/// ioctl whose argument is a plain integer passed by value (e.g. NVMAP_IOC_FREE takes the handle).
pub fn call_value(fd: i32, name: &'static str, req: u64, value: u64) -> Result<i32> {
    // SAFETY: the request takes its argument by value; no memory is passed.
    let rc = unsafe { libc::ioctl(fd, req as _, value as libc::c_ulong) };
    let errno = if rc < 0 {
        std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
    } else {
        0
    };
    if tracing() {
        trace_line(&format!(
            "ioctl {name} fd={fd} req=0x{req:08x} arg=0x{value:x} rc={rc}"
        ));
    }
    if rc < 0 {
        return Err(HcqError::Ioctl { name, errno });
    }
    Ok(rc)
}

/// Linux asm-generic ioctl number: dir<<30 | size<<16 | type<<8 | nr (dir: 0 none, 1 write, 2 read, 3 both).
pub const fn ioc(dir: u64, ty: u8, nr: u8, size: usize) -> u64 {
    (dir << 30) | ((size as u64 & 0x3fff) << 16) | ((ty as u64) << 8) | nr as u64
}
pub const fn io(ty: u8, nr: u8) -> u64 {
    ioc(0, ty, nr, 0)
}
pub const fn iow(ty: u8, nr: u8, size: usize) -> u64 {
    ioc(1, ty, nr, size)
}
pub const fn ior(ty: u8, nr: u8, size: usize) -> u64 {
    ioc(2, ty, nr, size)
}
pub const fn iowr(ty: u8, nr: u8, size: usize) -> u64 {
    ioc(3, ty, nr, size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_matches_linux() {
        // NV_ESC_RM_CONTROL = _IOWR('F', 0x2A, NVOS54 (32 B)) = 0xC020462A (rm-hcq.md §1.2).
        assert_eq!(iowr(b'F', 0x2a, 32), 0xC020_462A);
        // NVMAP_IOC_ALLOC = _IOW('N', 3, 20 B) = 0x40144E03 (tegra-nvgpu.md §2a).
        assert_eq!(iow(b'N', 3, 20), 0x4014_4E03);
        assert_eq!(io(b'N', 4), 0x0000_4E04);
    }

    #[test]
    fn trace_logs_the_decoded_call() {
        use std::sync::{Arc, Mutex as M};
        #[derive(Clone)]
        struct Sink(Arc<M<Vec<u8>>>);
        impl Write for Sink {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        #[repr(C)]
        #[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
        struct TraceArg {
            handle: u32,
        }
        let sink = Sink(Arc::new(M::new(Vec::new())));
        set_trace(Some(Box::new(sink.clone())));
        let _ = call(
            -1,
            "TRACED_IOCTL",
            iowr(b'F', 2, 4),
            &mut TraceArg { handle: 0x1234 },
        );
        set_trace(None);
        let log = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert!(
            log.contains("TRACED_IOCTL") && log.contains("errno=9"),
            "{log}"
        );
        assert!(log.contains("handle: 4660"), "fields are decoded: {log}");
    }

    #[test]
    fn failed_ioctl_names_the_call() {
        #[repr(C)]
        #[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
        struct Arg {
            x: u32,
        }
        let mut a = Arg { x: 0 };
        let e = call(-1, "TEST_IOCTL", iowr(b'F', 1, 4), &mut a).unwrap_err();
        assert_eq!(
            e,
            HcqError::Ioctl {
                name: "TEST_IOCTL",
                errno: libc::EBADF
            }
        );
        assert!(e.to_string().contains("TEST_IOCTL"));
    }
}
