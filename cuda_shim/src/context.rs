//! The device's primary context, made current on the creating thread, with the facts the
//! benchmarks print (name, SM count, L2, driver version) and a module cache keyed by image hash.

use crate::call;
use crate::memory::DeviceBuffer;
use crate::module::{image_hash, Module};
use crate::sys::{device_attr, driver, CUcontext, CUdevice, Driver};
use crate::CudaError;
use std::collections::HashMap;
use std::ffi::{c_char, c_int, CStr};
use std::sync::{Arc, Mutex};

/// What kernlab reports about a device.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceInfo {
    pub ordinal: i32,
    pub name: String,
    /// Driver version as cuDriverGetVersion gives it (13000 = 13.0).
    pub driver_version: i32,
    pub cc_major: i32,
    pub cc_minor: i32,
    pub sm_count: i32,
    pub l2_b: u64,
    pub total_mem_b: u64,
    pub clock_khz: i32,
    pub smem_optin_b: u64,
    /// Shared memory of one SM at the largest carve-out (233472 B on the H100).
    pub smem_per_sm_b: u64,
    /// Shared memory the driver reserves in every block (1024 B since sm_80).
    pub smem_reserved_b: u64,
}

impl DeviceInfo {
    /// "sm_90" for compute capability 9.0.
    pub fn arch(&self) -> String {
        format!("sm_{}{}", self.cc_major, self.cc_minor)
    }

    /// "13.0" from 13000.
    pub fn driver_text(&self) -> String {
        format!(
            "{}.{}",
            self.driver_version / 1000,
            (self.driver_version % 1000) / 10
        )
    }
}

/// A retained primary context. Release happens on Drop; drop buffers and modules first.
pub struct Context {
    d: &'static Driver,
    device: CUdevice,
    ctx: CUcontext,
    info: DeviceInfo,
    modules: Mutex<HashMap<u64, Arc<Module>>>,
}

impl Context {
    /// cuInit, take device `ordinal`, retain its primary context and make it current.
    pub fn new(ordinal: i32) -> Result<Context, CudaError> {
        let d = driver()?;
        call!(d, cuInit(0))?;
        let mut count: c_int = 0;
        call!(d, cuDeviceGetCount(&mut count))?;
        if ordinal < 0 || ordinal >= count {
            return Err(CudaError::usage(
                "cuDeviceGet",
                format!("device {ordinal} asked for, {count} present"),
            ));
        }
        let mut device: CUdevice = 0;
        call!(d, cuDeviceGet(&mut device, ordinal))?;
        let mut ctx: CUcontext = std::ptr::null_mut();
        call!(d, cuDevicePrimaryCtxRetain(&mut ctx, device))?;
        if let Err(e) = call!(d, cuCtxSetCurrent(ctx)) {
            let _ = call!(d, cuDevicePrimaryCtxRelease(device));
            return Err(e);
        }
        let info = read_info(d, device, ordinal)?;
        Ok(Context {
            d,
            device,
            ctx,
            info,
            modules: Mutex::new(HashMap::new()),
        })
    }

    pub fn info(&self) -> &DeviceInfo {
        &self.info
    }

    /// Make this context current on the calling thread (needed on threads other than the creator).
    pub fn make_current(&self) -> Result<(), CudaError> {
        call!(self.d, cuCtxSetCurrent(self.ctx))
    }

    /// Wait for all work of the context (blocking; prefer Stream::wait with a timeout).
    pub fn synchronize(&self) -> Result<(), CudaError> {
        call!(self.d, cuCtxSynchronize())
    }

    /// Allocate `size_b` bytes of device memory.
    pub fn alloc(&self, size_b: usize) -> Result<DeviceBuffer, CudaError> {
        DeviceBuffer::new(size_b)
    }

    /// Load a PTX text or cubin image, reusing an already loaded module with the same bytes.
    pub fn load_module(&self, image: &[u8]) -> Result<Arc<Module>, CudaError> {
        let key = image_hash(image);
        let mut cache = self
            .modules
            .lock()
            .map_err(|_| CudaError::usage("cuModuleLoadData", "module cache poisoned"))?;
        if let Some(m) = cache.get(&key) {
            return Ok(m.clone());
        }
        let m = Arc::new(Module::load(image)?);
        cache.insert(key, m.clone());
        Ok(m)
    }

    /// How many distinct modules are loaded (the cache's size).
    pub fn modules_loaded(&self) -> usize {
        self.modules.lock().map(|c| c.len()).unwrap_or(0)
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        if let Ok(mut c) = self.modules.lock() {
            c.clear();
        }
        // SAFETY: releases the retain taken in new().
        unsafe {
            (self.d.cuDevicePrimaryCtxRelease)(self.device);
        }
    }
}

fn read_info(d: &'static Driver, device: CUdevice, ordinal: i32) -> Result<DeviceInfo, CudaError> {
    let mut name_buf = [0 as c_char; 256];
    call!(d, cuDeviceGetName(name_buf.as_mut_ptr(), 255, device))?;
    // SAFETY: the driver NUL-terminates within the 255 bytes it was given.
    let name = unsafe { CStr::from_ptr(name_buf.as_ptr()) }
        .to_string_lossy()
        .into_owned();
    let attr = |a: i32| -> Result<i32, CudaError> {
        let mut v: c_int = 0;
        call!(d, cuDeviceGetAttribute(&mut v, a, device))?;
        Ok(v)
    };
    let mut driver_version: c_int = 0;
    call!(d, cuDriverGetVersion(&mut driver_version))?;
    let mut total: usize = 0;
    call!(d, cuDeviceTotalMem(&mut total, device))?;
    Ok(DeviceInfo {
        ordinal,
        name,
        driver_version,
        cc_major: attr(device_attr::COMPUTE_CAPABILITY_MAJOR)?,
        cc_minor: attr(device_attr::COMPUTE_CAPABILITY_MINOR)?,
        sm_count: attr(device_attr::MULTIPROCESSOR_COUNT)?,
        l2_b: attr(device_attr::L2_CACHE_SIZE)? as u64,
        total_mem_b: total as u64,
        clock_khz: attr(device_attr::CLOCK_RATE)?,
        smem_optin_b: attr(device_attr::MAX_SHARED_MEMORY_PER_BLOCK_OPTIN)? as u64,
        smem_per_sm_b: attr(device_attr::MAX_SHARED_MEMORY_PER_MULTIPROCESSOR)? as u64,
        smem_reserved_b: attr(device_attr::RESERVED_SHARED_MEMORY_PER_BLOCK)? as u64,
    })
}
