//! Layer 1: the driver entry points kernlab uses, as a hand-written table of C function pointers
//! resolved once with dlopen/dlsym. Where the driver exports a versioned symbol (`_v2`), the
//! table names it, as cuda.h's `#define`s do (CUDA 13 headers).

use crate::CudaError;
use std::ffi::{c_char, c_int, c_uint, c_void, CStr, CString};
use std::sync::OnceLock;

pub type CUresult = c_int;
pub type CUdevice = c_int;
pub type CUdeviceptr = u64;
pub type CUcontext = *mut c_void;
pub type CUmodule = *mut c_void;
pub type CUfunction = *mut c_void;
pub type CUstream = *mut c_void;
pub type CUevent = *mut c_void;
pub type CUgraph = *mut c_void;
pub type CUgraphExec = *mut c_void;
pub type CUlinkState = *mut c_void;

/// cuda.h `CUDA_SUCCESS`.
pub const CUDA_SUCCESS: CUresult = 0;
/// cuda.h `CUDA_ERROR_NOT_READY`: a query found work still running.
pub const CUDA_ERROR_NOT_READY: CUresult = 600;
/// cuda.h `CU_STREAM_NON_BLOCKING`.
pub const CU_STREAM_NON_BLOCKING: c_uint = 0x1;
/// cuda.h `CU_EVENT_DEFAULT` (timing enabled).
pub const CU_EVENT_DEFAULT: c_uint = 0x0;
/// cuda.h `CU_STREAM_CAPTURE_MODE_THREAD_LOCAL`.
pub const CU_STREAM_CAPTURE_MODE_THREAD_LOCAL: c_int = 1;
/// cuda.h `CU_JIT_INPUT_PTX` (CUjitInputType).
pub const CU_JIT_INPUT_PTX: c_int = 1;
/// cuda.h CUjit_option values used with cuLinkCreate.
pub const CU_JIT_INFO_LOG_BUFFER: c_int = 3;
pub const CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES: c_int = 4;
pub const CU_JIT_ERROR_LOG_BUFFER: c_int = 5;
pub const CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES: c_int = 6;
pub const CU_JIT_LOG_VERBOSE: c_int = 12;

/// cuda.h CUdevice_attribute values kernlab reads.
pub mod device_attr {
    pub const CLOCK_RATE: i32 = 13;
    pub const MULTIPROCESSOR_COUNT: i32 = 16;
    pub const L2_CACHE_SIZE: i32 = 38;
    pub const COMPUTE_CAPABILITY_MAJOR: i32 = 75;
    pub const COMPUTE_CAPABILITY_MINOR: i32 = 76;
    pub const MAX_SHARED_MEMORY_PER_MULTIPROCESSOR: i32 = 81;
    pub const MAX_SHARED_MEMORY_PER_BLOCK_OPTIN: i32 = 97;
    pub const RESERVED_SHARED_MEMORY_PER_BLOCK: i32 = 111;
}

/// cuda.h CUfunction_attribute values kernlab reads or sets.
pub mod func_attr {
    pub const MAX_THREADS_PER_BLOCK: i32 = 0;
    pub const SHARED_SIZE_BYTES: i32 = 1;
    pub const LOCAL_SIZE_BYTES: i32 = 3;
    pub const NUM_REGS: i32 = 4;
    pub const MAX_DYNAMIC_SHARED_SIZE_BYTES: i32 = 8;
    pub const PREFERRED_SHARED_MEMORY_CARVEOUT: i32 = 9;
}

/// The shared object the driver ships as (the only name kernlab opens).
pub const LIBCUDA: &str = "libcuda.so.1";

macro_rules! driver_table {
    ($( $field:ident : $sym:literal $(| $alt:literal)? => fn($($arg:ty),*) ; )*) => {
        /// Every driver entry point kernlab calls, resolved from libcuda.so.1.
        #[allow(non_snake_case)]
        pub struct Driver {
            $( pub $field: unsafe extern "C" fn($($arg),*) -> CUresult, )*
        }

        impl Driver {
            /// dlopen libcuda.so.1 and dlsym every entry point; any missing one is an error
            /// naming the symbol.
            fn load() -> Result<Driver, CudaError> {
                let lib = open_lib(LIBCUDA)?;
                Ok(Driver {
                    $( $field: unsafe {
                        let found: Result<*mut c_void, CudaError> = sym(lib, $sym)$(.or_else(|_| sym(lib, $alt)))?;
                        std::mem::transmute::<*mut c_void, unsafe extern "C" fn($($arg),*) -> CUresult>(found?)
                    }, )*
                })
            }
        }
    };
}

driver_table! {
    cuInit: "cuInit" => fn(c_uint);
    cuDriverGetVersion: "cuDriverGetVersion" => fn(*mut c_int);
    cuDeviceGet: "cuDeviceGet" => fn(*mut CUdevice, c_int);
    cuDeviceGetCount: "cuDeviceGetCount" => fn(*mut c_int);
    cuDeviceGetName: "cuDeviceGetName" => fn(*mut c_char, c_int, CUdevice);
    cuDeviceGetAttribute: "cuDeviceGetAttribute" => fn(*mut c_int, c_int, CUdevice);
    cuDeviceTotalMem: "cuDeviceTotalMem_v2" => fn(*mut usize, CUdevice);
    cuDevicePrimaryCtxRetain: "cuDevicePrimaryCtxRetain" => fn(*mut CUcontext, CUdevice);
    cuDevicePrimaryCtxRelease: "cuDevicePrimaryCtxRelease_v2" => fn(CUdevice);
    cuCtxSetCurrent: "cuCtxSetCurrent" => fn(CUcontext);
    cuCtxSynchronize: "cuCtxSynchronize" => fn();
    cuMemAlloc: "cuMemAlloc_v2" => fn(*mut CUdeviceptr, usize);
    cuMemFree: "cuMemFree_v2" => fn(CUdeviceptr);
    cuMemcpyHtoD: "cuMemcpyHtoD_v2" => fn(CUdeviceptr, *const c_void, usize);
    cuMemcpyDtoH: "cuMemcpyDtoH_v2" => fn(*mut c_void, CUdeviceptr, usize);
    cuMemcpyDtoD: "cuMemcpyDtoD_v2" => fn(CUdeviceptr, CUdeviceptr, usize);
    cuMemcpyHtoDAsync: "cuMemcpyHtoDAsync_v2" => fn(CUdeviceptr, *const c_void, usize, CUstream);
    cuMemcpyDtoHAsync: "cuMemcpyDtoHAsync_v2" => fn(*mut c_void, CUdeviceptr, usize, CUstream);
    cuMemcpyDtoDAsync: "cuMemcpyDtoDAsync_v2" => fn(CUdeviceptr, CUdeviceptr, usize, CUstream);
    cuMemsetD8: "cuMemsetD8_v2" => fn(CUdeviceptr, u8, usize);
    cuMemsetD32: "cuMemsetD32_v2" => fn(CUdeviceptr, c_uint, usize);
    cuMemsetD32Async: "cuMemsetD32Async" => fn(CUdeviceptr, c_uint, usize, CUstream);
    cuModuleLoadData: "cuModuleLoadData" => fn(*mut CUmodule, *const c_void);
    cuModuleLoadDataEx: "cuModuleLoadDataEx" => fn(*mut CUmodule, *const c_void, c_uint, *mut c_int, *mut *mut c_void);
    cuModuleUnload: "cuModuleUnload" => fn(CUmodule);
    cuModuleGetFunction: "cuModuleGetFunction" => fn(*mut CUfunction, CUmodule, *const c_char);
    cuFuncGetAttribute: "cuFuncGetAttribute" => fn(*mut c_int, c_int, CUfunction);
    cuFuncSetAttribute: "cuFuncSetAttribute" => fn(CUfunction, c_int, c_int);
    cuLaunchKernel: "cuLaunchKernel" => fn(CUfunction, c_uint, c_uint, c_uint, c_uint, c_uint, c_uint, c_uint, CUstream, *mut *mut c_void, *mut *mut c_void);
    cuStreamCreate: "cuStreamCreate" => fn(*mut CUstream, c_uint);
    cuStreamDestroy: "cuStreamDestroy_v2" => fn(CUstream);
    cuStreamSynchronize: "cuStreamSynchronize" => fn(CUstream);
    cuStreamQuery: "cuStreamQuery" => fn(CUstream);
    cuEventCreate: "cuEventCreate" => fn(*mut CUevent, c_uint);
    cuEventRecord: "cuEventRecord" => fn(CUevent, CUstream);
    cuEventQuery: "cuEventQuery" => fn(CUevent);
    cuEventSynchronize: "cuEventSynchronize" => fn(CUevent);
    cuEventElapsedTime: "cuEventElapsedTime_v2" | "cuEventElapsedTime" => fn(*mut f32, CUevent, CUevent);
    cuEventDestroy: "cuEventDestroy_v2" => fn(CUevent);
    cuStreamBeginCapture: "cuStreamBeginCapture_v2" => fn(CUstream, c_int);
    cuStreamEndCapture: "cuStreamEndCapture" => fn(CUstream, *mut CUgraph);
    cuGraphInstantiateWithFlags: "cuGraphInstantiateWithFlags" => fn(*mut CUgraphExec, CUgraph, u64);
    cuGraphLaunch: "cuGraphLaunch" => fn(CUgraphExec, CUstream);
    cuGraphExecDestroy: "cuGraphExecDestroy" => fn(CUgraphExec);
    cuGraphDestroy: "cuGraphDestroy" => fn(CUgraph);
    cuLinkCreate: "cuLinkCreate_v2" => fn(c_uint, *mut c_int, *mut *mut c_void, *mut CUlinkState);
    cuLinkAddData: "cuLinkAddData_v2" => fn(CUlinkState, c_int, *mut c_void, usize, *const c_char, c_uint, *mut c_int, *mut *mut c_void);
    cuLinkComplete: "cuLinkComplete" => fn(CUlinkState, *mut *mut c_void, *mut usize);
    cuLinkDestroy: "cuLinkDestroy" => fn(CUlinkState);
    cuGetErrorName: "cuGetErrorName" => fn(CUresult, *mut *const c_char);
    cuGetErrorString: "cuGetErrorString" => fn(CUresult, *mut *const c_char);
}

/// A library handle from dlopen (kept open for the life of the process).
#[derive(Clone, Copy)]
pub struct LibHandle(*mut c_void);

fn dlerror_text() -> String {
    // SAFETY: dlerror returns a thread-local C string or null.
    let e = unsafe { libc::dlerror() };
    if e.is_null() {
        "unknown dlopen error".to_string()
    } else {
        unsafe { CStr::from_ptr(e) }.to_string_lossy().into_owned()
    }
}

/// dlopen a shared object by name; a missing library is a `CudaError` naming it.
pub fn open_lib(name: &str) -> Result<LibHandle, CudaError> {
    let c = CString::new(name).map_err(|_| CudaError::loader("dlopen", name, "name has a NUL"))?;
    // SAFETY: plain dlopen of a NUL-terminated name.
    let h = unsafe { libc::dlopen(c.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    if h.is_null() {
        return Err(CudaError::loader("dlopen", name, &dlerror_text()));
    }
    Ok(LibHandle(h))
}

/// dlsym one symbol; a missing one is a `CudaError` naming it.
pub fn sym(lib: LibHandle, name: &str) -> Result<*mut c_void, CudaError> {
    let c = CString::new(name).map_err(|_| CudaError::loader("dlsym", name, "name has a NUL"))?;
    // SAFETY: dlsym on a handle dlopen returned.
    let p = unsafe { libc::dlsym(lib.0, c.as_ptr()) };
    if p.is_null() {
        return Err(CudaError::loader("dlsym", name, &dlerror_text()));
    }
    Ok(p)
}

static DRIVER: OnceLock<Result<Driver, CudaError>> = OnceLock::new();

/// The driver table, loaded on first use (libcuda.so.1 is opened once per process).
pub fn driver() -> Result<&'static Driver, CudaError> {
    DRIVER
        .get_or_init(Driver::load)
        .as_ref()
        .map_err(Clone::clone)
}
