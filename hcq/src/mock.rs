//! A recording `Iface` with no device: memory is host memory behind fake GPU VAs, channels have
//! real rings and USERD pages, and `ring_doorbell` plays the GPU: it fetches the new GPFIFO
//! entries, decodes their pushbuffers and executes what matters for tests (SET_OBJECT,
//! semaphore release/acquire, copy LAUNCH_DMA, SEND_PCAS_A launches with their QMD releases),
//! recording everything. It can be told to fault or to hang to exercise the error paths.

use crate::classes::*;
use crate::error::{HcqError, Result};
use crate::gpfifo::{decode_entry, USERD_GP_GET, USERD_GP_PUT};
use crate::iface::{Channel, ChannelFault, Classes, Engine, GpuInfo, Iface, Mem, MemPlace};
use crate::pushbuf::{decode, MethodWrite};
use crate::qmd::{Qmd, QmdVersion};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

/// A kernel launch the mock saw.
#[derive(Debug, Clone)]
pub struct MockLaunch {
    pub channel: u64,
    pub qmd_gpu_va: u64,
    pub qmd: Qmd,
    /// Constant buffer 0 as it was in memory at launch time.
    pub cbuf0: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockCopy {
    pub channel: u64,
    pub src_gpu_va: u64,
    pub dst_gpu_va: u64,
    pub size_b: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReleaseSource {
    Host,
    CopyEngine,
    Qmd,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockRelease {
    pub channel: u64,
    pub gpu_va: u64,
    pub value: u64,
    pub source: ReleaseSource,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockAcquire {
    pub channel: u64,
    pub gpu_va: u64,
    pub want: u64,
}

/// Everything recorded so far.
#[derive(Debug, Default)]
pub struct MockLog {
    pub set_objects: Vec<(u64, u32, u32)>,
    pub methods: Vec<(u64, MethodWrite)>,
    pub launches: Vec<MockLaunch>,
    pub copies: Vec<MockCopy>,
    pub releases: Vec<MockRelease>,
    pub acquires: Vec<MockAcquire>,
    pub doorbells: u64,
    /// Pushbuffer problems the mock found (each also faults the channel).
    pub errors: Vec<String>,
}

struct MockMem {
    gpu_va: u64,
    size_b: u64,
    /// u64 storage so every buffer is 8-byte aligned.
    data: Box<[u64]>,
}

#[derive(Default)]
struct ChanState {
    /// Host semaphore methods latched so far.
    sem: HashMap<u32, u32>,
    /// Compute / copy method state (last value per method).
    regs: HashMap<(u32, u32), u32>,
    bound: [u32; 8],
    /// Resume point inside the current entry after a stalled acquire.
    resume_method: usize,
}

struct MockChannel {
    engine: Engine,
    ring: Box<[u64]>,
    userd: Box<[u64]>,
    st: ChanState,
}

struct State {
    mems: Vec<MockMem>,
    channels: HashMap<u64, MockChannel>,
    next_va: u64,
    next_handle: u64,
    log: MockLog,
    fault: Option<ChannelFault>,
    hang: bool,
    born: Instant,
}

/// Shared view of the mock for tests (the `MockGpu` itself moves into a Device).
#[derive(Clone)]
pub struct MockHandle(Arc<Mutex<State>>);

pub struct MockGpu {
    info: GpuInfo,
    st: Arc<Mutex<State>>,
}

fn lock(st: &Arc<Mutex<State>>) -> MutexGuard<'_, State> {
    // A poisoned lock only means a test panicked while holding it; the data is still usable.
    st.lock().unwrap_or_else(|p| p.into_inner())
}

impl MockGpu {
    /// A mock of an sm_90 H100 (`sm_version` 0x900: Hopper classes) or an Ampere-class GPU
    /// (anything else: C56F/C7C0/C7B5, as Orin).
    /// A mock of an iGPU whose memory the CPU shares (`GpuInfo::unified_memory`, as on Orin).
    pub fn new_unified(sm_version: u32) -> MockGpu {
        let mut m = MockGpu::new(sm_version);
        m.info.unified_memory = true;
        m
    }

    pub fn new(sm_version: u32) -> MockGpu {
        let classes = if sm_version >= 0x900 {
            Classes {
                gpfifo: HOPPER_CHANNEL_GPFIFO_A,
                compute: HOPPER_COMPUTE_A,
                copy: HOPPER_DMA_COPY_A,
            }
        } else {
            Classes {
                gpfifo: AMPERE_CHANNEL_GPFIFO_A,
                compute: AMPERE_COMPUTE_B,
                copy: AMPERE_DMA_COPY_B,
            }
        };
        let info = GpuInfo {
            iface: "mock",
            name: format!("mock sm_{}{}", sm_version >> 8, sm_version & 0xff),
            driver_version: "mock".into(),
            sm_version,
            num_sms: 8,
            vram_b: 1 << 30,
            classes,
            all_classes: vec![classes.gpfifo, classes.compute, classes.copy],
            unified_memory: false,
            shader_windows: crate::iface::ShaderWindows::DESKTOP,
        };
        let st = State {
            mems: Vec::new(),
            channels: HashMap::new(),
            next_va: 0x10_0000_0000,
            next_handle: 1,
            log: MockLog::default(),
            fault: None,
            hang: false,
            born: Instant::now(),
        };
        MockGpu {
            info,
            st: Arc::new(Mutex::new(st)),
        }
    }

    pub fn handle(&self) -> MockHandle {
        MockHandle(self.st.clone())
    }
}

impl MockHandle {
    /// Run `f` on the log.
    pub fn log<R>(&self, f: impl FnOnce(&MockLog) -> R) -> R {
        f(&lock(&self.0).log)
    }
    /// From now on every channel reports this fault.
    pub fn inject_fault(&self, code: u32, what: &str) {
        lock(&self.0).fault = Some(ChannelFault {
            code,
            what: what.into(),
        });
    }
    /// While set, the "GPU" fetches nothing: no entry is consumed, no semaphore released.
    pub fn set_hang(&self, hang: bool) {
        lock(&self.0).hang = hang;
    }
    /// Read `len` bytes of mock memory at `gpu_va`.
    pub fn read(&self, gpu_va: u64, len: usize) -> Result<Vec<u8>> {
        let st = lock(&self.0);
        let (m, off) = find(&st.mems, gpu_va, len as u64)?;
        Ok(bytemuck::cast_slice::<u64, u8>(&st.mems[m].data)[off..off + len].to_vec())
    }
    pub fn live_allocations(&self) -> usize {
        lock(&self.0).mems.len()
    }
}

fn le_words(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn find(mems: &[MockMem], va: u64, len: u64) -> Result<(usize, usize)> {
    mems.iter()
        .position(|m| va >= m.gpu_va && va + len <= m.gpu_va + m.size_b)
        .map(|i| (i, (va - mems[i].gpu_va) as usize))
        .ok_or_else(|| {
            HcqError::Unsupported(format!("mock MMU fault: {len} B at 0x{va:x} is not mapped"))
        })
}

impl State {
    fn bytes(&mut self, va: u64, len: u64) -> Result<&mut [u8]> {
        let (m, off) = find(&self.mems, va, len)?;
        Ok(
            &mut bytemuck::cast_slice_mut::<u64, u8>(&mut self.mems[m].data)
                [off..off + len as usize],
        )
    }
    fn read_u64(&mut self, va: u64) -> Result<u64> {
        Ok(u64::from_le_bytes(
            self.bytes(va, 8)?.try_into().unwrap_or([0; 8]),
        ))
    }
    fn write(&mut self, va: u64, data: &[u8]) -> Result<()> {
        self.bytes(va, data.len() as u64)?.copy_from_slice(data);
        Ok(())
    }
    fn ptimer_ns(&self) -> u64 {
        self.born.elapsed().as_nanos() as u64 + 1
    }
    fn release(
        &mut self,
        ch: u64,
        va: u64,
        value: u64,
        ts: bool,
        bytes: usize,
        source: ReleaseSource,
    ) -> Result<()> {
        self.write(va, &value.to_le_bytes()[..bytes])?;
        if ts {
            let t = self.ptimer_ns();
            self.write(va + 8, &t.to_le_bytes())?;
        }
        self.log.releases.push(MockRelease {
            channel: ch,
            gpu_va: va,
            value,
            source,
        });
        Ok(())
    }

    /// Run every channel until none makes progress (an acquire on one may wait for another).
    fn run_all(&mut self) {
        loop {
            let ids: Vec<u64> = self.channels.keys().copied().collect();
            let mut progress = false;
            for id in ids {
                progress |= self.run_channel(id);
            }
            if !progress {
                break;
            }
        }
    }

    /// Consume this channel's entries up to GP_PUT; false when nothing moved.
    fn run_channel(&mut self, id: u64) -> bool {
        let mut progress = false;
        loop {
            let Some(c) = self.channels.get(&id) else {
                return progress;
            };
            let n = c.ring.len() as u32;
            let userd: &[u32] = bytemuck::cast_slice(&c.userd);
            let (get, put) = (userd[USERD_GP_GET / 4], userd[USERD_GP_PUT / 4]);
            if get == put {
                return progress;
            }
            let (va, len) = decode_entry(c.ring[get as usize % n as usize]);
            let start = c.st.resume_method;
            match self.run_pushbuf(id, va, len, start) {
                Ok(None) => {}
                Ok(Some(stalled_at)) => {
                    if let Some(c) = self.channels.get_mut(&id) {
                        progress |= c.st.resume_method != stalled_at;
                        c.st.resume_method = stalled_at;
                    }
                    return progress;
                }
                Err(e) => {
                    self.log.errors.push(format!("channel {id}: {e}"));
                    self.fault = Some(ChannelFault {
                        code: 31,
                        what: e.to_string(),
                    });
                }
            }
            progress = true;
            if let Some(c) = self.channels.get_mut(&id) {
                c.st.resume_method = 0;
                let userd: &mut [u32] = bytemuck::cast_slice_mut(&mut c.userd);
                userd[USERD_GP_GET / 4] = (get + 1) % n;
            }
        }
    }

    /// Execute the methods of one pushbuffer from `start`; Some(i) = stalled at method i.
    fn run_pushbuf(&mut self, id: u64, va: u64, len: u64, start: usize) -> Result<Option<usize>> {
        let words: Vec<u32> = le_words(self.bytes(va, len * 4)?);
        let methods = decode(&words)?;
        for (i, m) in methods.iter().enumerate().skip(start) {
            if !self.exec(id, m)? {
                return Ok(Some(i));
            }
        }
        Ok(None)
    }

    /// One method; false = an acquire that is not yet satisfied.
    fn exec(&mut self, id: u64, m: &MethodWrite) -> Result<bool> {
        self.log.methods.push((id, *m));
        let c = self
            .channels
            .get_mut(&id)
            .ok_or_else(|| HcqError::Unsupported("mock: channel gone".into()))?;
        if m.mthd == NVC86F_SET_OBJECT {
            c.st.bound[m.subc as usize] = m.value;
            self.log.set_objects.push((id, m.subc, m.value));
            return Ok(true);
        }
        if m.mthd < 0x100 {
            // Host class methods (valid on any subchannel).
            c.st.sem.insert(m.mthd, m.value);
            if m.mthd != NVC86F_SEM_EXECUTE {
                return Ok(true);
            }
            let s = &c.st.sem;
            let g = |k| *s.get(&k).unwrap_or(&0) as u64;
            let va = (g(NVC86F_SEM_ADDR_HI) << 32) | (g(NVC86F_SEM_ADDR_LO) & !3);
            let payload = (g(NVC86F_SEM_PAYLOAD_HI) << 32) | g(NVC86F_SEM_PAYLOAD_LO);
            let wide = m.value & NVC86F_SEM_EXECUTE_PAYLOAD_SIZE_64BIT != 0;
            let payload = if wide { payload } else { payload & 0xFFFF_FFFF };
            return match m.value & NVC86F_SEM_EXECUTE_OPERATION_MASK {
                NVC86F_SEM_EXECUTE_OPERATION_RELEASE => {
                    let ts = m.value & NVC86F_SEM_EXECUTE_RELEASE_TIMESTAMP_EN != 0;
                    self.release(
                        id,
                        va,
                        payload,
                        ts,
                        if wide { 8 } else { 4 },
                        ReleaseSource::Host,
                    )?;
                    Ok(true)
                }
                NVC86F_SEM_EXECUTE_OPERATION_ACQ_CIRC_GEQ
                | NVC86F_SEM_EXECUTE_OPERATION_ACQ_STRICT_GEQ => {
                    let have = self.read_u64(va)?;
                    let have = if wide { have } else { have & 0xFFFF_FFFF };
                    let met = if m.value & 7 == NVC86F_SEM_EXECUTE_OPERATION_ACQ_CIRC_GEQ {
                        (have.wrapping_sub(payload) as i64) >= 0
                    } else {
                        have >= payload
                    };
                    if met {
                        self.log.acquires.push(MockAcquire {
                            channel: id,
                            gpu_va: va,
                            want: payload,
                        });
                    }
                    Ok(met)
                }
                op => Err(HcqError::Unsupported(format!(
                    "mock: SEM_EXECUTE operation {op} not modelled"
                ))),
            };
        }
        let class = c.st.bound[m.subc as usize];
        if class == 0 {
            return Err(HcqError::Unsupported(format!(
                "method 0x{:x} on subchannel {} before SET_OBJECT",
                m.mthd, m.subc
            )));
        }
        c.st.regs.insert((m.subc, m.mthd), m.value);
        let reg = |st: &ChanState, k: u32| *st.regs.get(&(m.subc, k)).unwrap_or(&0) as u64;
        match (m.subc, m.mthd) {
            (SUBC_COMPUTE, NVCBC0_SEND_SIGNALING_PCAS2_B) => {
                let qmd_va = reg(&c.st, NVCBC0_SEND_PCAS_A) << 8;
                let version = crate::classes::qmd_version_for(class);
                self.launch(id, qmd_va, version)?;
            }
            (SUBC_COPY, NVC8B5_LAUNCH_DMA) => {
                let st = &c.st;
                let src = (reg(st, NVC8B5_OFFSET_IN_UPPER) << 32) | reg(st, NVC8B5_OFFSET_IN_LOWER);
                let dst =
                    (reg(st, NVC8B5_OFFSET_OUT_UPPER) << 32) | reg(st, NVC8B5_OFFSET_OUT_LOWER);
                let n = reg(st, NVC8B5_LINE_LENGTH_IN);
                let sem_va =
                    (reg(st, NVC8B5_SET_SEMAPHORE_A) << 32) | reg(st, NVC8B5_SET_SEMAPHORE_B);
                let payload = (reg(st, NVC8B5_SET_SEMAPHORE_PAYLOAD_UPPER) << 32)
                    | reg(st, NVC8B5_SET_SEMAPHORE_PAYLOAD);
                let l = m.value;
                if launch_dma::data_transfer_type(l) != launch_dma::DATA_TRANSFER_TYPE_NONE {
                    if l & launch_dma::MULTI_LINE_ENABLE_TRUE != 0 {
                        return Err(HcqError::Unsupported(
                            "mock: multi-line copies not modelled".into(),
                        ));
                    }
                    let data = self.bytes(src, n)?.to_vec();
                    self.write(dst, &data)?;
                    self.log.copies.push(MockCopy {
                        channel: id,
                        src_gpu_va: src,
                        dst_gpu_va: dst,
                        size_b: n,
                    });
                }
                let wide = l & launch_dma::SEMAPHORE_PAYLOAD_SIZE_64_BIT != 0;
                let v = if wide { payload } else { payload & 0xFFFF_FFFF };
                match launch_dma::semaphore_type(l) {
                    launch_dma::SEMAPHORE_TYPE_NONE => {}
                    launch_dma::SEMAPHORE_TYPE_RELEASE_ONE_WORD_SEMAPHORE => {
                        self.release(id, sem_va, v, false, 4, ReleaseSource::CopyEngine)?
                    }
                    _ => self.release(id, sem_va, v, true, 8, ReleaseSource::CopyEngine)?,
                }
            }
            _ => {}
        }
        Ok(true)
    }

    fn launch(&mut self, id: u64, qmd_va: u64, version: QmdVersion) -> Result<()> {
        let mut qmd_va = qmd_va;
        // Follow dependent-QMD chains (bounded, so a cycle cannot hang the mock).
        for _ in 0..1024 {
            let words: Vec<u32> = le_words(self.bytes(qmd_va, version.size_b() as u64)?);
            let qmd = Qmd::from_words(version, &words)?;
            let cbuf0 = if qmd.get(crate::qmd::Field::ConstantBufferValid(0))? == 1 {
                let size = qmd.get(crate::qmd::Field::ConstantBufferSizeShifted4(0))? << 4;
                self.bytes(qmd.cbuf_address(0)?, size)?.to_vec()
            } else {
                Vec::new()
            };
            let next = if qmd.get(crate::qmd::Field::DependentQmdEnable(0))? == 1 {
                Some(qmd.get(crate::qmd::Field::DependentQmdPointer(0))? << 8)
            } else {
                None
            };
            let releases: Vec<(u64, u64, bool)> = (0..2)
                .filter_map(|i| {
                    let (va, v) = qmd.release(i).ok().flatten()?;
                    Some((va, v, qmd.release_adds(i).ok()?))
                })
                .collect();
            self.log.launches.push(MockLaunch {
                channel: id,
                qmd_gpu_va: qmd_va,
                qmd,
                cbuf0,
            });
            for (va, v, adds) in releases {
                if adds {
                    // A one-word reduction: the 32-bit word grows by the payload, no timestamp.
                    let b = self.bytes(va, 4)?;
                    let now = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                    self.release(
                        id,
                        va,
                        now.wrapping_add(v as u32) as u64,
                        false,
                        4,
                        ReleaseSource::Qmd,
                    )?;
                } else {
                    self.release(id, va, v, true, 8, ReleaseSource::Qmd)?;
                }
            }
            match next {
                Some(n) => qmd_va = n,
                None => return Ok(()),
            }
        }
        Err(HcqError::Unsupported(
            "mock: dependent QMD chain longer than 1024".into(),
        ))
    }
}

impl Iface for MockGpu {
    fn info(&self) -> &GpuInfo {
        &self.info
    }

    fn alloc(&mut self, size_b: u64, place: MemPlace) -> Result<Mem> {
        let size_b = size_b.max(1).div_ceil(4096) * 4096;
        let mut st = lock(&self.st);
        let gpu_va = st.next_va;
        // Leave an unmapped 64 KiB guard after every buffer so overruns fault.
        st.next_va += size_b + 0x1_0000;
        let mut data = vec![0u64; (size_b / 8) as usize].into_boxed_slice();
        let cpu = if place == MemPlace::Device {
            std::ptr::null_mut()
        } else {
            data.as_mut_ptr() as *mut u8
        };
        let handle = st.next_handle;
        st.next_handle += 1;
        st.mems.push(MockMem {
            gpu_va,
            size_b,
            data,
        });
        Ok(Mem {
            gpu_va,
            cpu,
            size_b,
            place,
            handle,
        })
    }

    fn free(&mut self, mem: Mem) -> Result<()> {
        let mut st = lock(&self.st);
        let i = st
            .mems
            .iter()
            .position(|m| m.gpu_va == mem.gpu_va)
            .ok_or_else(|| {
                HcqError::Unsupported(format!(
                    "mock free: nothing allocated at 0x{:x}",
                    mem.gpu_va
                ))
            })?;
        st.mems.swap_remove(i);
        Ok(())
    }

    fn create_channel(&mut self, engine: Engine, entries: u32) -> Result<Channel> {
        if !entries.is_power_of_two() {
            return Err(HcqError::Unsupported(format!(
                "mock channel: {entries} entries is not a power of two"
            )));
        }
        let mut st = lock(&self.st);
        let handle = st.next_handle;
        st.next_handle += 1;
        let ring_gpu_va = st.next_va;
        st.next_va += entries as u64 * 8 + 0x1_0000;
        let mut c = MockChannel {
            engine,
            ring: vec![0u64; entries as usize].into_boxed_slice(),
            userd: vec![0u64; 0x200 / 8].into_boxed_slice(),
            st: ChanState::default(),
        };
        let ch = Channel {
            engine,
            class: match engine {
                Engine::Compute => self.info.classes.compute,
                Engine::Copy => self.info.classes.copy,
            },
            ring: c.ring.as_mut_ptr(),
            ring_gpu_va,
            ring_entries: entries,
            userd: c.userd.as_mut_ptr() as *mut u8,
            doorbell_token: handle as u32,
            handle,
        };
        st.channels.insert(handle, c);
        Ok(ch)
    }

    fn destroy_channel(&mut self, ch: Channel) -> Result<()> {
        lock(&self.st).channels.remove(&ch.handle);
        Ok(())
    }

    fn ring_doorbell(&mut self, ch: &Channel) -> Result<()> {
        let mut st = lock(&self.st);
        st.log.doorbells += 1;
        if !st.channels.contains_key(&ch.handle) {
            return Err(HcqError::Unsupported(format!(
                "mock doorbell: no channel {}",
                ch.handle
            )));
        }
        if st.hang || st.fault.is_some() {
            return Ok(());
        }
        st.run_all();
        Ok(())
    }

    fn channel_fault(&mut self, _ch: &Channel) -> Option<ChannelFault> {
        lock(&self.st).fault.clone()
    }
}

impl std::fmt::Debug for MockGpu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = lock(&self.st);
        let engines: Vec<Engine> = st.channels.values().map(|c| c.engine).collect();
        write!(
            f,
            "MockGpu({}, {} buffers, channels {:?})",
            self.info.name,
            st.mems.len(),
            engines
        )
    }
}
