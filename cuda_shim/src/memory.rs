//! Device memory: an allocation freed on Drop, with synchronous and stream-ordered copies.

use crate::call;
use crate::stream::Stream;
use crate::sys::{driver, CUdeviceptr, Driver};
use crate::CudaError;
use std::ffi::c_void;

/// `size_b` bytes of device memory at `ptr`; cuMemFree on Drop.
pub struct DeviceBuffer {
    d: &'static Driver,
    ptr: CUdeviceptr,
    size_b: usize,
}

impl DeviceBuffer {
    /// cuMemAlloc of `size_b` bytes (at least 1).
    pub fn new(size_b: usize) -> Result<DeviceBuffer, CudaError> {
        let d = driver()?;
        let mut ptr: CUdeviceptr = 0;
        call!(d, cuMemAlloc(&mut ptr, size_b.max(1)))?;
        Ok(DeviceBuffer { d, ptr, size_b })
    }

    pub fn ptr(&self) -> u64 {
        self.ptr
    }

    pub fn size_b(&self) -> usize {
        self.size_b
    }

    fn fits(&self, call: &'static str, offset_b: usize, len_b: usize) -> Result<(), CudaError> {
        match offset_b.checked_add(len_b) {
            Some(end) if end <= self.size_b => Ok(()),
            _ => Err(CudaError::usage(
                call,
                format!(
                    "{len_b} bytes at offset {offset_b} overrun a {}-byte buffer",
                    self.size_b
                ),
            )),
        }
    }

    /// Copy host bytes into the buffer at `offset_b` (synchronous).
    pub fn upload(&self, offset_b: usize, src: &[u8]) -> Result<(), CudaError> {
        self.fits("cuMemcpyHtoD", offset_b, src.len())?;
        call!(
            self.d,
            cuMemcpyHtoD(
                self.ptr + offset_b as u64,
                src.as_ptr() as *const c_void,
                src.len()
            )
        )
    }

    /// Copy from the buffer at `offset_b` into host bytes (synchronous).
    pub fn download(&self, offset_b: usize, dst: &mut [u8]) -> Result<(), CudaError> {
        self.fits("cuMemcpyDtoH", offset_b, dst.len())?;
        call!(
            self.d,
            cuMemcpyDtoH(
                dst.as_mut_ptr() as *mut c_void,
                self.ptr + offset_b as u64,
                dst.len()
            )
        )
    }

    /// Stream-ordered upload; `src` must stay alive until the stream passes this point.
    pub fn upload_async(&self, offset_b: usize, src: &[u8], s: &Stream) -> Result<(), CudaError> {
        self.fits("cuMemcpyHtoDAsync", offset_b, src.len())?;
        call!(
            self.d,
            cuMemcpyHtoDAsync(
                self.ptr + offset_b as u64,
                src.as_ptr() as *const c_void,
                src.len(),
                s.raw()
            )
        )
    }

    /// Stream-ordered download; read `dst` only after the stream has been waited on.
    pub fn download_async(
        &self,
        offset_b: usize,
        dst: &mut [u8],
        s: &Stream,
    ) -> Result<(), CudaError> {
        self.fits("cuMemcpyDtoHAsync", offset_b, dst.len())?;
        call!(
            self.d,
            cuMemcpyDtoHAsync(
                dst.as_mut_ptr() as *mut c_void,
                self.ptr + offset_b as u64,
                dst.len(),
                s.raw()
            )
        )
    }

    /// Fill every byte with `value` (synchronous).
    pub fn memset_d8(&self, value: u8) -> Result<(), CudaError> {
        call!(self.d, cuMemsetD8(self.ptr, value, self.size_b))
    }

    /// Fill the first `count` 32-bit words with `value` (synchronous).
    pub fn memset_d32(&self, value: u32, count: usize) -> Result<(), CudaError> {
        self.fits("cuMemsetD32", 0, count * 4)?;
        call!(self.d, cuMemsetD32(self.ptr, value, count))
    }

    /// Stream-ordered fill of `count` 32-bit words.
    pub fn memset_d32_async(&self, value: u32, count: usize, s: &Stream) -> Result<(), CudaError> {
        self.fits("cuMemsetD32Async", 0, count * 4)?;
        call!(self.d, cuMemsetD32Async(self.ptr, value, count, s.raw()))
    }
}

/// Device-to-device copy of `size_b` bytes between raw device addresses (synchronous).
pub fn copy_dtod(dst: u64, src: u64, size_b: usize) -> Result<(), CudaError> {
    let d = driver()?;
    call!(d, cuMemcpyDtoD(dst, src, size_b))
}

/// Stream-ordered device-to-device copy of `size_b` bytes.
pub fn copy_dtod_async(dst: u64, src: u64, size_b: usize, s: &Stream) -> Result<(), CudaError> {
    let d = driver()?;
    call!(d, cuMemcpyDtoDAsync(dst, src, size_b, s.raw()))
}

impl Drop for DeviceBuffer {
    fn drop(&mut self) {
        // SAFETY: frees the allocation made in new(); errors here cannot be reported.
        unsafe {
            (self.d.cuMemFree)(self.ptr);
        }
    }
}
