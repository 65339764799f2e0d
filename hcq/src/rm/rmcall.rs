//! Thin typed wrappers over the RM escapes and UVM calls: each checks both the ioctl return
//! and the NV_STATUS / rmStatus the driver writes into the struct, and names the call.

use super::uapi::*;
use crate::error::{HcqError, Result};
use crate::ioctl;
use bytemuck::Pod;
use std::fmt::Debug;

/// One RM client's view of the control node: the fd of /dev/nvidiactl and the root client handle.
#[derive(Debug, Clone, Copy)]
pub struct Rm {
    pub ctl_fd: i32,
    pub client: NvHandle,
}

/// Allocate object `h_class` under `parent` (RM picks the handle).
pub fn alloc_raw(
    ctl_fd: i32,
    client: NvHandle,
    parent: NvHandle,
    h_class: u32,
    params: Option<&mut [u8]>,
) -> Result<NvHandle> {
    let (ptr, size) = match params {
        Some(p) => (p.as_mut_ptr() as u64, p.len() as u32),
        None => (0, 0),
    };
    let mut a = Nvos21 {
        h_root: client,
        h_object_parent: parent,
        h_object_new: 0,
        h_class,
        p_alloc_parms: ptr,
        params_size: size,
        status: 0,
    };
    ioctl::call(ctl_fd, "NV_ESC_RM_ALLOC", NV_ESC_RM_ALLOC_CMD, &mut a)?;
    if a.status != 0 {
        return Err(HcqError::RmStatus {
            call: format!("RM_ALLOC class 0x{h_class:04x} under 0x{parent:x}"),
            status: a.status,
        });
    }
    Ok(a.h_object_new)
}

impl Rm {
    pub fn alloc<P: Pod>(
        &self,
        parent: NvHandle,
        h_class: u32,
        params: Option<&mut P>,
    ) -> Result<NvHandle> {
        alloc_raw(
            self.ctl_fd,
            self.client,
            parent,
            h_class,
            params.map(|p| bytemuck::bytes_of_mut(p)),
        )
    }

    pub fn control<P: Pod + Debug>(
        &self,
        object: NvHandle,
        cmd: u32,
        params: &mut P,
    ) -> Result<()> {
        let bytes = bytemuck::bytes_of_mut(params);
        let mut a = Nvos54 {
            h_client: self.client,
            h_object: object,
            cmd,
            flags: 0,
            params: bytes.as_mut_ptr() as u64,
            params_size: bytes.len() as u32,
            status: 0,
        };
        ioctl::call(
            self.ctl_fd,
            "NV_ESC_RM_CONTROL",
            NV_ESC_RM_CONTROL_CMD,
            &mut a,
        )?;
        if ioctl::tracing() {
            ioctl::trace_line(&format!("  control 0x{cmd:08x} params: {params:?}"));
        }
        if a.status != 0 {
            return Err(HcqError::RmStatus {
                call: format!("RM_CONTROL 0x{cmd:08x} on 0x{object:x}"),
                status: a.status,
            });
        }
        Ok(())
    }

    pub fn free(&self, parent: NvHandle, object: NvHandle) -> Result<()> {
        let mut a = Nvos00 {
            h_root: self.client,
            h_object_parent: parent,
            h_object_old: object,
            status: 0,
        };
        ioctl::call(self.ctl_fd, "NV_ESC_RM_FREE", NV_ESC_RM_FREE_CMD, &mut a)?;
        if a.status != 0 {
            return Err(HcqError::RmStatus {
                call: format!("RM_FREE 0x{object:x} under 0x{parent:x}"),
                status: a.status,
            });
        }
        Ok(())
    }
}

/// A UVM ioctl whose struct ends in `rm_status` (read through `status`).
pub fn uvm_call<P: Pod + Debug>(
    fd: i32,
    name: &'static str,
    req: u64,
    params: &mut P,
    status: impl Fn(&P) -> u32,
) -> Result<()> {
    ioctl::call(fd, name, req, params)?;
    let s = status(params);
    if s != 0 {
        return Err(HcqError::UvmStatus {
            call: name,
            status: s,
        });
    }
    Ok(())
}

/// A NUL-terminated C string inside a fixed byte array.
pub fn c_str(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}
