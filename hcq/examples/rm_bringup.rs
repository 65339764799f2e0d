//! Bring-up of the RM path on a real GPU, one step per argument:
//!   rm_bringup [--trace FILE] [--no-virtmem] [--qmd-type N] [--no-cbuf-dims] [--smem B] STEP...
//! STEP: open | copy | compute | fault | hang
//! --virtmem also maps every buffer into RM's virtmem object (tinygrad's way; not needed).
//! Pushbuffer words are encoded inline here (method names from NVIDIA's class headers) so this
//! program depends on nothing but `hcq::rm`; the queue layer (hcq-core) replaces them.

use hcq::rm::{RmIface, RmOptions};
use hcq::{Channel, Engine, HcqError, Iface, Mem, MemPlace};
use std::sync::atomic::{fence, Ordering};
use std::time::{Duration, Instant};

// Host class (clc86f.h / clc56f.h), subchannel 0.
const NVC86F_SEM_ADDR_LO: u32 = 0x5C;
/// SEM_EXECUTE: RELEASE | RELEASE_WFI_EN | PAYLOAD_SIZE_64BIT | RELEASE_TIMESTAMP_EN.
const SEM_EXECUTE_RELEASE_WFI_64_TS: u32 = 0x0310_0001;
const NVC86F_SET_OBJECT: u32 = 0x0;
// Compute class (clcbc0.h), subchannel 1.
const SUBC_COMPUTE: u32 = 1;
const NVCBC0_SET_SHADER_SHARED_MEMORY_WINDOW_A: u32 = 0x2A0;
const NVCBC0_SET_SHADER_LOCAL_MEMORY_WINDOW_A: u32 = 0x7B0;
const NVCBC0_INVALIDATE_SHADER_CACHES_NO_WFI: u32 = 0x1698;
const NVCBC0_SEND_PCAS_A: u32 = 0x2B4;
const NVCBC0_SEND_SIGNALING_PCAS2_B: u32 = 0x2C0;
const PCAS_ACTION_PREFETCH_SCHEDULE: u32 = 9;
// Copy class (clc8b5.h), subchannel 4.
const SUBC_COPY: u32 = 4;
const NVC8B5_SET_SEMAPHORE_A: u32 = 0x240;
const NVC8B5_LAUNCH_DMA: u32 = 0x300;
const NVC8B5_OFFSET_IN_UPPER: u32 = 0x400;
const NVC8B5_LINE_LENGTH_IN: u32 = 0x418;
/// LAUNCH_DMA: DATA_TRANSFER_TYPE_NON_PIPELINED | SRC/DST_MEMORY_LAYOUT_PITCH.
const LAUNCH_DMA_COPY: u32 = 0x182;
/// LAUNCH_DMA: FLUSH_ENABLE | SEMAPHORE_TYPE_RELEASE_FOUR_WORD_SEMAPHORE.
const LAUNCH_DMA_SEMAPHORE: u32 = 0x14;

const SHARED_WINDOW: u64 = 0x7294_0000_0000;
const LOCAL_WINDOW: u64 = 0x7293_0000_0000;

struct Opts {
    trace: Option<String>,
    virtmem: bool,
    qmd_type: u32,
    cbuf_dims: bool,
    smem_b: u32,
    steps: Vec<String>,
}

/// A pushbuffer under construction: INC method headers (SEC_OP 1) and data words.
#[derive(Default)]
struct Push(Vec<u32>);
impl Push {
    fn m(&mut self, subc: u32, mthd: u32, data: &[u32]) -> &mut Self {
        self.0
            .push(0x2000_0000 | (data.len() as u32) << 16 | subc << 13 | mthd >> 2);
        self.0.extend_from_slice(data);
        self
    }
}

/// A channel plus its pushbuffer space and GPFIFO put pointer.
struct Ring {
    ch: Channel,
    pb: Mem,
    pb_off: u64,
    put: u32,
    name: &'static str,
}

fn hi(v: u64) -> u32 {
    (v >> 32) as u32
}
fn lo(v: u64) -> u32 {
    v as u32
}

impl Ring {
    fn new(rm: &mut RmIface, engine: Engine, name: &'static str) -> Result<Ring, HcqError> {
        let ch = rm.create_channel(engine, 1024)?;
        let pb = rm.alloc(2 << 20, MemPlace::DeviceMapped)?;
        Ok(Ring {
            ch,
            pb,
            pb_off: 0,
            put: 0,
            name,
        })
    }

    fn submit(&mut self, rm: &mut RmIface, p: &Push) -> Result<(), HcqError> {
        let bytes = p.0.len() as u64 * 4;
        if self.pb_off + bytes > self.pb.size_b {
            self.pb_off = 0; // bring-up submissions are waited on one by one, so wrapping is safe
        }
        let va = self.pb.gpu_va + self.pb_off;
        let dst = self.pb.cpu_slice()?;
        for (i, w) in p.0.iter().enumerate() {
            let o = self.pb_off as usize + i * 4;
            dst[o..o + 4].copy_from_slice(&w.to_le_bytes());
        }
        self.pb_off += (bytes + 255) & !255;
        // GP_ENTRY: GET (va bits 31:2) | GET_HI (39:32) | LEVEL=SUBROUTINE (bit 41) | LENGTH (bit 42..).
        let entry = (va & !3) | ((p.0.len() as u64) << 42) | (1 << 41);
        let slot = self.put % self.ch.ring_entries;
        fence(Ordering::SeqCst);
        // SAFETY: ring has ring_entries slots; USERD GP_PUT at +0x8C; both mapped while the channel lives.
        unsafe {
            std::ptr::write_volatile(self.ch.ring.add(slot as usize), entry);
            fence(Ordering::SeqCst);
            self.put += 1;
            std::ptr::write_volatile(
                self.ch.userd.add(0x8C) as *mut u32,
                self.put % self.ch.ring_entries,
            );
        }
        fence(Ordering::SeqCst);
        rm.ring_doorbell(&self.ch)
    }
}

/// Spin on a signal value ≥ want, checking the channel's error notifier each turn. `wide`: a
/// 64-bit payload (host semaphore release); otherwise 32 bits (the copy engine's semaphore).
fn wait(
    rm: &mut RmIface,
    ring: &Ring,
    sig: &Mem,
    want: u64,
    wide: bool,
    timeout: Duration,
    running: &str,
) -> Result<Duration, HcqError> {
    let t0 = Instant::now();
    loop {
        // SAFETY: the signal slot is 16 B of host memory mapped for the life of `sig`.
        let got = unsafe {
            if wide {
                std::ptr::read_volatile(sig.cpu as *const u64)
            } else {
                std::ptr::read_volatile(sig.cpu as *const u32) as u64
            }
        };
        if got >= want {
            return Ok(t0.elapsed());
        }
        if let Some(f) = rm.channel_fault(&ring.ch) {
            return Err(HcqError::ChannelError {
                queue: ring.name.into(),
                code: f.code,
                what: f.what,
                running: running.into(),
                last_signal: got,
            });
        }
        if t0.elapsed() > timeout {
            return Err(HcqError::Timeout {
                queue: ring.name.into(),
                signal_va: sig.gpu_va,
                want,
                got,
                waited_ms: t0.elapsed().as_millis() as u64,
                running: running.into(),
            });
        }
        std::hint::spin_loop();
    }
}

fn step_copy(rm: &mut RmIface) -> Result<(), HcqError> {
    // The copy channel joins the compute channel's group (see hcq/src/rm/channel.rs).
    let holder = rm.create_channel(Engine::Compute, 16)?;
    let mut ring = Ring::new(rm, Engine::Copy, "copy")?;
    let copy_class = rm.info().classes.copy;
    let mut sig = rm.alloc(4096, MemPlace::Host)?;
    sig.cpu_slice()?.fill(0);
    let mut p = Push::default();
    p.m(SUBC_COPY, NVC86F_SET_OBJECT, &[copy_class]);
    ring.submit(rm, &p)?;
    let mut value = 0u64;
    for mb in [1u64, 64, 256] {
        let n = mb << 20;
        let mut src = rm.alloc(n, MemPlace::Host)?;
        let vram = rm.alloc(n, MemPlace::Device)?;
        let mut dst = rm.alloc(n, MemPlace::Host)?;
        for (i, c) in src.cpu_slice()?.chunks_exact_mut(4).enumerate() {
            c.copy_from_slice(&((i as u32).wrapping_mul(2654435761) ^ mb as u32).to_le_bytes());
        }
        dst.cpu_slice()?.fill(0xAB);
        let mut times = Vec::new();
        for (from, to) in [(src.gpu_va, vram.gpu_va), (vram.gpu_va, dst.gpu_va)] {
            value += 1;
            let mut p = Push::default();
            p.m(
                SUBC_COPY,
                NVC8B5_OFFSET_IN_UPPER,
                &[hi(from), lo(from), hi(to), lo(to)],
            );
            p.m(SUBC_COPY, NVC8B5_LINE_LENGTH_IN, &[n as u32]);
            p.m(SUBC_COPY, NVC8B5_LAUNCH_DMA, &[LAUNCH_DMA_COPY]);
            // Four-word semaphore: payload (low 32 bits) at +0, timestamp at +8.
            p.m(
                SUBC_COPY,
                NVC8B5_SET_SEMAPHORE_A,
                &[hi(sig.gpu_va), lo(sig.gpu_va), value as u32],
            );
            p.m(SUBC_COPY, NVC8B5_LAUNCH_DMA, &[LAUNCH_DMA_SEMAPHORE]);
            ring.submit(rm, &p)?;
            times.push(wait(
                rm,
                &ring,
                &sig,
                value as u32 as u64,
                false,
                Duration::from_secs(10),
                "copy",
            )?);
        }
        let same = src.cpu_slice()? == dst.cpu_slice()?;
        println!(
            "copy {mb} MiB host->vram {:.3} ms ({:.1} GB/s), vram->host {:.3} ms ({:.1} GB/s): {}",
            times[0].as_secs_f64() * 1e3,
            n as f64 / times[0].as_secs_f64() / 1e9,
            times[1].as_secs_f64() * 1e3,
            n as f64 / times[1].as_secs_f64() / 1e9,
            if same {
                "data identical"
            } else {
                "DATA DIFFERS"
            }
        );
        rm.free(dst)?;
        rm.free(vram)?;
        rm.free(src)?;
        if !same {
            return Err(HcqError::Unsupported(format!(
                "copy round trip of {mb} MiB returned different data"
            )));
        }
    }
    rm.free(sig)?;
    rm.free(ring.pb)?;
    rm.destroy_channel(ring.ch)?;
    rm.destroy_channel(holder)
}

/// The few cubin facts a launch needs, read with goblin.
struct Kernel {
    code_off: u64,
    regs: u32,
    param_base: u32,
}

fn load_cubin(image: &[u8], names: &[&str]) -> Result<(Vec<u8>, Vec<Kernel>), HcqError> {
    let elf =
        goblin::elf::Elf::parse(image).map_err(|e| HcqError::Cubin(format!("ELF parse: {e}")))?;
    let sec = |name: &str| {
        elf.section_headers
            .iter()
            .find(|s| elf.shdr_strtab.get_at(s.sh_name) == Some(name))
            .map(|s| &image[s.sh_offset as usize..(s.sh_offset + s.sh_size) as usize])
    };
    let mut code = Vec::new();
    let mut ks = Vec::new();
    // REGCOUNT (EIATTR 0x2F) records live in .nv.info: {u32 sym, u32 regs}; take the max (all tiny).
    let mut regs = 16u32;
    if let Some(info) = sec(".nv.info") {
        for (attr, payload) in nv_info(info) {
            if attr == 0x2F && payload.len() >= 8 {
                regs = regs.max(u32::from_le_bytes(
                    payload[4..8].try_into().unwrap_or([0; 4]),
                ));
            }
        }
    }
    for n in names {
        let text =
            sec(&format!(".text.{n}")).ok_or_else(|| HcqError::Cubin(format!("no .text.{n}")))?;
        let mut param_base = 0;
        if let Some(info) = sec(&format!(".nv.info.{n}")) {
            for (attr, payload) in nv_info(info) {
                if attr == 0x0A && payload.len() >= 6 {
                    param_base = u16::from_le_bytes([payload[4], payload[5]]) as u32;
                }
            }
        }
        if param_base == 0 {
            return Err(HcqError::Cubin(format!("{n}: no EIATTR_PARAM_CBANK")));
        }
        while code.len() % 256 != 0 {
            code.push(0);
        }
        ks.push(Kernel {
            code_off: code.len() as u64,
            regs: (regs + 1) & !1,
            param_base,
        });
        code.extend_from_slice(text);
    }
    code.resize(code.len() + 4096, 0); // instruction prefetch reads past the end
    Ok((code, ks))
}

/// .nv.info records: {u8 format, u8 attr, u16 size-or-value}; format 4 carries `size` bytes.
fn nv_info(mut b: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    while b.len() >= 4 {
        let (fmt, attr, sz) = (b[0], b[1], u16::from_le_bytes([b[2], b[3]]) as usize);
        if fmt == 4 {
            if b.len() < 4 + sz {
                break;
            }
            out.push((attr, &b[4..4 + sz]));
            b = &b[4 + sz..];
        } else {
            out.push((attr, &b[2..4]));
            b = &b[4..];
        }
    }
    out
}

/// QMD V04_00 (clcbc0qmd.h): 96 dwords; `set(hi, lo, v)` writes bits hi:lo (MW notation).
struct Qmd([u32; 96]);
impl Qmd {
    fn set(&mut self, hi_bit: u32, lo_bit: u32, v: u64) {
        for i in 0..=(hi_bit - lo_bit) {
            let bit = lo_bit + i;
            let (w, s) = ((bit / 32) as usize, bit % 32);
            self.0[w] = (self.0[w] & !(1 << s)) | ((((v >> i) & 1) as u32) << s);
        }
    }
}

struct Launch<'a> {
    k: &'a Kernel,
    code_va: u64,
    grid: u32,
    block: u32,
    params: &'a [u8],
}

/// Write cbuf0 + QMD into `arg` at `off` and return the pushbuffer launching it.
fn build_launch(o: &Opts, arg: &mut Mem, off: usize, l: &Launch) -> Result<Push, HcqError> {
    let va = arg.gpu_va + off as u64;
    let arg_va = arg.gpu_va;
    let buf = arg.cpu_slice()?;
    let cb_size = (l.k.param_base as usize + l.params.len() + 15) & !15;
    let cb = &mut buf[off..off + cb_size];
    cb.fill(0);
    // Settled on the H100 (docs/hcq-rm.md): ptxas' sm_90 SASS reads %ntid.x from c[0x0][0x0]
    // (`LDC R5, c[0x0][RZ]`): without these words 872 of 1000 outputs were wrong; with them 0.
    if o.cbuf_dims {
        // c[0x0][0x0..0xC] = blockDim; 0xC..0x18 = gridDim (CUDA's layout).
        for (i, v) in [l.block, 1, 1, l.grid, 1, 1].iter().enumerate() {
            cb[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
        }
    }
    // 0x18 / 0x20 shared / local window VAs, 0x28 stack top (every kernel starts with
    // `LDC R1, c[0x0][0x28]`): tinygrad's Ampere values, unchanged on sm_90 (kernels ran).
    cb[0x18..0x20].copy_from_slice(&SHARED_WINDOW.to_le_bytes());
    cb[0x20..0x28].copy_from_slice(&LOCAL_WINDOW.to_le_bytes());
    cb[0x28..0x2C].copy_from_slice(&0x00FF_FDC0u32.to_le_bytes());
    // c[0x0][0x208]: the 64-bit global-memory descriptor every sm_90 LDG/STG uses
    // (`ULDC.64 UR4, c[0x0][0x208]` … `STG.E desc[UR4][R2.64]`). Settled on the H100: 0 works
    // (stores to host and VRAM land, 0 of 1000 wrong), as 0 at c[0x0][0x118] does on Ampere.
    let pb = l.k.param_base as usize;
    cb[pb..pb + l.params.len()].copy_from_slice(l.params);
    let qoff = off + ((cb_size + 255) & !255);
    let qva = arg_va + qoff as u64;
    let mut q = Qmd([0; 96]);
    // QMD_TYPE: settled on the H100 — GRID_CTA (2) runs the grid; 0 (QUEUE, Mesa's V4 value)
    // lets the launch complete its semaphore but runs no CTA (1000 of 1000 outputs untouched).
    q.set(25, 23, o.qmd_type as u64); // QMD_TYPE
    q.set(568, 568, 1); // API_VISIBLE_CALL_LIMIT NO_CHECK
    q.set(583, 580, 4); // QMD_MAJOR_VERSION
    q.set(579, 576, 0); // QMD_VERSION (minor)
    q.set(543, 536, 0x90); // SASS_VERSION
    q.set(1055, 1024, l.grid as u64); // GRID_WIDTH
    q.set(1071, 1056, 1);
    q.set(1103, 1088, 1);
    q.set(1167, 1152, l.block as u64); // CTA_THREAD_DIMENSION0
    q.set(1183, 1168, 1);
    q.set(1199, 1184, 1);
    q.set(1137, 1136, 1); // CWD_MEMBAR_TYPE L1_SYSMEMBAR
    q.set(1208, 1200, l.k.regs as u64); // REGISTER_COUNT
    q.set(1215, 1211, 1); // BARRIER_COUNT
                          // SHARED_MEMORY_SIZE: tinygrad adds 0x400 "reserved" bytes; on the H100 a kernel with no
                          // shared memory ran with 0 and with 0x400 alike, so the reservation is not required there.
    q.set(601, 584, o.smem_b as u64); // SHARED_MEMORY_SIZE
    q.set(613, 608, 9); // MIN_SM_CONFIG_SHARED_MEM_SIZE (32 KiB)
    q.set(619, 614, 0x1A); // MAX (100 KiB)
    q.set(625, 620, 9); // TARGET
    let prog = l.code_va + l.k.code_off;
    q.set(1247, 1216, prog & 0xffff_ffff); // PROGRAM_ADDRESS_LOWER
    q.set(1272, 1248, prog >> 32); // PROGRAM_ADDRESS_UPPER
    q.set(416, 416, 1); // CONSTANT_BUFFER_VALID(0)
    q.set(419, 419, 1); // CONSTANT_BUFFER_INVALIDATE(0)
    q.set(1567, 1536, (va >> 6) & 0xffff_ffff); // CONSTANT_BUFFER_ADDR_LOWER_SHIFTED6(0)
    q.set(1586, 1568, va >> 38); // CONSTANT_BUFFER_ADDR_UPPER_SHIFTED6(0)
    q.set(1599, 1587, (cb_size >> 4) as u64); // CONSTANT_BUFFER_SIZE_SHIFTED4(0)
    for (i, w) in q.0.iter().enumerate() {
        buf[qoff + i * 4..qoff + i * 4 + 4].copy_from_slice(&w.to_le_bytes());
    }
    let mut p = Push::default();
    p.m(
        SUBC_COMPUTE,
        NVCBC0_INVALIDATE_SHADER_CACHES_NO_WFI,
        &[0x1011],
    );
    p.m(SUBC_COMPUTE, NVCBC0_SEND_PCAS_A, &[(qva >> 8) as u32]);
    p.m(
        SUBC_COMPUTE,
        NVCBC0_SEND_SIGNALING_PCAS2_B,
        &[PCAS_ACTION_PREFETCH_SCHEDULE],
    );
    Ok(p)
}

fn signal(p: &mut Push, sig: &Mem, value: u64) {
    p.m(
        0,
        NVC86F_SEM_ADDR_LO,
        &[
            lo(sig.gpu_va),
            hi(sig.gpu_va),
            lo(value),
            hi(value),
            SEM_EXECUTE_RELEASE_WFI_64_TS,
        ],
    );
}

const CUBIN: &[u8] = include_bytes!("ptx/bringup.sm_90.cubin");

fn step_compute(rm: &mut RmIface, o: &Opts, which: &str) -> Result<(), HcqError> {
    let (code, ks) = load_cubin(CUBIN, &["fill", "fault", "spin"])?;
    let mut code_mem = rm.alloc(code.len() as u64, MemPlace::DeviceMapped)?;
    code_mem.cpu_slice()?[..code.len()].copy_from_slice(&code);
    let mut arg = rm.alloc(1 << 20, MemPlace::DeviceMapped)?;
    let mut sig = rm.alloc(4096, MemPlace::Host)?;
    sig.cpu_slice()?.fill(0);
    let mut ring = Ring::new(rm, Engine::Compute, "compute")?;
    let class = rm.info().classes.compute;
    let mut p = Push::default();
    p.m(SUBC_COMPUTE, NVC86F_SET_OBJECT, &[class]);
    p.m(
        SUBC_COMPUTE,
        NVCBC0_SET_SHADER_SHARED_MEMORY_WINDOW_A,
        &[hi(SHARED_WINDOW), lo(SHARED_WINDOW)],
    );
    p.m(
        SUBC_COMPUTE,
        NVCBC0_SET_SHADER_LOCAL_MEMORY_WINDOW_A,
        &[hi(LOCAL_WINDOW), lo(LOCAL_WINDOW)],
    );
    signal(&mut p, &sig, 1);
    ring.submit(rm, &p)?;
    wait(
        rm,
        &ring,
        &sig,
        1,
        true,
        Duration::from_secs(5),
        "compute setup",
    )?;
    println!("compute setup methods done (class 0x{class:04x})");
    let n: u32 = 1000;
    let mut out = rm.alloc(n as u64 * 4, MemPlace::Host)?;
    // 0xEE poisons the fill output; the spin kernel waits for its flag (this buffer) to leave 0.
    out.cpu_slice()?
        .fill(if which == "hang" { 0 } else { 0xEE });
    let (k, params, grid, block, timeout) = match which {
        "compute" => {
            let mut prm = out.gpu_va.to_le_bytes().to_vec();
            prm.extend_from_slice(&n.to_le_bytes());
            prm.extend_from_slice(&7u32.to_le_bytes());
            (&ks[0], prm, n.div_ceil(128), 128, Duration::from_secs(5))
        }
        "fault" => (
            &ks[1],
            0xdead_0000_0000u64.to_le_bytes().to_vec(),
            1,
            1,
            Duration::from_secs(15),
        ),
        _ => (
            &ks[2],
            out.gpu_va.to_le_bytes().to_vec(),
            1,
            1,
            Duration::from_secs(3),
        ),
    };
    let mut p = build_launch(
        o,
        &mut arg,
        0,
        &Launch {
            k,
            code_va: code_mem.gpu_va,
            grid,
            block,
            params: &params,
        },
    )?;
    signal(&mut p, &sig, 2);
    let t0 = Instant::now();
    ring.submit(rm, &p)?;
    let r = wait(rm, &ring, &sig, 2, true, timeout, which);
    let elapsed = t0.elapsed();
    match r {
        Ok(_) => {
            let got = out.cpu_slice()?;
            let mut bad = 0;
            for i in 0..n as usize {
                let v = u32::from_le_bytes(got[i * 4..i * 4 + 4].try_into().unwrap_or([0; 4]));
                if v != 7 + i as u32 {
                    if bad < 4 {
                        println!("  out[{i}] = 0x{v:x}, want {}", 7 + i);
                    }
                    bad += 1;
                }
            }
            println!(
                "{which}: kernel done in {:.3} ms (submit to signal) qmd_type={} cbuf_dims={} smem={} regs={} param_base=0x{:x}: {} of {n} elements wrong",
                elapsed.as_secs_f64() * 1e3, o.qmd_type, o.cbuf_dims, o.smem_b, k.regs, k.param_base, bad
            );
            if which != "compute" {
                println!("{which}: UNEXPECTED: the kernel completed");
            }
        }
        Err(e) => println!(
            "{which}: error after {:.0} ms: {e}",
            elapsed.as_secs_f64() * 1e3
        ),
    }
    // Teardown in reverse order; errors print but do not stop the rest.
    for r in [
        rm.destroy_channel(ring.ch),
        rm.free(ring.pb),
        rm.free(out),
        rm.free(sig),
        rm.free(arg),
        rm.free(code_mem),
    ] {
        if let Err(e) = r {
            println!("{which}: teardown: {e}");
        }
    }
    Ok(())
}

fn parse() -> Result<Opts, String> {
    let mut o = Opts {
        trace: None,
        virtmem: false,
        qmd_type: 2,
        cbuf_dims: true,
        smem_b: 0x400,
        steps: Vec::new(),
    };
    let mut a = std::env::args().skip(1);
    while let Some(s) = a.next() {
        match s.as_str() {
            "--trace" => o.trace = Some(a.next().ok_or("--trace FILE")?),
            "--no-virtmem" => o.virtmem = false,
            "--virtmem" => o.virtmem = true,
            "--no-cbuf-dims" => o.cbuf_dims = false,
            "--qmd-type" => {
                o.qmd_type = a
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--qmd-type N")?
            }
            "--smem" => {
                o.smem_b = a
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--smem BYTES")?
            }
            "open" | "copy" | "compute" | "fault" | "hang" => o.steps.push(s),
            _ => return Err(format!("unknown argument {s}")),
        }
    }
    Ok(o)
}

fn main() {
    let o = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("usage: rm_bringup [--trace FILE] [--no-virtmem] [--qmd-type N] [--no-cbuf-dims] [--smem B] open|copy|compute|fault|hang...: {e}");
            std::process::exit(2);
        }
    };
    if let Some(t) = &o.trace {
        match std::fs::File::create(t) {
            Ok(f) => hcq::ioctl::set_trace(Some(Box::new(f))),
            Err(e) => eprintln!("trace file {t}: {e}"),
        }
    }
    let t0 = Instant::now();
    let mut rm = match RmIface::open_with(RmOptions {
        map_into_virtmem: o.virtmem,
        ..Default::default()
    }) {
        Ok(rm) => rm,
        Err(e) => {
            println!("open: {e}");
            std::process::exit(1);
        }
    };
    let i = rm.info().clone();
    println!(
        "open: {:.0} ms: {} ({}), driver {}, {} ({} SMs = {} cores / {} per SM; GR shader pipes {}, SM/TPC {}, GPCs {}, TPC/GPC {}), VRAM {} MiB, classes gpfifo 0x{:04x} compute 0x{:04x} copy 0x{:04x}, {} classes reported, virtmem mapping {}",
        t0.elapsed().as_secs_f64() * 1e3, i.name, rm.device_node(), i.driver_version, i.arch(), i.num_sms, rm.gr.core_count, rm.gr.sp_per_sm, rm.gr.shader_pipe_count, rm.gr.sm_per_tpc, rm.gr.num_gpcs, rm.gr.tpc_per_gpc,
        i.vram_b >> 20, i.classes.gpfifo, i.classes.compute, i.classes.copy, i.all_classes.len(), o.virtmem
    );
    let mut failed = false;
    for s in &o.steps {
        let r = match s.as_str() {
            "open" => {
                // Channels of both kinds come up and go away.
                let c = rm.create_channel(Engine::Compute, 1024);
                let d = rm.create_channel(Engine::Copy, 1024);
                match (c, d) {
                    (Ok(c), Ok(d)) => {
                        println!(
                            "open: compute channel token {} copy channel token {}",
                            c.doorbell_token, d.doorbell_token
                        );
                        rm.destroy_channel(d).and_then(|_| rm.destroy_channel(c))
                    }
                    (Err(e), _) | (_, Err(e)) => Err(e),
                }
            }
            "copy" => step_copy(&mut rm),
            "compute" | "fault" | "hang" => step_compute(&mut rm, &o, s),
            _ => Ok(()),
        };
        if let Err(e) = r {
            println!("{s}: FAILED: {e}");
            failed = true;
        }
    }
    let t1 = Instant::now();
    drop(rm);
    println!("teardown: {:.0} ms", t1.elapsed().as_secs_f64() * 1e3);
    std::process::exit(if failed { 1 } else { 0 });
}
