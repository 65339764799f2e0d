//! libnvJitLink loaded at run time: the second choice after ptxas. Its entry points carry the
//! library's major version in their exported names (`__nvJitLinkCreate_13_0`), as nvJitLink.h's
//! `#define`s say; both 13 and 12 are tried.

use crate::{Error, Result};
use std::ffi::{c_char, c_void, CString};

type Handle = *mut c_void;
type CreateFn = unsafe extern "C" fn(*mut Handle, u32, *const *const c_char) -> i32;
type AddDataFn = unsafe extern "C" fn(Handle, i32, *const c_void, usize, *const c_char) -> i32;
type CompleteFn = unsafe extern "C" fn(Handle) -> i32;
type SizeFn = unsafe extern "C" fn(Handle, *mut usize) -> i32;
type GetFn = unsafe extern "C" fn(Handle, *mut c_void) -> i32;
type DestroyFn = unsafe extern "C" fn(*mut Handle) -> i32;

/// nvJitLink.h `NVJITLINK_INPUT_PTX`.
const NVJITLINK_INPUT_PTX: i32 = 2;

pub struct NvJitLink {
    major: u32,
    create: CreateFn,
    add_data: AddDataFn,
    complete: CompleteFn,
    cubin_size: SizeFn,
    cubin: GetFn,
    info_size: SizeFn,
    info: GetFn,
    error_size: SizeFn,
    error: GetFn,
    destroy: DestroyFn,
}

/// Open libnvJitLink if it is installed; None otherwise (the toolchain moves on).
pub fn open() -> Option<NvJitLink> {
    for (major, lib) in [(13u32, "libnvJitLink.so.13"), (12, "libnvJitLink.so.12")] {
        let Ok(h) = cuda_shim::sys::open_lib(lib) else {
            continue;
        };
        let s = |name: &str| {
            cuda_shim::sys::sym(h, &format!("__{name}_{major}_0"))
                .or_else(|_| cuda_shim::sys::sym(h, name))
                .ok()
        };
        // SAFETY: each symbol is the nvJitLink entry point of the matching signature.
        unsafe {
            return Some(NvJitLink {
                major,
                create: std::mem::transmute::<*mut c_void, CreateFn>(s("nvJitLinkCreate")?),
                add_data: std::mem::transmute::<*mut c_void, AddDataFn>(s("nvJitLinkAddData")?),
                complete: std::mem::transmute::<*mut c_void, CompleteFn>(s("nvJitLinkComplete")?),
                cubin_size: std::mem::transmute::<*mut c_void, SizeFn>(s(
                    "nvJitLinkGetLinkedCubinSize",
                )?),
                cubin: std::mem::transmute::<*mut c_void, GetFn>(s("nvJitLinkGetLinkedCubin")?),
                info_size: std::mem::transmute::<*mut c_void, SizeFn>(s(
                    "nvJitLinkGetInfoLogSize",
                )?),
                info: std::mem::transmute::<*mut c_void, GetFn>(s("nvJitLinkGetInfoLog")?),
                error_size: std::mem::transmute::<*mut c_void, SizeFn>(s(
                    "nvJitLinkGetErrorLogSize",
                )?),
                error: std::mem::transmute::<*mut c_void, GetFn>(s("nvJitLinkGetErrorLog")?),
                destroy: std::mem::transmute::<*mut c_void, DestroyFn>(s("nvJitLinkDestroy")?),
            });
        }
    }
    None
}

impl NvJitLink {
    pub fn version(&self) -> String {
        format!("{}.x", self.major)
    }

    fn log(&self, h: Handle, size: SizeFn, get: GetFn) -> String {
        let mut n = 0usize;
        // SAFETY: size query then a buffer of that size for the log.
        unsafe {
            if size(h, &mut n) != 0 || n == 0 {
                return String::new();
            }
            let mut buf = vec![0u8; n];
            if get(h, buf.as_mut_ptr() as *mut c_void) != 0 {
                return String::new();
            }
            let end = buf.iter().position(|&c| c == 0).unwrap_or(n);
            String::from_utf8_lossy(&buf[..end]).into_owned()
        }
    }

    /// Link one PTX text for `arch` into a cubin, with the verbose log.
    pub fn link(&self, ptx: &str, arch: &str, name: &str) -> Result<(Vec<u8>, String)> {
        let opts = [format!("-arch={arch}"), "-verbose".to_string()];
        let copts: Vec<CString> = opts
            .iter()
            .map(|o| CString::new(o.as_str()).unwrap_or_default())
            .collect();
        let ptrs: Vec<*const c_char> = copts.iter().map(|c| c.as_ptr()).collect();
        let text = CString::new(ptx).map_err(|_| Error::Ptx(format!("{name}: PTX has a NUL")))?;
        let cname = CString::new(name).unwrap_or_default();
        let mut h: Handle = std::ptr::null_mut();
        // SAFETY: calls in the order nvJitLink documents; the handle is destroyed below.
        unsafe {
            let rc = (self.create)(&mut h, ptrs.len() as u32, ptrs.as_ptr());
            if rc != 0 {
                return Err(Error::Ptx(format!(
                    "nvJitLinkCreate for {name}: error {rc}"
                )));
            }
            let bytes = text.as_bytes_with_nul();
            let mut rc = (self.add_data)(
                h,
                NVJITLINK_INPUT_PTX,
                bytes.as_ptr() as *const c_void,
                bytes.len(),
                cname.as_ptr(),
            );
            if rc == 0 {
                rc = (self.complete)(h);
            }
            let info = self.log(h, self.info_size, self.info);
            let result = if rc != 0 {
                Err(Error::Ptx(format!(
                    "nvJitLink {name} for {arch}: error {rc}: {}",
                    self.log(h, self.error_size, self.error).trim()
                )))
            } else {
                let mut n = 0usize;
                (self.cubin_size)(h, &mut n);
                let mut cubin = vec![0u8; n];
                (self.cubin)(h, cubin.as_mut_ptr() as *mut c_void);
                Ok((cubin, info))
            };
            (self.destroy)(&mut h);
            result
        }
    }
}
