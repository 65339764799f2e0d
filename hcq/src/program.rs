//! A loaded module: the cubin image uploaded once (relocated for its GPU address), and per
//! kernel a QMD template and a constant-bank-0 template, ready for `ComputeQueue::launch`.

use crate::cubin::{Cubin, KernelInfo};
use crate::device::Device;
use crate::error::{HcqError, Result};
use crate::iface::{Mem, MemPlace};
use crate::qmd::{Field, Qmd};
use crate::queue::{ComputeQueue, LaunchId, Slot};

/// Bytes left mapped after the image: the SM prefetches instructions past the end of a kernel,
/// and a prefetch into an unmapped page faults the channel (tinygrad found this).
pub const CODE_SLACK_B: u64 = 4096;

/// System shared memory the hardware reserves per CTA on sm_8x/sm_90 (CUDA: 1 KiB).
pub const RESERVED_SHARED_B: u64 = 0x400;

/// Added to MIN_STACK_SIZE for the per-thread local-memory size (tinygrad's value: the initial
/// stack pointer 0xFFFDC0 sits 0x240 below the 16 MiB window top).
pub const LOCAL_MEMORY_EXTRA_B: u64 = 0x240;

// Driver words of constant bank 0 (rm-hcq.md §4.3; tinygrad's layout for sm_8x). Settled on the
// H100 (sm_90, driver 580.159.04, docs/hcq-rm.md): the SASS reads block dims at 0x0 and they
// MUST be filled (left 0, 872 of 1000 outputs of a fill kernel were wrong); tinygrad's window
// and stack-top values at 0x18/0x20/0x28 work unchanged.
/// ntid.x / .y / .z (u32 each); required on sm_90 (seen on the H100).
pub const CBUF0_NTID_B: usize = 0x0;
/// nctaid.x / .y / .z (u32 each).
pub const CBUF0_NCTAID_B: usize = 0xC;
/// Shared-memory window base (u64); tinygrad's value works on sm_90 (H100).
pub const CBUF0_SHARED_WINDOW_B: usize = 0x18;
/// Local-memory window base (u64); tinygrad's value works on sm_90 (H100).
pub const CBUF0_LOCAL_WINDOW_B: usize = 0x20;
/// Initial stack pointer, loaded by `LDC R1, c[0x0][0x28]` (u64); 0xFFFDC0 works on sm_90 (H100).
pub const CBUF0_STACK_TOP_B: usize = 0x28;
pub const STACK_TOP: u64 = 0xFF_FDC0;
// c[0x0][0x118] (sm_87) / c[0x0][0x208] (sm_90) is a 64-bit global-memory descriptor every
// LDG/STG uses; tinygrad leaves it 0 on Ampere and kernels work. Left 0 here: 0 works on the
// H100 too (docs/hcq-rm.md).

/// One kernel ready to launch.
#[derive(Debug, Clone)]
pub struct Kernel {
    pub name: String,
    pub info: KernelInfo,
    /// Program address, registers, shared memory, local memory, barriers, constant banks ≠ 0;
    /// grid, block and bank 0 are set per launch.
    pub qmd: Qmd,
    /// Bank 0 with the driver words filled and parameters zero.
    pub cbuf0: Vec<u8>,
    /// Per-thread local memory the QMD declares (bytes).
    pub local_b: u64,
    /// QMD SHARED_MEMORY_SIZE (bytes).
    pub shared_b: u64,
}

/// An uploaded cubin.
#[derive(Debug)]
pub struct Module {
    pub mem: Mem,
    pub kernels: Vec<Kernel>,
}

impl Module {
    /// Parse `cubin`, upload its image to DeviceMapped memory, prepare every kernel.
    pub fn load(dev: &mut Device, cubin: &[u8]) -> Result<Module> {
        let c = Cubin::parse(cubin)?;
        let dev_sm = (dev.info.sm_version >> 8) * 10 + (dev.info.sm_version & 0xFF);
        if c.sm != dev_sm {
            return Err(HcqError::Cubin(format!(
                "cubin is for sm_{}, the GPU is sm_{dev_sm}",
                c.sm
            )));
        }
        let size = c.image.len() as u64 + CODE_SLACK_B;
        let mut mem = dev.alloc(size, MemPlace::DeviceMapped)?;
        let img = c.relocated(mem.gpu_va)?;
        let dst = mem.cpu_slice()?;
        dst[..img.len()].copy_from_slice(&img);
        dst[img.len()..].fill(0);
        dev.iface.sync_for_device(&mem)?;
        let mut kernels = Vec::new();
        for ki in &c.kernels {
            kernels.push(prepare(dev, &c, ki, mem.gpu_va)?);
        }
        Ok(Module { mem, kernels })
    }

    pub fn kernel(&self, name: &str) -> Result<&Kernel> {
        self.kernels.iter().find(|k| k.name == name).ok_or_else(|| {
            let have: Vec<&str> = self.kernels.iter().map(|k| k.name.as_str()).collect();
            HcqError::Cubin(format!(
                "no kernel '{name}' in module (has {})",
                have.join(", ")
            ))
        })
    }

    /// Free the code (call after the GPU is done with every queue using it).
    pub fn unload(self, dev: &mut Device) -> Result<()> {
        dev.synchronize()?;
        dev.free(self.mem)
    }
}

fn prepare(dev: &mut Device, c: &Cubin, ki: &KernelInfo, image_va: u64) -> Result<Kernel> {
    let mut qmd = Qmd::new(dev.qmd_version);
    qmd.set_program(image_va + ki.text_off, ki.text_size_b)?;
    qmd.set(Field::RegisterCount, ki.regs as u64)?;
    qmd.set(Field::BarrierCount, ki.num_barriers.max(1) as u64)?;
    // Shared: what ptxas sized plus the 1 KiB system reservation, in 128-B units (tinygrad).
    // On sm_90 the fixtures show the section already covering the reservation (a 1 KiB array
    // gives a 0x800 section, the array at 0x400), so this over-asks by 1 KiB there: safe, and
    // the same formula on both archs until the device shows the exact need.
    let shared_b = (RESERVED_SHARED_B + ki.shared_b).next_multiple_of(128);
    qmd.set_shared_memory(shared_b as u32)?;
    let stack = ki.min_stack_b.max(ki.max_stack_b) as u64;
    let local_b = if stack > 0 {
        (stack + LOCAL_MEMORY_EXTRA_B).next_multiple_of(16)
    } else {
        0
    };
    // Per-thread local size: HIGH_SIZE as tinygrad (proven on Ampere); Mesa uses LOW_SIZE.
    qmd.set(Field::ShaderLocalMemoryHighSize, local_b)?;
    if local_b > 0 {
        dev.ensure_local_memory(local_b)?;
    }
    qmd.set(
        Field::SassVersion,
        (((c.sm / 10) << 4) | (c.sm % 10)) as u64,
    )?;
    for b in &c.banks {
        qmd.set_cbuf(b.bank, image_va + b.image_off, b.size_b as u32)?;
    }
    let mut cbuf0 = ki.cbuf0.clone();
    let end = (ki.param_base + ki.param_size_b) as usize;
    cbuf0.resize(cbuf0.len().max(end).next_multiple_of(16), 0);
    let windows = dev.info.shader_windows;
    put_u64(&mut cbuf0, CBUF0_SHARED_WINDOW_B, windows.shared_va);
    put_u64(&mut cbuf0, CBUF0_LOCAL_WINDOW_B, windows.local_va);
    put_u64(&mut cbuf0, CBUF0_STACK_TOP_B, STACK_TOP);
    Ok(Kernel {
        name: ki.name.clone(),
        info: ki.clone(),
        qmd,
        cbuf0,
        local_b,
        shared_b,
    })
}

fn put_u64(b: &mut [u8], off: usize, v: u64) {
    b[off..off + 8].copy_from_slice(&v.to_le_bytes());
}

fn put_u32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

impl Kernel {
    /// Byte offset in bank 0 of parameter `ordinal` (for `ComputeQueue::arg_slot`).
    pub fn param_offset(&self, ordinal: u16) -> Result<usize> {
        let p = self
            .info
            .params
            .iter()
            .find(|p| p.ordinal == ordinal)
            .ok_or_else(|| {
                HcqError::Cubin(format!(
                    "kernel {} has no parameter {ordinal} ({} params)",
                    self.name,
                    self.info.params.len()
                ))
            })?;
        Ok(self.info.param_base as usize + p.offset_b as usize)
    }

    /// Record a launch of this kernel in `q`: grid and block set, `params` (the packed parameter
    /// bytes, `param_size_b` long) placed at the PARAM_CBANK offset.
    pub fn enqueue(
        &self,
        q: &mut ComputeQueue,
        dev: &mut Device,
        grid: [u32; 3],
        block: [u32; 3],
        params: &[u8],
    ) -> Result<LaunchId> {
        if params.len() != self.info.param_size_b as usize {
            return Err(HcqError::Unsupported(format!(
                "kernel {} takes {} B of parameters, got {}",
                self.name,
                self.info.param_size_b,
                params.len()
            )));
        }
        let threads = block.iter().map(|&d| d as u64).product::<u64>();
        let limit = self
            .info
            .max_threads
            .or(self.info.reqntid)
            .map(|m| m.iter().map(|&d| d as u64).product());
        if threads == 0 || grid.contains(&0) || limit.is_some_and(|l| threads > l) {
            return Err(HcqError::Unsupported(format!(
                "kernel {}: grid {grid:?} block {block:?} (max threads {limit:?})",
                self.name
            )));
        }
        let mut qmd = self.qmd.clone();
        qmd.set_grid(grid)?;
        qmd.set_block(block)?;
        let mut cbuf0 = self.cbuf0.clone();
        for i in 0..3 {
            put_u32(&mut cbuf0, CBUF0_NTID_B + 4 * i, block[i]);
            put_u32(&mut cbuf0, CBUF0_NCTAID_B + 4 * i, grid[i]);
        }
        let base = self.info.param_base as usize;
        cbuf0[base..base + params.len()].copy_from_slice(params);
        q.launch(dev, &qmd, &cbuf0)
    }

    /// A slot patching grid dimension `axis` of launch `l` in the QMD and in bank 0 (nctaid).
    pub fn grid_slot(&self, q: &mut ComputeQueue, l: LaunchId, axis: usize) -> Result<Slot> {
        let f = [Field::GridWidth, Field::GridHeight, Field::GridDepth]
            .get(axis)
            .copied()
            .ok_or_else(|| HcqError::Unsupported(format!("grid axis {axis}")))?;
        q.qmd_and_arg_slot(l, f, CBUF0_NCTAID_B + 4 * axis)
    }
}
