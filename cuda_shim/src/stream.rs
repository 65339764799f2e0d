//! Streams and timing events. Waits poll the driver with a deadline, so no wait can hang.

use crate::call;
use crate::sys::{
    driver, CUevent, CUstream, Driver, CUDA_ERROR_NOT_READY, CUDA_SUCCESS, CU_EVENT_DEFAULT,
    CU_STREAM_NON_BLOCKING,
};
use crate::CudaError;
use std::time::{Duration, Instant};

/// Poll `query` until it reports done, an error, or `timeout` passes.
fn poll(
    call: &'static str,
    timeout: Duration,
    mut query: impl FnMut() -> i32,
) -> Result<(), CudaError> {
    let start = Instant::now();
    let mut spins = 0u32;
    loop {
        match query() {
            CUDA_SUCCESS => return Ok(()),
            CUDA_ERROR_NOT_READY => {}
            code => return Err(crate::result::error(call, code)),
        }
        if start.elapsed() > timeout {
            return Err(CudaError {
                call,
                code: CUDA_ERROR_NOT_READY,
                name: "KERNLAB_TIMEOUT".into(),
                text: format!("GPU work not finished after {:?}", timeout),
            });
        }
        // Spin first (latency benchmarks wait microseconds), then give the CPU away.
        spins += 1;
        if spins > 20_000 {
            std::thread::yield_now();
        } else {
            std::hint::spin_loop();
        }
    }
}

/// A non-blocking stream; cuStreamDestroy on Drop.
pub struct Stream {
    d: &'static Driver,
    raw: CUstream,
}

impl Stream {
    pub fn new() -> Result<Stream, CudaError> {
        let d = driver()?;
        let mut raw: CUstream = std::ptr::null_mut();
        call!(d, cuStreamCreate(&mut raw, CU_STREAM_NON_BLOCKING))?;
        Ok(Stream { d, raw })
    }

    pub fn raw(&self) -> CUstream {
        self.raw
    }

    /// Wait for the stream's work, at most `timeout` (polls cuStreamQuery).
    pub fn wait(&self, timeout: Duration) -> Result<(), CudaError> {
        let d = self.d;
        let raw = self.raw;
        // SAFETY: cuStreamQuery on a live stream.
        poll("cuStreamQuery", timeout, || unsafe {
            (d.cuStreamQuery)(raw)
        })
    }

    /// Blocking cuStreamSynchronize (no deadline: prefer `wait`).
    pub fn synchronize(&self) -> Result<(), CudaError> {
        call!(self.d, cuStreamSynchronize(self.raw))
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        // SAFETY: destroys the stream created in new().
        unsafe {
            (self.d.cuStreamDestroy)(self.raw);
        }
    }
}

/// A timing event; cuEventDestroy on Drop.
pub struct Event {
    d: &'static Driver,
    raw: CUevent,
}

impl Event {
    pub fn new() -> Result<Event, CudaError> {
        let d = driver()?;
        let mut raw: CUevent = std::ptr::null_mut();
        call!(d, cuEventCreate(&mut raw, CU_EVENT_DEFAULT))?;
        Ok(Event { d, raw })
    }

    pub fn record(&self, s: &Stream) -> Result<(), CudaError> {
        call!(self.d, cuEventRecord(self.raw, s.raw()))
    }

    /// Wait for the event, at most `timeout` (polls cuEventQuery).
    pub fn wait(&self, timeout: Duration) -> Result<(), CudaError> {
        let d = self.d;
        let raw = self.raw;
        // SAFETY: cuEventQuery on a live event.
        poll("cuEventQuery", timeout, || unsafe { (d.cuEventQuery)(raw) })
    }

    /// Blocking cuEventSynchronize (no deadline: prefer `wait`).
    pub fn synchronize(&self) -> Result<(), CudaError> {
        call!(self.d, cuEventSynchronize(self.raw))
    }

    /// Milliseconds from `start` to `self`, both recorded and complete.
    pub fn elapsed_ms_since(&self, start: &Event) -> Result<f32, CudaError> {
        let mut ms = 0f32;
        call!(self.d, cuEventElapsedTime(&mut ms, start.raw, self.raw))?;
        Ok(ms)
    }
}

impl Drop for Event {
    fn drop(&mut self) {
        // SAFETY: destroys the event created in new().
        unsafe {
            (self.d.cuEventDestroy)(self.raw);
        }
    }
}
