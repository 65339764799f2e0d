//! The kernel interface: the one seam between the command queues above and a kernel driver
//! below (desktop RM/UVM in `rm`, Tegra nvgpu/nvmap in `tegra`, a recording `mock` for tests).
//! Above this trait nothing knows which driver it runs on; differences between them are data
//! in `GpuInfo` (e.g. `unified_memory`), never `if tegra` checks.

use crate::error::Result;

/// Class numbers the queues bind on their subchannels, chosen from what the GPU reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classes {
    pub gpfifo: u32,
    pub compute: u32,
    pub copy: u32,
}

/// Generic-address windows through which kernels reach shared and local memory. They must lie
/// outside every buffer's GPU VA: the desktop driver's 49-bit space puts them high (tinygrad's
/// values); Orin's 40-bit space cannot, so the Tegra interface reserves its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShaderWindows {
    pub local_va: u64,
    pub shared_va: u64,
}

impl ShaderWindows {
    /// The desktop (RM/UVM) placement, as tinygrad programs it.
    pub const DESKTOP: ShaderWindows = ShaderWindows {
        local_va: 0x7293_0000_0000,
        shared_va: 0x7294_0000_0000,
    };
}

/// What the interface learnt about the GPU at open.
#[derive(Debug, Clone)]
pub struct GpuInfo {
    /// "rm", "tegra" or "mock".
    pub iface: &'static str,
    pub name: String,
    pub driver_version: String,
    /// SM version as the driver reports it: 0x900 for sm_90, 0x807 for sm_87.
    pub sm_version: u32,
    pub num_sms: u32,
    pub vram_b: u64,
    pub classes: Classes,
    /// Every class the GPU reported (for `doctor` and for errors naming what was found).
    pub all_classes: Vec<u32>,
    /// CPU-mapped memory is the GPU's own memory, coherent (Tegra iGPU): uploads need no copy.
    pub unified_memory: bool,
    /// Where the queues put the shared and local memory windows.
    pub shader_windows: ShaderWindows,
}

impl GpuInfo {
    /// "sm_90" from 0x900.
    pub fn arch(&self) -> String {
        format!("sm_{}{}", self.sm_version >> 8, self.sm_version & 0xff)
    }
}

/// Where a buffer lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemPlace {
    /// GPU memory, not CPU-mapped (weights, activations, KV cache).
    Device,
    /// GPU memory the CPU can also write (pushbuffers, QMDs, kernel arguments, code).
    DeviceMapped,
    /// System memory both can see (signals, staging for copies).
    Host,
}

/// One GPU buffer. `cpu` is null when the buffer is not CPU-mapped.
#[derive(Debug)]
pub struct Mem {
    pub gpu_va: u64,
    pub cpu: *mut u8,
    pub size_b: u64,
    pub place: MemPlace,
    /// Interface-private handle (RM memory handle, nvmap handle, mock slot).
    pub handle: u64,
}

// The raw pointer is a mapping owned by the interface; moving it between threads is fine.
unsafe impl Send for Mem {}

impl Mem {
    /// CPU view of the whole buffer. Errors if the buffer is not CPU-mapped.
    pub fn cpu_slice(&mut self) -> Result<&mut [u8]> {
        if self.cpu.is_null() {
            return Err(crate::HcqError::Unsupported(format!(
                "buffer at 0x{:x} ({:?}) has no CPU mapping",
                self.gpu_va, self.place
            )));
        }
        // SAFETY: `cpu` maps `size_b` bytes for the life of the Mem (freed only through Iface::free).
        Ok(unsafe { std::slice::from_raw_parts_mut(self.cpu, self.size_b as usize) })
    }
}

/// The engine a channel feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Compute,
    Copy,
}

/// A GPFIFO channel as the queues see it: a ring of 8-byte entries, the USERD page holding
/// GP_PUT / GP_GET (offsets 0x8C / 0x88 on every class from Volta to Hopper), and the token
/// the doorbell takes. The interface owns the memory behind these pointers.
#[derive(Debug)]
pub struct Channel {
    pub engine: Engine,
    /// The class bound on this channel's engine subchannel (compute: 1, copy: 4).
    pub class: u32,
    pub ring: *mut u64,
    pub ring_gpu_va: u64,
    pub ring_entries: u32,
    /// CPU pointer to the USERD page (GP_PUT at +0x8C, GP_GET at +0x88).
    pub userd: *mut u8,
    pub doorbell_token: u32,
    /// Interface-private id of the channel.
    pub handle: u64,
}

unsafe impl Send for Channel {}

/// A channel error the driver reported (robust-channel recovery, error notifier, Xid).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelFault {
    pub code: u32,
    pub what: String,
}

/// The operations a kernel driver must provide.
pub trait Iface {
    fn info(&self) -> &GpuInfo;

    /// Allocate `size_b` bytes (rounded up to the page size) at `place`, mapped into the GPU's
    /// address space, and into the CPU's for `DeviceMapped` and `Host`.
    fn alloc(&mut self, size_b: u64, place: MemPlace) -> Result<Mem>;

    fn free(&mut self, mem: Mem) -> Result<()>;

    /// Create a channel with `entries` GPFIFO entries (a power of two) and the engine's class
    /// object allocated on it, scheduled and ready for submissions.
    fn create_channel(&mut self, engine: Engine, entries: u32) -> Result<Channel>;

    fn destroy_channel(&mut self, ch: Channel) -> Result<()>;

    /// Tell the GPU that GP_PUT of `ch` moved (GP_PUT is already written and fenced).
    fn ring_doorbell(&mut self, ch: &Channel) -> Result<()>;

    /// A fault the driver has reported on `ch`, if any. Called inside every wait loop.
    fn channel_fault(&mut self, ch: &Channel) -> Option<ChannelFault>;

    /// Make CPU writes to `mem` visible to the GPU and GPU writes visible to the CPU where the
    /// hardware is not coherent. A no-op on coherent systems.
    fn sync_for_device(&mut self, _mem: &Mem) -> Result<()> {
        Ok(())
    }
}
