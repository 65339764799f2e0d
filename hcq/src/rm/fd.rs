//! Opening the RM and UVM device nodes, and CPU mappings of RM memory.

use super::rmcall::Rm;
use super::uapi::*;
use crate::error::{HcqError, Result};
use crate::ioctl;
use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

pub const NVIDIACTL: &str = "/dev/nvidiactl";
pub const NVIDIA_UVM: &str = "/dev/nvidia-uvm";

pub fn open_node(path: &str) -> Result<OwnedFd> {
    let c = CString::new(path).map_err(|_| HcqError::Open {
        path: path.into(),
        errno: libc::EINVAL,
    })?;
    // SAFETY: plain open(2) of a NUL-terminated path.
    let fd = unsafe { libc::open(c.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
    if fd < 0 {
        let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        return Err(HcqError::Open {
            path: path.into(),
            errno,
        });
    }
    ioctl::trace_line(&format!("open {path} -> fd {fd}"));
    // SAFETY: fd was just returned by open and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A fresh /dev/nvidiaN fd registered with the control fd (each CPU mapping needs its own fd).
pub fn open_gpu_fd(minor: u32, ctl_fd: i32) -> Result<OwnedFd> {
    let fd = open_node(&format!("/dev/nvidia{minor}"))?;
    let mut reg = NvRegisterFd { ctl_fd };
    ioctl::call(
        fd.as_raw_fd(),
        "NV_ESC_REGISTER_FD",
        NV_ESC_REGISTER_FD_CMD,
        &mut reg,
    )?;
    Ok(fd)
}

/// NV_ESC_RM_MAP_MEMORY on `map_fd`, then mmap it at `target_va` (0: anywhere) for `size_b`.
/// `caching`: an NVOS33_FLAGS_CACHING_TYPE_* value; the driver honours it on a framebuffer (BAR1)
/// mapping and ignores it for system memory (mapped as allocated) and registers (uncached).
pub fn cpu_map(
    rm: &Rm,
    device: NvHandle,
    memory: NvHandle,
    size_b: u64,
    map_fd: i32,
    target_va: u64,
    caching: u32,
) -> Result<*mut u8> {
    let mut a = Nvos33WithFd {
        params: Nvos33 {
            h_client: rm.client,
            h_device: device,
            h_memory: memory,
            length: size_b,
            flags: caching << NVOS33_FLAGS_CACHING_TYPE_SHIFT,
            ..Default::default()
        },
        fd: map_fd,
        _pad0: 0,
    };
    ioctl::call(
        rm.ctl_fd,
        "NV_ESC_RM_MAP_MEMORY",
        NV_ESC_RM_MAP_MEMORY_CMD,
        &mut a,
    )?;
    if a.params.status != 0 {
        return Err(HcqError::RmStatus {
            call: format!("RM_MAP_MEMORY 0x{memory:x} ({size_b} B)"),
            status: a.params.status,
        });
    }
    mmap_fd(
        map_fd,
        size_b,
        target_va,
        &format!("RM memory 0x{memory:x}"),
    )
}

pub fn mmap_fd(fd: i32, size_b: u64, target_va: u64, what: &str) -> Result<*mut u8> {
    let flags = libc::MAP_SHARED
        | if target_va != 0 {
            libc::MAP_FIXED_NOREPLACE
        } else {
            0
        };
    // SAFETY: mapping a device fd; the kernel checks the range; we own the target range (checked by NOREPLACE).
    let p = unsafe {
        libc::mmap(
            target_va as *mut libc::c_void,
            size_b as usize,
            libc::PROT_READ | libc::PROT_WRITE,
            flags,
            fd,
            0,
        )
    };
    mmap_result(p, target_va, size_b, what)
}

/// Anonymous shared pages at exactly `target_va` (host memory the GPU will see through an OS descriptor).
pub fn mmap_anon(size_b: u64, target_va: u64) -> Result<*mut u8> {
    let flags = libc::MAP_SHARED | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE;
    // SAFETY: anonymous mapping at a range NOREPLACE guarantees was free.
    let p = unsafe {
        libc::mmap(
            target_va as *mut libc::c_void,
            size_b as usize,
            libc::PROT_READ | libc::PROT_WRITE,
            flags,
            -1,
            0,
        )
    };
    mmap_result(p, target_va, size_b, "host pages")
}

fn mmap_result(p: *mut libc::c_void, target_va: u64, size_b: u64, what: &str) -> Result<*mut u8> {
    if p == libc::MAP_FAILED {
        let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        return Err(HcqError::Mmap {
            what: format!("{what} ({size_b} B at 0x{target_va:x})"),
            errno,
        });
    }
    if target_va != 0 && p as u64 != target_va {
        // Old kernels ignore MAP_FIXED_NOREPLACE and treat it as a hint.
        // SAFETY: unmapping what we just mapped.
        unsafe { libc::munmap(p, size_b as usize) };
        return Err(HcqError::Mmap {
            what: format!("{what}: wanted 0x{target_va:x}, got {p:?}"),
            errno: libc::EEXIST,
        });
    }
    ioctl::trace_line(&format!("mmap {what}: {size_b} B at {p:?}"));
    Ok(p as *mut u8)
}

pub fn munmap(p: *mut u8, size_b: u64) {
    if !p.is_null() {
        // SAFETY: `p` is a mapping of `size_b` bytes this module created and nobody uses any more.
        unsafe { libc::munmap(p as *mut libc::c_void, size_b as usize) };
    }
}
