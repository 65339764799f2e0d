//! Every syscall the Tegra interface makes (open, ioctl, mmap, munmap, close) goes through
//! `TegraSys`, so tests can put a recording fake kernel underneath (`fake.rs`). The real one
//! sends ioctls through `crate::ioctl::call` (the one door, which logs them under `--trace`).

use crate::error::{HcqError, Result};
use crate::ioctl;
use bytemuck::Pod;
use std::fmt::Debug;

pub trait TegraSys {
    /// open(path, O_RDWR | O_CLOEXEC) → fd.
    fn open(&mut self, path: &str) -> Result<i32>;
    /// ioctl(fd, req, &mut arg); `name` is the header's name of `req`.
    fn ioctl<T: Pod + Debug>(
        &mut self,
        fd: i32,
        name: &'static str,
        req: u64,
        arg: &mut T,
    ) -> Result<i32>;
    /// ioctl(fd, req, value) for requests that take their argument by value (NVMAP_IOC_FREE).
    fn ioctl_value(&mut self, fd: i32, name: &'static str, req: u64, value: u64) -> Result<i32>;
    /// mmap(NULL, len_b, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0); `what` names it in errors.
    fn mmap(&mut self, fd: i32, len_b: usize, what: &str) -> Result<*mut u8>;
    fn munmap(&mut self, ptr: *mut u8, len_b: usize) -> Result<()>;
    fn close(&mut self, fd: i32);
}

/// The real kernel.
#[derive(Debug, Default)]
pub struct RealSys;

fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

impl TegraSys for RealSys {
    fn open(&mut self, path: &str) -> Result<i32> {
        let c = std::ffi::CString::new(path).map_err(|_| HcqError::Open {
            path: path.to_string(),
            errno: libc::EINVAL,
        })?;
        // SAFETY: `c` is a NUL-terminated path that lives across the call.
        let fd = unsafe { libc::open(c.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
        let errno = if fd < 0 { last_errno() } else { 0 };
        ioctl::trace_line(&format!("open {path} -> fd={fd} errno={errno}"));
        if fd < 0 {
            return Err(HcqError::Open {
                path: path.to_string(),
                errno,
            });
        }
        Ok(fd)
    }

    fn ioctl<T: Pod + Debug>(
        &mut self,
        fd: i32,
        name: &'static str,
        req: u64,
        arg: &mut T,
    ) -> Result<i32> {
        ioctl::call(fd, name, req, arg)
    }

    fn ioctl_value(&mut self, fd: i32, name: &'static str, req: u64, value: u64) -> Result<i32> {
        ioctl::call_value(fd, name, req, value)
    }

    fn mmap(&mut self, fd: i32, len_b: usize, what: &str) -> Result<*mut u8> {
        // SAFETY: a fresh shared mapping chosen by the kernel; nothing else is touched.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len_b,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            let errno = last_errno();
            ioctl::trace_line(&format!("mmap {what} fd={fd} len={len_b} errno={errno}"));
            return Err(HcqError::Mmap {
                what: format!("{what} (fd {fd}, {len_b} B)"),
                errno,
            });
        }
        ioctl::trace_line(&format!("mmap {what} fd={fd} len={len_b} -> {p:p}"));
        Ok(p as *mut u8)
    }

    fn munmap(&mut self, ptr: *mut u8, len_b: usize) -> Result<()> {
        // SAFETY: `ptr`/`len_b` are exactly a mapping this interface made and no longer uses.
        let rc = unsafe { libc::munmap(ptr as *mut libc::c_void, len_b) };
        ioctl::trace_line(&format!("munmap {ptr:p} len={len_b} rc={rc}"));
        if rc != 0 {
            return Err(HcqError::Mmap {
                what: format!("munmap {ptr:p} ({len_b} B)"),
                errno: last_errno(),
            });
        }
        Ok(())
    }

    fn close(&mut self, fd: i32) {
        // SAFETY: closes an fd this interface opened or received from the driver.
        let rc = unsafe { libc::close(fd) };
        ioctl::trace_line(&format!("close fd={fd} rc={rc}"));
    }
}
