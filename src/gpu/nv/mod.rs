//! The nv backend: the PTX registry's kernels on hand-built command queues over `hcq`, through
//! the `hcq::Iface` trait only (desktop RM/UVM today; Tegra plugs in as another `Iface`).
//!
//! - One compute and one copy channel (`hcq::Device`), totally ordered by the device timeline:
//!   every submission releases the next timeline value; a submission on the other channel than
//!   the previous one first acquires the previous value.
//! - Launches: each `launch` takes a 4 KiB slot of the launch arena ([`arena`]), writes bank 0
//!   and the QMD there (V4 on Hopper, V3 on Ampere/Ada: from the compute class), and submits a
//!   pushbuffer of SEND_PCAS_A + SEND_SIGNALING_PCAS2_B + the timeline release: no allocation and
//!   no ioctl on the hot path (the doorbell is a store to the usermode page).
//! - Memory: `alloc` gives `MemPlace::Device` (VRAM, not CPU-mapped); uploads and downloads go
//!   through one Host staging buffer and the copy engine, in chunks of the staging size.
//! - Timing: a mark is a host semaphore release (with the GPU's ptimer ns) into a signal of its
//!   own; `elapsed_ns` subtracts the two timestamps.
//! - Replay: `build_replay` writes every QMD and bank 0 once and one pushbuffer of launches;
//!   `replay` puts that pushbuffer on the ring as it is, then a slot with the timeline release.

pub mod arena;
pub mod options;
pub mod prepare;
pub mod replay;
mod steps;

use super::backend::{Arg, Backend, Buf, GpuInfo, KernelId, Launch, Mark, ReplayId};
use crate::ptx::release::GlobalWrites;
use crate::ptx::{self, KernelSpec};
use crate::{Error, Result};
use arena::{Arena, PB_MAX_WORDS, PB_OFF, QMD_OFF};
use hcq::classes::*;
use hcq::queue::COPY_CHUNK_B;
use hcq::signal::emit_acquire;
use hcq::{Device, Engine, Iface, Mem, MemPlace, PushBuf, Signal, SignalPool};
pub use options::{Carveout, GridMembar, NvOptions, ReplayOrder};
use replay::Replay;
use std::collections::HashMap;

/// Timing marks a backend can hold at once (16 B of Host memory each).
pub const MARK_SLOTS: u64 = 4096;

/// A kernel as loaded, with what its PTX says about its writes.
struct LoadedKernel {
    kernel: hcq::Kernel,
    /// `ptx::release`: a kernel that releases its own writes before it ends (or has none) lets a
    /// replay drop the barrier at the end of its grid; one with none lets every launch drop it.
    writes: GlobalWrites,
}

pub struct NvBackend {
    info: GpuInfo,
    opts: NvOptions,
    kernels: Vec<LoadedKernel>,
    kernel_ids: HashMap<String, KernelId>,
    modules: Vec<hcq::Module>,
    bufs: HashMap<u64, Mem>,
    arena: Option<Arena>,
    staging: Option<Mem>,
    mark_pool: Option<SignalPool>,
    /// Each mark's signal and the value its release writes.
    marks: Vec<(Signal, u64)>,
    marks_used: usize,
    replays: Vec<Replay>,
    /// Channel of the last submission (None: nothing in flight that needs ordering).
    last_engine: Option<Engine>,
    /// The last submission signalled from a QMD (no WFI behind it): the next one acquires.
    after_qmd_signal: bool,
    fill_u32: Option<KernelId>,
    /// Host step times of lone launches, when recording (`Backend::record_launch_steps`).
    steps: steps::LaunchSteps,
    /// The last lone launch as built: a launch repeated exactly (a latency loop, a benchmark's
    /// iterations) takes its QMD and bank 0 from here, only bank 0's address set for its slot.
    last_built: Option<Built>,
    dev: Device,
}

/// A lone launch's QMD and bank 0 as `NvBackend::prepared` made them, and its kernel's name.
struct Built {
    launch: Launch,
    qmd: hcq::Qmd,
    cbuf0: Vec<u8>,
    name: String,
    /// What this launch writes: `qmd` with the slot's bank 0 address and the lone launch's
    /// barrier and release choices (a copy kept here, so a repeated launch allocates nothing).
    slot_qmd: hcq::Qmd,
}

/// Open the first kernel interface that works on this machine (desktop RM/UVM).
pub fn open_iface() -> Result<Box<dyn Iface>> {
    open_iface_as(iface_choice()?)
}

/// The kernel interface the user asked for: `kernlab --iface auto|rm|tegra` (which sets
/// `KERNLAB_IFACE`), auto when unset.
pub fn iface_choice() -> Result<hcq::select::IfaceChoice> {
    match std::env::var("KERNLAB_IFACE") {
        Ok(v) if !v.is_empty() => Ok(v.parse()?),
        _ => Ok(hcq::select::IfaceChoice::Auto),
    }
}

/// Open `choice`: auto picks tegra when the Tegra control node exists, rm when /dev/nvidiactl
/// does (hcq::select). Above this line nothing knows which driver it is on.
pub fn open_iface_as(choice: hcq::select::IfaceChoice) -> Result<Box<dyn Iface>> {
    Ok(match hcq::select::detect_here(choice)? {
        hcq::select::IfaceKind::Rm => Box::new(hcq::rm::RmIface::open()?),
        hcq::select::IfaceKind::Tegra => Box::new(hcq::tegra::TegraIface::open()?),
    })
}

/// L2 size by architecture (hcq does not query it): used only to label cache-resident sizes.
fn l2_bytes(sm_version: u32) -> u64 {
    match sm_version {
        0x900 => 50 << 20,
        0x800 => 40 << 20,
        0x806 => 6 << 20,
        0x807 => 4 << 20,
        _ => 0,
    }
}

impl NvBackend {
    /// Open device 0 through the first working interface, options from the environment.
    pub fn open() -> Result<NvBackend> {
        let opts = NvOptions::from_env()?;
        NvBackend::with_iface(open_iface()?, opts)
    }

    /// Build the backend on any interface (the mock in tests).
    pub fn with_iface(iface: Box<dyn Iface>, mut opts: NvOptions) -> Result<NvBackend> {
        let mut dev = Device::new(iface)?;
        // `Auto` becomes the order this GPU's QMDs support, once.
        opts.replay_order = opts.replay_order.resolve(dev.qmd_version);
        dev.timeout_ms = opts.timeout_ms;
        if opts.timeline_start > 0 {
            dev.restart_timeline_at(opts.timeline_start)?;
        }
        let hi = dev.info.clone();
        let info = GpuInfo {
            backend: "nv",
            name: hi.name.clone(),
            arch: hi.arch(),
            sm_count: hi.num_sms,
            l2_b: l2_bytes(hi.sm_version),
            mem_b: hi.vram_b,
            driver: format!(
                "{} ({}, QMD {:?}, replay {:?})",
                hi.driver_version, hi.iface, dev.qmd_version, opts.replay_order
            ),
        };
        let arena = Arena::new(&mut dev, opts.arena_slots, opts.arena_place)?;
        let pool = SignalPool::new(&mut *dev.iface, MARK_SLOTS)?;
        Ok(NvBackend {
            info,
            opts,
            kernels: Vec::new(),
            kernel_ids: HashMap::new(),
            modules: Vec::new(),
            bufs: HashMap::new(),
            arena: Some(arena),
            staging: None,
            mark_pool: Some(pool),
            marks: Vec::new(),
            marks_used: 0,
            replays: Vec::new(),
            last_engine: None,
            last_built: None,
            after_qmd_signal: false,
            fill_u32: None,
            steps: steps::LaunchSteps::default(),
            dev,
        })
    }

    pub fn options(&self) -> &NvOptions {
        &self.opts
    }

    /// The hcq device (for callers that need the interface or the timeline).
    pub fn device(&mut self) -> &mut Device {
        &mut self.dev
    }

    fn arena(&mut self) -> Result<&mut Arena> {
        self.arena
            .as_mut()
            .ok_or_else(|| Error::Unsupported("nv launch arena is gone".into()))
    }

    /// Submit `body` on `engine` in an arena slot, ordered on the timeline (acquire the previous
    /// value when the previous submission went to the other channel), ending with the release
    /// of the next value. `what` names the submission in errors.
    fn submit(&mut self, engine: Engine, body: &[u32], what: &str) -> Result<u64> {
        let slot = {
            let dev = &mut self.dev;
            let a = self
                .arena
                .as_mut()
                .ok_or_else(|| Error::Unsupported("nv arena".into()))?;
            a.take(dev)?
        };
        self.submit_in_slot(engine, slot, body, what)
    }

    fn submit_in_slot(
        &mut self,
        engine: Engine,
        slot: usize,
        body: &[u32],
        what: &str,
    ) -> Result<u64> {
        self.submit_in_slot_as(engine, slot, body, what, true)
    }

    /// `host_release`: end with the host semaphore release of the timeline (false: the body's
    /// QMD releases it).
    fn submit_in_slot_as(
        &mut self,
        engine: Engine,
        slot: usize,
        body: &[u32],
        what: &str,
        host_release: bool,
    ) -> Result<u64> {
        let v = self.dev.timeline_value + 1;
        let mut pb = PushBuf::with_capacity(body.len() + SUBMIT_FRAME_WORDS);
        if self.after_qmd_signal || self.last_engine.is_some_and(|e| e != engine) {
            emit_acquire(&mut pb, self.dev.timeline.gpu_va, v - 1);
        }
        pb.extend_raw(body);
        if host_release && engine == Engine::Copy && self.opts.copy_release_by_engine {
            hcq::signal::emit_copy_release(&mut pb, self.dev.timeline.gpu_va, v);
        } else if host_release {
            release(&mut pb, self.dev.timeline.gpu_va, v, self.opts.release_irq);
        }
        if pb.len() > PB_MAX_WORDS {
            return Err(Error::Unsupported(format!(
                "nv submission '{what}' is {} words, a launch slot holds {PB_MAX_WORDS}",
                pb.len()
            )));
        }
        let a = self
            .arena
            .as_mut()
            .ok_or_else(|| Error::Unsupported("nv arena".into()))?;
        let va = a.gpu_va(slot) + PB_OFF as u64;
        a.write(slot, PB_OFF, bytemuck::cast_slice(pb.words()))?;
        self.dev.iface.sync_for_device(&a.mem)?;
        self.steps.mark(3);
        let v = self.dev.ring_submit(engine, va, pb.len() as u64, v, what)?;
        self.steps.mark(4);
        a.used_until(slot, v);
        self.last_engine = Some(engine);
        self.after_qmd_signal = !host_release;
        Ok(v)
    }

    /// Linear copy on the copy engine (≤ 2 GiB per LAUNCH_DMA).
    fn copy_va(&mut self, dst_va: u64, src_va: u64, size_b: u64, what: &str) -> Result<()> {
        if size_b == 0 {
            return Ok(());
        }
        let mut pb = PushBuf::new();
        let mut done = 0;
        while done < size_b {
            let n = (size_b - done).min(COPY_CHUNK_B);
            let (s, d) = (src_va + done, dst_va + done);
            pb.method(
                SUBC_COPY,
                NVC8B5_OFFSET_IN_UPPER,
                &[(s >> 32) as u32, s as u32, (d >> 32) as u32, d as u32],
            );
            pb.method(SUBC_COPY, NVC8B5_LINE_LENGTH_IN, &[n as u32]);
            pb.method(SUBC_COPY, NVC8B5_LAUNCH_DMA, &[launch_dma::LINEAR_COPY]);
            done += n;
        }
        self.submit(Engine::Copy, pb.words(), what).map(|_| ())
    }

    fn staging(&mut self) -> Result<(u64, u64)> {
        if self.staging.is_none() {
            let m = self.dev.alloc(self.opts.staging_b, MemPlace::Host)?;
            self.staging = Some(m);
        }
        let m = self
            .staging
            .as_ref()
            .ok_or_else(|| Error::Unsupported("staging".into()))?;
        Ok((m.gpu_va, self.opts.staging_b))
    }

    /// The CPU-mapped memory behind `b` (unified-memory GPUs map every buffer).
    fn mapped(&mut self, b: Buf, call: &str) -> Result<&mut hcq::Mem> {
        self.bufs.get_mut(&b.gpu_va).ok_or_else(|| {
            Error::Usage(format!(
                "nv {call}: buffer at 0x{:x} is not allocated here",
                b.gpu_va
            ))
        })
    }

    fn buf_check(&self, b: Buf, len: u64, call: &str) -> Result<()> {
        let m = self.bufs.get(&b.gpu_va).ok_or_else(|| {
            Error::Usage(format!(
                "nv {call}: buffer at 0x{:x} is not allocated here",
                b.gpu_va
            ))
        })?;
        if len > b.size_b || b.size_b > m.size_b {
            return Err(Error::Usage(format!(
                "nv {call}: {len} B into a buffer of {} B at 0x{:x}",
                b.size_b, b.gpu_va
            )));
        }
        Ok(())
    }

    /// Load kernel `entry` from a cubin (what `load` does after assembling). Nothing says what
    /// a bare cubin does with its writes, so replays keep the barrier after it.
    pub fn load_cubin(&mut self, cubin: &[u8], entry: &str) -> Result<KernelId> {
        self.load_kernel(cubin, entry, GlobalWrites::Unreleased)
    }

    fn load_kernel(&mut self, cubin: &[u8], entry: &str, writes: GlobalWrites) -> Result<KernelId> {
        self.sync()?;
        let module = hcq::Module::load(&mut self.dev, cubin)?;
        let k = module.kernel(entry)?.clone();
        self.modules.push(module);
        // Module loading may have submitted (local memory setup) and waited: nothing in flight.
        self.sync()?;
        self.kernels.push(LoadedKernel { kernel: k, writes });
        self.last_built = None;
        Ok(KernelId(self.kernels.len() - 1))
    }

    /// Whether kernel `id` releases its own global writes before it ends.
    pub fn releases_writes(&self, id: KernelId) -> bool {
        self.kernels
            .get(id.0)
            .is_some_and(|k| k.writes != GlobalWrites::Unreleased)
    }

    fn kernel(&self, id: KernelId) -> Result<&hcq::Kernel> {
        self.kernels
            .get(id.0)
            .map(|k| &k.kernel)
            .ok_or_else(|| Error::Usage(format!("nv: kernel id {} not loaded", id.0)))
    }

    /// The QMD and bank 0 that `l` gives (what a launch writes), bank 0 placed at `cbuf0_va`.
    pub fn prepared(&self, l: &Launch, cbuf0_va: u64) -> Result<(hcq::Qmd, Vec<u8>)> {
        let k = self.kernel(l.kernel)?;
        let (mut qmd, mut cbuf0) = prepare::prepare(
            k,
            l,
            cbuf0_va,
            self.opts.carveout,
            self.opts.cap_sizing,
            self.dev.info.sm_version,
        )?;
        for &(field, value) in self.opts.qmd_overrides.iter().flatten() {
            qmd.set(field, value)
                .map_err(|e| Error::Usage(format!("KERNLAB_NV_QMD: {e}")))?;
        }
        let param_base = k.info.param_base as usize;
        for &(off, word) in self.opts.bank0_words.iter().flatten() {
            let at = off as usize;
            if at + 4 > param_base {
                return Err(Error::Usage(format!(
                    "KERNLAB_NV_BANK0: 0x{off:x} is not in front of {}'s parameters (0x{param_base:x})",
                    k.name
                )));
            }
            cbuf0[at..at + 4].copy_from_slice(&word.to_le_bytes());
        }
        Ok((qmd, cbuf0))
    }
}

impl Backend for NvBackend {
    fn info(&self) -> &GpuInfo {
        &self.info
    }

    fn alloc(&mut self, size_b: u64) -> Result<Buf> {
        if size_b == 0 {
            return Err(Error::Usage("nv alloc of 0 bytes".into()));
        }
        // On an iGPU (Tegra) every buffer is memory the CPU shares: map it, and uploads and
        // downloads become CPU copies with the cache maintenance the interface states.
        let place = if self.dev.info.unified_memory {
            MemPlace::DeviceMapped
        } else {
            MemPlace::Device
        };
        let m = self.dev.alloc(size_b, place)?;
        let buf = Buf {
            gpu_va: m.gpu_va,
            size_b,
        };
        self.bufs.insert(m.gpu_va, m);
        Ok(buf)
    }

    fn free(&mut self, buf: Buf) -> Result<()> {
        self.sync()?;
        let m = self.bufs.remove(&buf.gpu_va).ok_or_else(|| {
            Error::Usage(format!(
                "nv free: buffer at 0x{:x} is not allocated here",
                buf.gpu_va
            ))
        })?;
        self.dev.free(m)?;
        Ok(())
    }

    fn upload(&mut self, dst: Buf, src: &[u8]) -> Result<()> {
        self.buf_check(dst, src.len() as u64, "upload")?;
        if self.dev.info.unified_memory {
            // The GPU must be done with the buffer before the CPU writes it.
            self.sync()?;
            self.mapped(dst, "upload")?.cpu_slice()?[..src.len()].copy_from_slice(src);
            let m = self
                .bufs
                .get(&dst.gpu_va)
                .ok_or_else(|| Error::Usage("nv upload: buffer vanished".into()))?;
            return Ok(self.dev.iface.sync_for_device(m)?);
        }
        let (stage_va, stage_b) = self.staging()?;
        for (i, chunk) in src.chunks(stage_b as usize).enumerate() {
            // The staging buffer is free once everything queued (the previous chunk) is done.
            self.sync()?;
            let m = self
                .staging
                .as_mut()
                .ok_or_else(|| Error::Unsupported("staging".into()))?;
            m.cpu_slice()?[..chunk.len()].copy_from_slice(chunk);
            self.dev.iface.sync_for_device(m)?;
            let off = i as u64 * stage_b;
            self.copy_va(dst.gpu_va + off, stage_va, chunk.len() as u64, "upload")?;
        }
        self.sync()
    }

    fn download(&mut self, src: Buf, dst: &mut [u8]) -> Result<()> {
        self.buf_check(src, dst.len() as u64, "download")?;
        if self.dev.info.unified_memory {
            self.sync()?;
            let m = self
                .bufs
                .get(&src.gpu_va)
                .ok_or_else(|| Error::Usage("nv download: buffer vanished".into()))?;
            self.dev.iface.sync_for_device(m)?;
            dst.copy_from_slice(&self.mapped(src, "download")?.cpu_slice()?[..dst.len()]);
            return Ok(());
        }
        let (stage_va, stage_b) = self.staging()?;
        for (i, chunk) in dst.chunks_mut(stage_b as usize).enumerate() {
            let off = i as u64 * stage_b;
            self.copy_va(stage_va, src.gpu_va + off, chunk.len() as u64, "download")?;
            self.sync()?;
            let m = self
                .staging
                .as_mut()
                .ok_or_else(|| Error::Unsupported("staging".into()))?;
            self.dev.iface.sync_for_device(m)?;
            chunk.copy_from_slice(&m.cpu_slice()?[..chunk.len()]);
        }
        Ok(())
    }

    fn memset_u32(&mut self, dst: Buf, value: u32) -> Result<()> {
        self.buf_check(dst, dst.size_b, "memset_u32")?;
        let id = match self.fill_u32 {
            Some(id) => id,
            None => {
                let id = self.load(&ptx::kernel("fill_u32")?)?;
                self.fill_u32 = Some(id);
                id
            }
        };
        let n = dst.size_b / 4;
        if n == 0 {
            return Ok(());
        }
        let blocks = n.div_ceil(256);
        if blocks > i32::MAX as u64 {
            return Err(Error::Usage(format!(
                "nv memset_u32 of {n} words: grid too large"
            )));
        }
        let l = Launch::linear(
            id,
            blocks as u32,
            256,
            vec![Arg::Buf(dst), Arg::U64(n), Arg::U32(value)],
        );
        self.launch(&l)
    }

    fn copy(&mut self, dst: Buf, src: Buf, size_b: u64) -> Result<()> {
        self.buf_check(dst, size_b, "copy (dst)")?;
        self.buf_check(src, size_b, "copy (src)")?;
        self.copy_va(dst.gpu_va, src.gpu_va, size_b, "copy")
    }

    fn load(&mut self, spec: &KernelSpec) -> Result<KernelId> {
        let label = spec.label();
        if let Some(id) = self.kernel_ids.get(&label) {
            return Ok(*id);
        }
        let arch = &self.info.arch;
        let mut text = spec.ptx_for(arch)?;
        if self.opts.exit_fence && ptx::registry::sm_number(arch) >= 90 {
            text = ptx::release::fence_exits(&text, arch);
        }
        let asm = ptx::assemble_text(&text, spec.entry, arch, None)?;
        let writes = ptx::release::global_writes(&text, spec.entry);
        let id = self.load_kernel(&asm.cubin, spec.entry, writes)?;
        self.kernel_ids.insert(label, id);
        Ok(id)
    }

    fn launch(&mut self, l: &Launch) -> Result<()> {
        self.steps.mark(0);
        let slot = {
            let dev = &mut self.dev;
            let a = self
                .arena
                .as_mut()
                .ok_or_else(|| Error::Unsupported("nv arena".into()))?;
            a.take(dev)?
        };
        let va = self.arena()?.gpu_va(slot);
        let mut built = match self.last_built.take() {
            Some(b) if b.launch == *l => b,
            _ => {
                let (qmd, cbuf0) = self.prepared(l, va)?;
                let name = self.kernel(l.kernel)?.name.clone();
                Built {
                    launch: l.clone(),
                    slot_qmd: qmd.clone(),
                    qmd,
                    cbuf0,
                    name,
                }
            }
        };
        built.slot_qmd.words.copy_from_slice(&built.qmd.words);
        let qmd = &mut built.slot_qmd;
        qmd.set_cbuf(0, va, built.cbuf0.len().next_multiple_of(16) as u32)?;
        self.steps.mark(1);
        // A grid that writes no global memory has nothing for its end-of-grid barrier to make
        // visible: the lone launch skips it (KERNLAB_NV_MEMBAR=sys keeps it everywhere).
        let writes = self.kernels.get(l.kernel.0).map(|k| k.writes);
        if writes == Some(GlobalWrites::None) && self.opts.grid_membar != GridMembar::Sys {
            qmd.set(
                hcq::qmd::Field::CwdMembarType,
                hcq::qmd::CWD_MEMBAR_TYPE_L1_NONE,
            )?;
        }
        let qmd_signal = self.opts.qmd_signal;
        if qmd_signal {
            let next = self.dev.timeline_value + 1;
            qmd.set_release(0, self.dev.timeline.gpu_va, next)?;
        }
        let qmd_va = va + QMD_OFF as u64;
        let changed_only = self.opts.qmd_changed_lines_only;
        {
            let a = self.arena()?;
            a.write(slot, 0, &built.cbuf0)?;
            if changed_only {
                a.write(slot, QMD_OFF, qmd.as_bytes())?;
            } else {
                a.write_all(slot, QMD_OFF, qmd.as_bytes())?;
            }
        }
        self.steps.mark(2);
        let mut pb = PushBuf::with_capacity(PCAS_LAUNCH_WORDS);
        pcas_launch(&mut pb, qmd_va)?;
        let r = self.submit_in_slot_as(Engine::Compute, slot, pb.words(), &built.name, !qmd_signal);
        self.last_built = Some(built);
        r?;
        self.steps.finish();
        Ok(())
    }

    fn record_launch_steps(&mut self, on: bool) -> bool {
        self.steps.set(on);
        true
    }

    fn take_launch_steps(&mut self) -> Vec<(&'static str, &'static str, Vec<f64>)> {
        self.steps.take()
    }

    fn sync(&mut self) -> Result<()> {
        self.dev.synchronize()?;
        // Everything is done: the next submission needs no acquire.
        self.last_engine = None;
        self.after_qmd_signal = false;
        Ok(())
    }

    fn mark(&mut self) -> Result<Mark> {
        if self.marks_used == self.marks.len() {
            let pool = self
                .mark_pool
                .as_mut()
                .ok_or_else(|| Error::Unsupported("nv mark pool".into()))?;
            self.marks.push((pool.take()?, 0));
        }
        let i = self.marks_used;
        let sig = self.marks[i].0;
        let v = self.dev.timeline_value + 1;
        let mut pb = PushBuf::new();
        release(&mut pb, sig.gpu_va, v, self.opts.release_irq);
        // On the channel of the last submission: the mark lands when that work is done.
        let engine = self.last_engine.unwrap_or(Engine::Compute);
        self.submit(engine, pb.words(), "timing mark")?;
        self.marks[i].1 = v;
        self.marks_used += 1;
        Ok(Mark(i))
    }

    fn elapsed_ns(&mut self, from: Mark, to: Mark) -> Result<f64> {
        let mut ts = [0u64; 2];
        for (k, m) in [from, to].into_iter().enumerate() {
            if m.0 >= self.marks_used {
                return Err(Error::Usage(format!(
                    "nv elapsed_ns: mark {} was never recorded",
                    m.0
                )));
            }
            let (sig, v) = self.marks[m.0];
            self.dev.wait_signal(&sig, v, "timing mark")?;
            ts[k] = sig.timestamp_ns();
        }
        Ok(ts[1] as f64 - ts[0] as f64)
    }

    fn clear_marks(&mut self) {
        self.marks_used = 0;
    }

    fn build_replay(&mut self, launches: &[Launch]) -> Result<ReplayId> {
        let r = Replay::build(self, launches)?;
        self.replays.push(r);
        Ok(ReplayId(self.replays.len() - 1))
    }

    fn replay_launches_early(&self) -> bool {
        // Pdl schedules each grid at the previous one's last block launch; Latch queues them all.
        matches!(
            self.opts.replay_order,
            ReplayOrder::Pdl | ReplayOrder::Latch
        )
    }

    fn time_replay_grids(&mut self) -> bool {
        self.opts.grid_timestamps = true;
        true
    }

    fn grid_end_times(&mut self, id: ReplayId) -> Result<Option<Vec<u64>>> {
        let n = self.replays.len();
        self.replays
            .get_mut(id.0)
            .ok_or_else(|| Error::Usage(format!("nv replay id {} of {n} not built", id.0)))?
            .grid_end_times()
    }

    fn replay(&mut self, id: ReplayId) -> Result<()> {
        let n = self.replays.len();
        let r = self
            .replays
            .get_mut(id.0)
            .ok_or_else(|| Error::Usage(format!("nv replay id {} of {n} not built", id.0)))?;
        let (va, len, what) = (r.body_gpu_va, r.body_words, r.what.clone());
        // A chain counts its own runs (ChainEnd): nothing to rewrite, nothing to wait for; the
        // channel waits for this run's count before the timeline release below.
        let mut tail = PushBuf::new();
        if let Some(c) = r.chain.as_mut() {
            c.runs += 1;
            emit_acquire(&mut tail, c.counter_gpu_va, c.runs);
        }
        if self.last_engine == Some(Engine::Copy) || self.after_qmd_signal {
            // Order after the copy channel (or a kernel with no WFI behind it) before the body
            // runs: an acquire-only entry.
            let slot = {
                let dev = &mut self.dev;
                let a = self
                    .arena
                    .as_mut()
                    .ok_or_else(|| Error::Unsupported("nv arena".into()))?;
                a.take(dev)?
            };
            let mut pb = PushBuf::new();
            emit_acquire(&mut pb, self.dev.timeline.gpu_va, self.dev.timeline_value);
            let a = self
                .arena
                .as_mut()
                .ok_or_else(|| Error::Unsupported("nv arena".into()))?;
            let pva = a.gpu_va(slot) + PB_OFF as u64;
            a.write(slot, PB_OFF, bytemuck::cast_slice(pb.words()))?;
            self.dev.iface.sync_for_device(&a.mem)?;
            self.dev
                .compute
                .submit(&mut *self.dev.iface, pva, pb.len() as u64)?;
            a.used_until(slot, self.dev.timeline_value + 1);
        }
        self.dev.compute.submit(&mut *self.dev.iface, va, len)?;
        self.last_engine = Some(Engine::Compute);
        self.after_qmd_signal = false;
        self.submit(Engine::Compute, tail.words(), &what)?;
        Ok(())
    }
}

/// Host semaphore release of `value` (64-bit, WFI, ptimer timestamp) into the 16-byte signal at
/// `signal_gpu_va`; with `irq`, NON_STALL_INTERRUPT after it (hcq's `emit_release`).
pub fn release(pb: &mut PushBuf, signal_gpu_va: u64, value: u64, irq: bool) {
    hcq::signal::emit_release_irq(pb, signal_gpu_va, value, irq);
}

/// Words of `pcas_launch`: two methods of one word each.
const PCAS_LAUNCH_WORDS: usize = 4;
/// Words a submission adds around its body at most: an acquire and a release (a header and
/// five words each) and the release's NON_STALL_INTERRUPT (two).
const SUBMIT_FRAME_WORDS: usize = 14;

/// SEND_PCAS_A (QMD address >> 8) + SEND_SIGNALING_PCAS2_B PREFETCH_SCHEDULE: launch the QMD.
pub fn pcas_launch(pb: &mut PushBuf, qmd_gpu_va: u64) -> Result<()> {
    if qmd_gpu_va >> 40 != 0 || !qmd_gpu_va.is_multiple_of(256) {
        return Err(Error::Unsupported(format!(
            "QMD at 0x{qmd_gpu_va:x}: SEND_PCAS_A needs a 256-B aligned VA below 2^40"
        )));
    }
    pb.method(
        SUBC_COMPUTE,
        NVCBC0_SEND_PCAS_A,
        &[(qmd_gpu_va >> 8) as u32],
    );
    pb.method(
        SUBC_COMPUTE,
        NVCBC0_SEND_SIGNALING_PCAS2_B,
        &[NVCBC0_SEND_SIGNALING_PCAS2_B_PCAS_ACTION_PREFETCH_SCHEDULE],
    );
    Ok(())
}

impl Drop for NvBackend {
    fn drop(&mut self) {
        // Everything must be idle before its memory goes back; after a fault, free nothing and
        // let the interface's own teardown release the lot.
        if self.dev.synchronize().is_err() {
            return;
        }
        let mut mems: Vec<Mem> = self.bufs.drain().map(|(_, m)| m).collect();
        mems.extend(self.staging.take());
        mems.extend(self.arena.take().map(|a| a.mem));
        mems.extend(self.mark_pool.take().map(|p| p.into_mem()));
        mems.extend(self.replays.drain(..).map(|r| r.mem));
        for m in mems {
            let _ = self.dev.free(m);
        }
        for m in self.modules.drain(..) {
            let _ = m.unload(&mut self.dev);
        }
    }
}
