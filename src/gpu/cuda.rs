//! The cuda backend: the PTX registry's kernels through libcuda (cuda_shim) on one stream.

use super::backend::{
    capped_cta_shared_b, Arg, Backend, Buf, CapSizing, GpuInfo, KernelId, Launch, Mark, ReplayId,
};
use crate::ptx::{self, KernelSpec};
use crate::{Error, Result};
use cuda_shim::{
    Context, CudaError, DeviceBuffer, Event, Function, Graph, KernelArg, LaunchDims, Linker,
    Module, Stream,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// The longest any wait on the GPU may take before it is reported as a timeout.
pub const WAIT_TIMEOUT: Duration = Duration::from_secs(60);

/// Static shared memory a block may use without opting in (48 KiB).
const DEFAULT_SHARED_LIMIT_B: u32 = 48 * 1024;

pub struct CudaBackend {
    info: GpuInfo,
    /// How a launch's cap on its blocks per SM sizes its shared memory (`KERNLAB_CAP_SHARED`).
    cap_sizing: CapSizing,
    // Field order is drop order: everything that needs the context comes before it.
    graphs: Vec<Graph>,
    events: Vec<Event>,
    marks_used: usize,
    kernels: Vec<(Function, Arc<Module>)>,
    kernel_ids: HashMap<String, KernelId>,
    bufs: HashMap<u64, DeviceBuffer>,
    stream: Stream,
    ctx: Context,
}

impl CudaBackend {
    /// Initialise the driver on device `ordinal` and make one stream.
    pub fn new(ordinal: i32) -> Result<CudaBackend> {
        let ctx = Context::new(ordinal)?;
        let d = ctx.info();
        let info = GpuInfo {
            backend: "cuda",
            name: d.name.clone(),
            arch: d.arch(),
            sm_count: d.sm_count.max(0) as u32,
            l2_b: d.l2_b,
            mem_b: d.total_mem_b,
            driver: d.driver_text(),
        };
        Ok(CudaBackend {
            info,
            cap_sizing: CapSizing::from_env()?,
            graphs: Vec::new(),
            events: Vec::new(),
            marks_used: 0,
            kernels: Vec::new(),
            kernel_ids: HashMap::new(),
            bufs: HashMap::new(),
            stream: Stream::new()?,
            ctx,
        })
    }

    /// The context (for callers that need driver facts the trait does not carry).
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    fn buf(&self, b: Buf, call: &'static str) -> Result<&DeviceBuffer> {
        self.bufs.get(&b.gpu_va).ok_or_else(|| {
            Error::Cuda(CudaError::usage(
                call,
                format!("buffer at 0x{:x} is not allocated here", b.gpu_va),
            ))
        })
    }

    /// The dynamic shared memory `l` asks for, grown to hold the SM to `l.max_blocks_per_sm`
    /// blocks. A capped kernel prefers the largest carve-out, whose size the cap divides (the
    /// carve-out is the driver's choice; the preference is the one lever the API gives).
    fn capped_dynamic_shared_b(&self, f: &Function, l: &Launch) -> Result<u32> {
        if l.max_blocks_per_sm == 0 {
            return Ok(l.shared_b);
        }
        let d = self.ctx.info();
        let static_b = f.shared_b()?.max(0) as u64;
        let fixed_b = static_b + d.smem_reserved_b;
        let cta_b = capped_cta_shared_b(
            fixed_b + l.shared_b as u64,
            d.smem_per_sm_b,
            l.max_blocks_per_sm,
            self.cap_sizing,
        );
        let dyn_b = (cta_b - fixed_b) as u32;
        if dyn_b > l.shared_b {
            f.set_preferred_carveout(100)?;
            self.allow_dynamic_shared(f, dyn_b)?;
        }
        Ok(dyn_b)
    }

    /// Let `f` launch with `dyn_b` of dynamic shared memory: past 48 KiB with its static shared
    /// memory, a kernel opts in, and then to the most a block may have, not to `dyn_b`: a graph
    /// node captured earlier with a larger size must stay valid.
    fn allow_dynamic_shared(&self, f: &Function, dyn_b: u32) -> Result<()> {
        let static_b = f.shared_b()?.max(0) as u64;
        if static_b + dyn_b as u64 > DEFAULT_SHARED_LIMIT_B as u64 {
            f.set_max_dynamic_shared((self.ctx.info().smem_optin_b - static_b) as u32)?;
        }
        Ok(())
    }

    fn enqueue(&self, l: &Launch) -> Result<()> {
        let (f, _) = self.kernels.get(l.kernel.0).ok_or_else(|| {
            Error::Cuda(CudaError::usage(
                "cuLaunchKernel",
                format!("kernel id {} not loaded", l.kernel.0),
            ))
        })?;
        let args: Vec<KernelArg> = l
            .args
            .iter()
            .map(|a| match *a {
                Arg::Buf(b) => KernelArg::Ptr(b.gpu_va),
                Arg::U32(v) => KernelArg::U32(v),
                Arg::U64(v) => KernelArg::U64(v),
                Arg::F32(v) => KernelArg::F32(v),
            })
            .collect();
        let dims = LaunchDims {
            grid: l.grid,
            block: l.block,
            shared_b: self.capped_dynamic_shared_b(f, l)?,
        };
        f.launch(dims, &args, &self.stream)?;
        Ok(())
    }
}

impl Backend for CudaBackend {
    fn info(&self) -> &GpuInfo {
        &self.info
    }

    fn alloc(&mut self, size_b: u64) -> Result<Buf> {
        let b = DeviceBuffer::new(size_b as usize)?;
        let buf = Buf {
            gpu_va: b.ptr(),
            size_b,
        };
        self.bufs.insert(b.ptr(), b);
        Ok(buf)
    }

    fn free(&mut self, buf: Buf) -> Result<()> {
        self.sync()?;
        self.bufs.remove(&buf.gpu_va).map(drop).ok_or_else(|| {
            Error::Cuda(CudaError::usage(
                "cuMemFree",
                format!("buffer at 0x{:x} is not allocated here", buf.gpu_va),
            ))
        })
    }

    fn upload(&mut self, dst: Buf, src: &[u8]) -> Result<()> {
        // On the backend's own stream, then waited for. cuMemcpyHtoD from pageable memory runs
        // on the legacy stream, which a CU_STREAM_NON_BLOCKING stream does not wait for, and may
        // return once the bytes are staged, before they land: a kernel launched next could then
        // see them land after its own writes (session 6: selftest's KV-append check failed 3 of
        // 552 on the H100, on the first of two runs with the same inputs only: the mark of it).
        self.buf(dst, "cuMemcpyHtoDAsync")?
            .upload_async(0, src, &self.stream)?;
        self.sync()
    }

    fn download(&mut self, src: Buf, dst: &mut [u8]) -> Result<()> {
        self.sync()?;
        self.buf(src, "cuMemcpyDtoH")?.download(0, dst)?;
        Ok(())
    }

    fn memset_u32(&mut self, dst: Buf, value: u32) -> Result<()> {
        let b = self.buf(dst, "cuMemsetD32Async")?;
        b.memset_d32_async(value, (dst.size_b / 4) as usize, &self.stream)?;
        Ok(())
    }

    fn copy(&mut self, dst: Buf, src: Buf, size_b: u64) -> Result<()> {
        if size_b > dst.size_b || size_b > src.size_b {
            return Err(Error::Cuda(CudaError::usage(
                "cuMemcpyDtoDAsync",
                format!(
                    "{size_b} bytes between buffers of {} and {} bytes",
                    src.size_b, dst.size_b
                ),
            )));
        }
        cuda_shim::copy_dtod_async(dst.gpu_va, src.gpu_va, size_b as usize, &self.stream)?;
        Ok(())
    }

    fn load(&mut self, spec: &KernelSpec) -> Result<KernelId> {
        let label = spec.label();
        if let Some(id) = self.kernel_ids.get(&label) {
            return Ok(*id);
        }
        let link = |ptx: &str, name: &str| -> Result<(Vec<u8>, String)> {
            let l = Linker::new()?.link_ptx(ptx, name)?;
            Ok((l.cubin, l.info_log))
        };
        let asm = ptx::assemble(spec, &self.info.arch, Some(&link))?;
        let module = self.ctx.load_module(&asm.cubin)?;
        let f = module.function(spec.entry)?;
        self.allow_dynamic_shared(&f, spec.dynamic_shared_b())?;
        let id = KernelId(self.kernels.len());
        self.kernels.push((f, module));
        self.kernel_ids.insert(label, id);
        Ok(id)
    }

    fn launch(&mut self, launch: &Launch) -> Result<()> {
        self.enqueue(launch)
    }

    fn sync(&mut self) -> Result<()> {
        self.stream.wait(WAIT_TIMEOUT)?;
        Ok(())
    }

    fn mark(&mut self) -> Result<Mark> {
        if self.marks_used == self.events.len() {
            self.events.push(Event::new()?);
        }
        let i = self.marks_used;
        self.events[i].record(&self.stream)?;
        self.marks_used += 1;
        Ok(Mark(i))
    }

    fn elapsed_ns(&mut self, from: Mark, to: Mark) -> Result<f64> {
        let (Some(a), Some(b)) = (self.events.get(from.0), self.events.get(to.0)) else {
            return Err(Error::Cuda(CudaError::usage(
                "cuEventElapsedTime",
                "mark was never recorded",
            )));
        };
        b.wait(WAIT_TIMEOUT)?;
        Ok(b.elapsed_ms_since(a)? as f64 * 1e6)
    }

    fn clear_marks(&mut self) {
        self.marks_used = 0;
    }

    fn build_replay(&mut self, launches: &[Launch]) -> Result<ReplayId> {
        self.sync()?;
        let this = &*self;
        let g = Graph::capture(&this.stream, |_| {
            for l in launches {
                this.enqueue(l).map_err(|e| match e {
                    Error::Cuda(c) => c,
                    other => CudaError::usage("cuStreamBeginCapture", other.to_string()),
                })?;
            }
            Ok(())
        })?;
        self.graphs.push(g);
        Ok(ReplayId(self.graphs.len() - 1))
    }

    fn replay(&mut self, id: ReplayId) -> Result<()> {
        let g = self
            .graphs
            .get(id.0)
            .ok_or_else(|| Error::Cuda(CudaError::usage("cuGraphLaunch", "replay id not built")))?;
        g.launch(&self.stream)?;
        Ok(())
    }
}
