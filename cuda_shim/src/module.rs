//! Modules (a loaded PTX text or cubin), their kernels, and typed launch parameters.

use crate::call;
use crate::stream::Stream;
use crate::sys::{driver, func_attr, CUfunction, CUmodule, Driver};
use crate::CudaError;
use std::ffi::{c_void, CString};

/// FNV-1a 64 of an image: the key of the module cache and of the disk cubin cache.
pub fn image_hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A loaded module; cuModuleUnload on Drop.
pub struct Module {
    d: &'static Driver,
    raw: CUmodule,
}

// SAFETY: a CUmodule handle may be used from any thread with the context current.
unsafe impl Send for Module {}
unsafe impl Sync for Module {}

impl Module {
    /// cuModuleLoadData of a cubin (ELF) or PTX text (NUL-terminated here if it is not).
    pub fn load(image: &[u8]) -> Result<Module, CudaError> {
        let d = driver()?;
        let owned;
        let bytes: &[u8] = if image.starts_with(b"\x7fELF") || image.last() == Some(&0) {
            image
        } else {
            owned = [image, &[0u8]].concat();
            &owned
        };
        let mut raw: CUmodule = std::ptr::null_mut();
        call!(
            d,
            cuModuleLoadData(&mut raw, bytes.as_ptr() as *const c_void)
        )?;
        Ok(Module { d, raw })
    }

    /// The kernel `name` (its `.entry` name).
    pub fn function(&self, name: &str) -> Result<Function, CudaError> {
        let c = CString::new(name)
            .map_err(|_| CudaError::usage("cuModuleGetFunction", "kernel name has a NUL"))?;
        let mut f: CUfunction = std::ptr::null_mut();
        call!(self.d, cuModuleGetFunction(&mut f, self.raw, c.as_ptr())).map_err(|mut e| {
            e.text = format!("{} (kernel '{name}')", e.text);
            e
        })?;
        Ok(Function {
            d: self.d,
            raw: f,
            name: name.to_string(),
        })
    }
}

impl Drop for Module {
    fn drop(&mut self) {
        // SAFETY: unloads the module loaded in load().
        unsafe {
            (self.d.cuModuleUnload)(self.raw);
        }
    }
}

/// One kernel parameter, packed as the PTX `.param` it matches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KernelArg {
    U32(u32),
    U64(u64),
    F32(f32),
    /// A device address (`.param .u64` in PTX).
    Ptr(u64),
}

impl KernelArg {
    /// The bytes the driver copies into the parameter area.
    fn bytes(&self) -> [u8; 8] {
        let mut b = [0u8; 8];
        match *self {
            KernelArg::U32(v) => b[..4].copy_from_slice(&v.to_le_bytes()),
            KernelArg::F32(v) => b[..4].copy_from_slice(&v.to_le_bytes()),
            KernelArg::U64(v) | KernelArg::Ptr(v) => b.copy_from_slice(&v.to_le_bytes()),
        }
        b
    }
}

/// Launch geometry: grid and block in x, y, z, and dynamic shared memory bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaunchDims {
    pub grid: [u32; 3],
    pub block: [u32; 3],
    pub shared_b: u32,
}

/// A kernel of a loaded module. Valid while its Module lives (the Arc from Context keeps it).
#[derive(Clone)]
pub struct Function {
    d: &'static Driver,
    raw: CUfunction,
    name: String,
}

// SAFETY: a CUfunction handle may be used from any thread with the context current.
unsafe impl Send for Function {}
unsafe impl Sync for Function {}

impl Function {
    pub fn name(&self) -> &str {
        &self.name
    }

    fn attr(&self, a: i32) -> Result<i32, CudaError> {
        let mut v = 0;
        call!(self.d, cuFuncGetAttribute(&mut v, a, self.raw))?;
        Ok(v)
    }

    /// Registers per thread.
    pub fn num_regs(&self) -> Result<i32, CudaError> {
        self.attr(func_attr::NUM_REGS)
    }

    /// Static shared memory bytes.
    pub fn shared_b(&self) -> Result<i32, CudaError> {
        self.attr(func_attr::SHARED_SIZE_BYTES)
    }

    /// Local (spill/stack) bytes per thread.
    pub fn local_b(&self) -> Result<i32, CudaError> {
        self.attr(func_attr::LOCAL_SIZE_BYTES)
    }

    pub fn max_threads_per_block(&self) -> Result<i32, CudaError> {
        self.attr(func_attr::MAX_THREADS_PER_BLOCK)
    }

    /// Allow `bytes` of dynamic shared memory (needed above 48 KiB).
    pub fn set_max_dynamic_shared(&self, bytes: u32) -> Result<(), CudaError> {
        call!(
            self.d,
            cuFuncSetAttribute(
                self.raw,
                func_attr::MAX_DYNAMIC_SHARED_SIZE_BYTES,
                bytes as i32
            )
        )
    }

    /// Ask for the carve-out that gives shared memory `percent` % of the SM's maximum (100: the
    /// largest); the driver rounds to a carve-out the SM has.
    pub fn set_preferred_carveout(&self, percent: u32) -> Result<(), CudaError> {
        call!(
            self.d,
            cuFuncSetAttribute(
                self.raw,
                func_attr::PREFERRED_SHARED_MEMORY_CARVEOUT,
                percent.min(100) as i32
            )
        )
    }

    /// cuLaunchKernel on `stream` with the parameters packed in order.
    pub fn launch(
        &self,
        dims: LaunchDims,
        args: &[KernelArg],
        stream: &Stream,
    ) -> Result<(), CudaError> {
        if dims.grid.contains(&0) || dims.block.contains(&0) {
            return Err(CudaError::usage(
                "cuLaunchKernel",
                format!(
                    "{}: empty launch grid {:?} block {:?}",
                    self.name, dims.grid, dims.block
                ),
            ));
        }
        let mut storage: Vec<[u8; 8]> = args.iter().map(KernelArg::bytes).collect();
        let mut ptrs: Vec<*mut c_void> = storage
            .iter_mut()
            .map(|b| b.as_mut_ptr() as *mut c_void)
            .collect();
        let [gx, gy, gz] = dims.grid;
        let [bx, by, bz] = dims.block;
        call!(
            self.d,
            cuLaunchKernel(
                self.raw,
                gx,
                gy,
                gz,
                bx,
                by,
                bz,
                dims.shared_b,
                stream.raw(),
                ptrs.as_mut_ptr(),
                std::ptr::null_mut()
            )
        )
        .map_err(|mut e| {
            e.text = format!("{} (kernel '{}')", e.text, self.name);
            e
        })
    }
}
