//! A recording fake nvgpu/nvmap kernel for tests (no device): it answers every ioctl the Tegra
//! interface makes as the r36 kernel would (handles with bit 31 set, fds, GPU VAs allocated
//! top-down, the characteristics of an AGX Orin 64GB ga10b), enforces the kernel's checks
//! (SETUP_BIND offsets 0, power-of-two entries, gpfifo dma-buf ≥ max(4 KiB, entries × 8)),
//! backs every mmap with host memory, and records the sequence (name + key fields).
//! `process_doorbell` plays the GPU's host: it reads the token written at +0x90 of the doorbell
//! page and fetches the new GPFIFO entries and their pushbuffer words.

use super::layout::*;
use super::sys::TegraSys;
use super::uapi::*;
use crate::error::{HcqError, Result};
use crate::gpfifo::{decode_entry, USERD_GP_GET, USERD_GP_PUT};
use bytemuck::Pod;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::sync::{Arc, Mutex, MutexGuard};

/// One recorded syscall: `name` is the ioctl's header name, or `open:<path>`, `mmap`,
/// `munmap`, `close`; `fields` the key arguments (after the call for outputs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeRecord {
    pub name: String,
    pub fields: Vec<(&'static str, u64)>,
}

impl FakeRecord {
    pub fn field(&self, key: &str) -> Option<u64> {
        self.fields.iter().find(|(k, _)| *k == key).map(|&(_, v)| v)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    Nvmap,
    Ctrl,
    As,
    Tsg,
    Channel,
    DmaBuf(u32),
}

struct Handle {
    size_b: u64,
    allocated: bool,
    flags: u32,
    backing: *mut u8,
    freed: bool,
    refs: u32,
}

#[derive(Default, Clone)]
struct FakeChannel {
    as_bound: bool,
    tsg_bound: bool,
    setup: bool,
    token: u32,
    gpfifo_fd: i32,
    userd_fd: i32,
    entries: u32,
    gp_get: u32,
    notifier: Option<(i32, u64)>,
}

struct State {
    next_fd: i32,
    fds: HashMap<i32, Node>,
    chars: NvgpuGpuCharacteristics,
    tpc_masks: Vec<u32>,
    next_handle: u32,
    handles: HashMap<u32, Handle>,
    /// GPU VA → (size, handle)
    maps: BTreeMap<u64, (u64, u32)>,
    reserved: Vec<(u64, u64)>,
    va_top: u64,
    channels: HashMap<i32, FakeChannel>,
    next_token: u32,
    doorbell: *mut u8,
    records: Vec<FakeRecord>,
    fail: Option<(String, i32)>,
}

// Raw pointers are anonymous mappings owned by the state.
unsafe impl Send for State {}

/// The fake kernel; clones share one state, so a test keeps one to inspect what the interface
/// (which owns the other) did.
#[derive(Clone)]
pub struct FakeKernel(Arc<Mutex<State>>);

impl Debug for FakeKernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FakeKernel({} records)", self.lock().records.len())
    }
}

/// Characteristics of a Jetson AGX Orin 64GB (ga10b): 2 GPCs × 4 TPCs × 2 SMs = 16 SMs.
/// arch/impl from gk20a.h (NVGPU_GPUID_GA10B 0x17B); classes from hal_ga10b_litter.c.
pub fn orin_agx_characteristics(io_coherent: bool) -> NvgpuGpuCharacteristics {
    let mut c: NvgpuGpuCharacteristics = bytemuck::Zeroable::zeroed();
    c.arch = 0x170;
    c.r#impl = 0xB;
    c.rev = 0xA1;
    c.num_gpc = 2;
    c.gpc_mask = 0b11;
    c.num_tpc_per_gpc = 4;
    c.L2_cache_size = 4 << 20;
    c.bus_type = NVGPU_GPU_BUS_TYPE_AXI;
    c.big_page_size = 64 << 10;
    c.flags = NVGPU_GPU_FLAGS_SUPPORT_TSG
        | NVGPU_GPU_FLAGS_SUPPORT_TSG_SUBCONTEXTS
        | NVGPU_GPU_FLAGS_SUPPORT_USERMODE_SUBMIT
        | NVGPU_GPU_FLAGS_SUPPORT_DETERMINISTIC_SUBMIT_NO_JOBTRACKING
        | NVGPU_GPU_FLAGS_SUPPORT_COMPUTE
        | if io_coherent {
            NVGPU_GPU_FLAGS_SUPPORT_IO_COHERENCE
        } else {
            0
        };
    c.compute_class = 0xC7C0;
    c.gpfifo_class = 0xC76F;
    c.dma_copy_class = 0xC7B5;
    c.inline_to_memory_class = 0xA140;
    c.sm_arch_sm_version = 0x807;
    c.sm_arch_warp_count = 48;
    c.gpu_va_bit_count = 40;
    c.chipname = *b"ga10b\0\0\0";
    c.max_veid_count_per_tsg = 64;
    c.max_gpfifo_entries = 1 << 20;
    c
}

fn lock(st: &Arc<Mutex<State>>) -> MutexGuard<'_, State> {
    st.lock().unwrap_or_else(|p| p.into_inner())
}

fn anon_map(len_b: usize) -> Result<*mut u8> {
    // SAFETY: a fresh private anonymous mapping; NORESERVE keeps huge fake buffers lazy.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len_b,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(HcqError::Mmap {
            what: format!("fake kernel backing of {len_b} B"),
            errno: libc::ENOMEM,
        });
    }
    Ok(p as *mut u8)
}

fn err(name: &'static str, errno: i32) -> HcqError {
    HcqError::Ioctl { name, errno }
}

impl FakeKernel {
    pub fn new(io_coherent: bool) -> FakeKernel {
        FakeKernel(Arc::new(Mutex::new(State {
            next_fd: 3,
            fds: HashMap::new(),
            chars: orin_agx_characteristics(io_coherent),
            tpc_masks: vec![0xF, 0xF],
            next_handle: 0x8000_0D00,
            handles: HashMap::new(),
            maps: BTreeMap::new(),
            reserved: Vec::new(),
            va_top: 0,
            channels: HashMap::new(),
            next_token: 0x1FF, // 511 as observed under CUDA (§3a)
            doorbell: std::ptr::null_mut(),
            records: Vec::new(),
            fail: None,
        })))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.0)
    }

    /// Everything recorded so far.
    pub fn records(&self) -> Vec<FakeRecord> {
        self.lock().records.clone()
    }

    /// Make the next ioctl named `name` fail with `errno`.
    pub fn fail_next(&self, name: &str, errno: i32) {
        self.lock().fail = Some((name.to_string(), errno));
    }

    /// GPU VA ranges mapped now (va, size).
    pub fn mappings(&self) -> Vec<(u64, u64)> {
        self.lock()
            .maps
            .iter()
            .map(|(&va, &(s, _))| (va, s))
            .collect()
    }

    /// Handles not yet freed, and fds still open (leak checks).
    pub fn live(&self) -> (usize, usize) {
        let st = self.lock();
        let handles = st.handles.values().filter(|h| !h.freed).count();
        (handles, st.fds.len())
    }

    /// Fail channel `ch_fd` as the kernel does: write a notification into the buffer given
    /// to SET_ERROR_NOTIFIER (nvgpu_set_error_notifier: info32 = code, status = 0xffff).
    pub fn inject_channel_error(&self, ch_fd: u64, code: u32) -> Result<()> {
        let st = self.lock();
        let (fd, offset) = st
            .channels
            .get(&(ch_fd as i32))
            .and_then(|c| c.notifier)
            .ok_or_else(|| {
                HcqError::Unsupported(format!("fake: channel {ch_fd} has no notifier"))
            })?;
        let p = st.backing_of_fd(fd)?;
        let n = NvgpuNotification {
            info32: code,
            status: 0xFFFF,
            ..Default::default()
        };
        // SAFETY: SET_ERROR_NOTIFIER checked offset + 16 <= the buffer's size.
        unsafe { std::ptr::write_volatile(p.add(offset as usize) as *mut NvgpuNotification, n) };
        Ok(())
    }

    /// Play the host engine once: read the token at doorbell+0x90, find its channel, fetch the
    /// GPFIFO entries between its GP_GET and USERD GP_PUT, return (token, pushbuffer words per
    /// entry), and advance GP_GET in USERD.
    pub fn process_doorbell(&self) -> Result<(u32, Vec<Vec<u32>>)> {
        let mut st = self.lock();
        if st.doorbell.is_null() {
            return Err(HcqError::Unsupported("fake: doorbell not mapped".into()));
        }
        // SAFETY: the doorbell page is a live 4 KiB host mapping.
        let token =
            unsafe { std::ptr::read_volatile(st.doorbell.add(DOORBELL_OFFSET) as *const u32) };
        let (&ch_fd, ch) = st
            .channels
            .iter()
            .find(|(_, c)| c.setup && c.token == token)
            .ok_or_else(|| HcqError::Unsupported(format!("fake: no channel has token {token}")))?;
        let mut ch = ch.clone();
        let ring = st.backing_of_fd(ch.gpfifo_fd)? as *const u64;
        let userd = st.backing_of_fd(ch.userd_fd)?;
        // SAFETY: USERD backing is ≥ 4 KiB.
        let put = unsafe { std::ptr::read_volatile(userd.add(USERD_GP_PUT) as *const u32) };
        let mut out = Vec::new();
        while ch.gp_get != put {
            // SAFETY: gp_get < entries and the ring backing holds `entries` u64s.
            let entry = unsafe { std::ptr::read_volatile(ring.add(ch.gp_get as usize)) };
            let (va, words) = decode_entry(entry);
            out.push(st.read_gpu(va, words as usize * 4)?);
            ch.gp_get = (ch.gp_get + 1) % ch.entries;
        }
        // SAFETY: as above.
        unsafe { std::ptr::write_volatile(userd.add(USERD_GP_GET) as *mut u32, ch.gp_get) };
        st.channels.insert(ch_fd, ch);
        Ok((token, out))
    }
}

impl State {
    fn backing_of_fd(&self, fd: i32) -> Result<*mut u8> {
        match self.fds.get(&fd) {
            Some(Node::DmaBuf(h)) => Ok(self.handles[h].backing),
            _ => Err(HcqError::Unsupported(format!(
                "fake: fd {fd} is no dma-buf"
            ))),
        }
    }

    fn read_gpu(&self, va: u64, len_b: usize) -> Result<Vec<u32>> {
        let (&base, &(size, h)) = self
            .maps
            .range(..=va)
            .next_back()
            .filter(|(&b, &(s, _))| va + len_b as u64 <= b + s)
            .ok_or_else(|| HcqError::Unsupported(format!("fake: GPU VA 0x{va:x} is not mapped")))?;
        let _ = size;
        let p = self.handles[&h].backing;
        let mut words = vec![0u32; len_b / 4];
        // SAFETY: [va, va+len) lies inside the mapping whose backing has `size` bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(
                p.add((va - base) as usize),
                words.as_mut_ptr() as *mut u8,
                len_b,
            )
        };
        Ok(words)
    }

    fn new_fd(&mut self, node: Node) -> i32 {
        let fd = self.next_fd;
        self.next_fd += 1;
        self.fds.insert(fd, node);
        fd
    }

    fn record(&mut self, name: &str, fields: Vec<(&'static str, u64)>) {
        self.records.push(FakeRecord {
            name: name.to_string(),
            fields,
        });
    }

    fn node(&self, fd: i32, want: Node, name: &'static str) -> Result<()> {
        match self.fds.get(&fd) {
            Some(&n) if n == want => Ok(()),
            _ => Err(err(name, libc::ENOTTY)),
        }
    }

    /// Top-down VA allocation below `va_top`, skipping reserved ranges and live mappings.
    fn alloc_va(&mut self, size_b: u64) -> Option<u64> {
        let mut top = self.va_top;
        'retry: loop {
            let va = top.checked_sub(size_b)? & !(PAGE_B - 1);
            if va < VA_RANGE_START {
                return None;
            }
            let taken = self
                .reserved
                .iter()
                .copied()
                .chain(self.maps.iter().map(|(&v, &(s, _))| (v, s)));
            for (b, s) in taken {
                if va < b + s && b < va + size_b {
                    top = b;
                    continue 'retry;
                }
            }
            self.va_top = va;
            return Some(va);
        }
    }

    fn release_handle_if_unused(&mut self, h: u32) {
        let drop_it = matches!(self.handles.get(&h), Some(x) if x.freed && x.refs == 0);
        if drop_it {
            if let Some(x) = self.handles.get_mut(&h) {
                if !x.backing.is_null() {
                    // SAFETY: the backing is an anonymous mapping of size_b bytes made by anon_map.
                    unsafe { libc::munmap(x.backing as *mut libc::c_void, x.size_b as usize) };
                    x.backing = std::ptr::null_mut();
                }
            }
        }
    }

    fn ioctl(&mut self, fd: i32, name: &'static str, req: u64, arg: &mut [u8]) -> Result<()> {
        macro_rules! args {
            ($t:ty) => {
                bytemuck::from_bytes_mut::<$t>(arg)
            };
        }
        match req {
            NVMAP_IOC_CREATE => {
                self.node(fd, Node::Nvmap, name)?;
                let a = args!(NvmapCreateHandle);
                if a.size == 0 {
                    return Err(err(name, libc::EINVAL));
                }
                let h = self.next_handle;
                self.next_handle += 1;
                self.handles.insert(
                    h,
                    Handle {
                        size_b: (a.size as u64).next_multiple_of(PAGE_B),
                        allocated: false,
                        flags: 0,
                        backing: std::ptr::null_mut(),
                        freed: false,
                        refs: 0,
                    },
                );
                let size = a.size;
                a.handle = h;
                self.record(name, vec![("size", size as u64), ("handle", h as u64)]);
            }
            NVMAP_IOC_ALLOC => {
                self.node(fd, Node::Nvmap, name)?;
                let a = *args!(NvmapAllocHandle);
                let hd = self
                    .handles
                    .get_mut(&a.handle)
                    .ok_or(err(name, libc::EINVAL))?;
                if hd.allocated || !a.align.is_power_of_two() || a.numa_nid > 64 {
                    return Err(err(name, libc::EINVAL));
                }
                hd.backing = anon_map(hd.size_b as usize)?;
                hd.allocated = true;
                hd.flags = a.flags;
                self.record(
                    name,
                    vec![
                        ("handle", a.handle as u64),
                        ("heap_mask", a.heap_mask as u64),
                        ("flags", a.flags as u64),
                        ("align", a.align as u64),
                        ("numa_nid", a.numa_nid as u32 as u64),
                    ],
                );
            }
            NVMAP_IOC_GET_FD => {
                self.node(fd, Node::Nvmap, name)?;
                let h = args!(NvmapCreateHandleFd).handle;
                match self.handles.get_mut(&h) {
                    Some(x) if x.allocated && !x.freed => x.refs += 1,
                    _ => return Err(err(name, libc::EINVAL)),
                }
                let new = self.new_fd(Node::DmaBuf(h));
                args!(NvmapCreateHandleFd).fd = new;
                self.record(name, vec![("handle", h as u64), ("fd", new as u64)]);
            }
            NVMAP_IOC_CACHE_64 => {
                self.node(fd, Node::Nvmap, name)?;
                let a = *args!(NvmapCacheOp64);
                let hd = self.handles.get(&a.handle).ok_or(err(name, libc::EINVAL))?;
                if a.len > hd.size_b || a.addr == 0 {
                    return Err(err(name, libc::EINVAL));
                }
                self.record(
                    name,
                    vec![
                        ("handle", a.handle as u64),
                        ("len", a.len),
                        ("op", a.op as u64),
                    ],
                );
            }
            NVGPU_GPU_IOCTL_GET_CHARACTERISTICS => {
                self.node(fd, Node::Ctrl, name)?;
                let a = args!(NvgpuGpuGetCharacteristics);
                let n = (a.gpu_characteristics_buf_size as usize)
                    .min(std::mem::size_of::<NvgpuGpuCharacteristics>());
                let src = bytemuck::bytes_of(&self.chars);
                // SAFETY: the caller passes a user buffer of buf_size bytes (the real kernel's
                // copy_to_user contract); the fake writes at most that many.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        src.as_ptr(),
                        a.gpu_characteristics_buf_addr as *mut u8,
                        n,
                    )
                };
                let asked = a.gpu_characteristics_buf_size;
                a.gpu_characteristics_buf_size =
                    std::mem::size_of::<NvgpuGpuCharacteristics>() as u64;
                self.record(name, vec![("gpu_characteristics_buf_size", asked)]);
            }
            NVGPU_GPU_IOCTL_GET_TPC_MASKS => {
                self.node(fd, Node::Ctrl, name)?;
                let a = args!(NvgpuGpuGetTpcMasksArgs);
                let n = (a.mask_buf_size as usize / 4).min(self.tpc_masks.len());
                // SAFETY: as for GET_CHARACTERISTICS: a user buffer of mask_buf_size bytes.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        self.tpc_masks.as_ptr(),
                        a.mask_buf_addr as *mut u32,
                        n,
                    )
                };
                let asked = a.mask_buf_size;
                a.mask_buf_size = (self.tpc_masks.len() * 4) as u32;
                self.record(name, vec![("mask_buf_size", asked as u64)]);
            }
            NVGPU_GPU_IOCTL_ALLOC_AS => {
                self.node(fd, Node::Ctrl, name)?;
                let a = *args!(NvgpuAllocAsArgs);
                let pde_ok = a.va_range_start.is_multiple_of(PDE_ALIGN_B)
                    && a.va_range_end.is_multiple_of(PDE_ALIGN_B);
                let unified = a.flags & NVGPU_GPU_IOCTL_ALLOC_AS_FLAGS_UNIFIED_VA != 0;
                if !pde_ok || (unified && a.va_range_split != 0) || a.reserved != 0 {
                    return Err(err(name, libc::EINVAL));
                }
                self.va_top = a.va_range_end;
                let as_fd = self.new_fd(Node::As);
                args!(NvgpuAllocAsArgs).as_fd = as_fd;
                self.record(
                    name,
                    vec![
                        ("big_page_size", a.big_page_size as u64),
                        ("flags", a.flags as u64),
                        ("va_range_start", a.va_range_start),
                        ("va_range_end", a.va_range_end),
                        ("va_range_split", a.va_range_split),
                        ("as_fd", as_fd as u64),
                    ],
                );
            }
            NVGPU_AS_IOCTL_GET_VA_REGIONS => {
                self.node(fd, Node::As, name)?;
                let a = args!(NvgpuAsGetVaRegionsArgs);
                let region = NvgpuAsVaRegion {
                    offset: VA_RANGE_START,
                    page_size: PAGE_B as u32,
                    reserved: 0,
                    pages: (self.va_top - VA_RANGE_START) / PAGE_B,
                };
                if a.buf_size as usize >= std::mem::size_of::<NvgpuAsVaRegion>() {
                    // SAFETY: user buffer of buf_size bytes holds at least one region.
                    unsafe { std::ptr::write(a.buf_addr as *mut NvgpuAsVaRegion, region) };
                }
                a.buf_size = std::mem::size_of::<NvgpuAsVaRegion>() as u32;
                self.record(name, vec![]);
            }
            NVGPU_AS_IOCTL_ALLOC_SPACE => {
                self.node(fd, Node::As, name)?;
                let a = *args!(NvgpuAsAllocSpaceArgs);
                if a.flags & NVGPU_AS_ALLOC_SPACE_FLAGS_FIXED_OFFSET == 0 {
                    return Err(err(name, libc::EINVAL)); // only what the port uses
                }
                let size = a.pages * a.page_size as u64;
                if self
                    .maps
                    .iter()
                    .any(|(&v, &(s, _))| v < a.o_a + size && a.o_a < v + s)
                {
                    return Err(err(name, libc::EBUSY));
                }
                self.reserved.push((a.o_a, size));
                self.record(
                    name,
                    vec![
                        ("pages", a.pages),
                        ("page_size", a.page_size as u64),
                        ("flags", a.flags as u64),
                        ("offset", a.o_a),
                    ],
                );
            }
            NVGPU_AS_IOCTL_MAP_BUFFER_EX => {
                self.node(fd, Node::As, name)?;
                let a = *args!(NvgpuAsMapBufferExArgs);
                let h = match self.fds.get(&(a.dmabuf_fd as i32)) {
                    Some(Node::DmaBuf(h)) => *h,
                    _ => return Err(err(name, libc::EINVAL)),
                };
                let size = self.handles[&h].size_b;
                let va = self.alloc_va(size).ok_or(err(name, libc::ENOMEM))?;
                self.maps.insert(va, (size, h));
                if let Some(x) = self.handles.get_mut(&h) {
                    x.refs += 1;
                }
                args!(NvgpuAsMapBufferExArgs).offset = va;
                self.record(
                    name,
                    vec![
                        ("flags", a.flags as u64),
                        ("compr_kind", a.compr_kind as u16 as u64),
                        ("incompr_kind", a.incompr_kind as u64),
                        ("dmabuf_fd", a.dmabuf_fd as u64),
                        ("page_size", a.page_size as u64),
                        ("size", size),
                        ("offset", va),
                    ],
                );
            }
            NVGPU_AS_IOCTL_UNMAP_BUFFER => {
                self.node(fd, Node::As, name)?;
                let va = args!(NvgpuAsUnmapBufferArgs).offset;
                let (_, h) = self.maps.remove(&va).ok_or(err(name, libc::EINVAL))?;
                if let Some(x) = self.handles.get_mut(&h) {
                    x.refs -= 1;
                }
                self.release_handle_if_unused(h);
                self.record(name, vec![("offset", va)]);
            }
            NVGPU_GPU_IOCTL_OPEN_TSG => {
                self.node(fd, Node::Ctrl, name)?;
                let flags = args!(NvgpuGpuOpenTsgArgs).flags;
                let tsg = self.new_fd(Node::Tsg);
                args!(NvgpuGpuOpenTsgArgs).tsg_fd = tsg as u32;
                self.record(name, vec![("flags", flags as u64), ("tsg_fd", tsg as u64)]);
            }
            NVGPU_TSG_IOCTL_CREATE_SUBCONTEXT => {
                self.node(fd, Node::Tsg, name)?;
                let a = *args!(NvgpuTsgCreateSubcontextArgs);
                self.node(a.as_fd, Node::As, name)?;
                args!(NvgpuTsgCreateSubcontextArgs).veid = 1;
                self.record(name, vec![("type", a.r#type as u64), ("veid", 1)]);
            }
            NVGPU_GPU_IOCTL_OPEN_CHANNEL => {
                self.node(fd, Node::Ctrl, name)?;
                let runlist = args!(NvgpuGpuOpenChannelArgs).channel_fd;
                let ch = self.new_fd(Node::Channel);
                self.channels.insert(ch, FakeChannel::default());
                args!(NvgpuGpuOpenChannelArgs).channel_fd = ch;
                self.record(name, vec![("runlist_id", runlist as u32 as u64)]);
            }
            NVGPU_AS_IOCTL_BIND_CHANNEL => {
                self.node(fd, Node::As, name)?;
                let ch = args!(NvgpuAsBindChannelArgs).channel_fd as i32;
                let c = self.channels.get_mut(&ch).ok_or(err(name, libc::EINVAL))?;
                c.as_bound = true;
                self.record(name, vec![]);
            }
            NVGPU_TSG_IOCTL_BIND_CHANNEL_EX => {
                self.node(fd, Node::Tsg, name)?;
                let a = *args!(NvgpuTsgBindChannelExArgs);
                let c = self
                    .channels
                    .get_mut(&a.channel_fd)
                    .ok_or(err(name, libc::EINVAL))?;
                c.tsg_bound = true;
                self.record(name, vec![("subcontext_id", a.subcontext_id as u64)]);
            }
            NVGPU_IOCTL_CHANNEL_WDT => {
                self.node(fd, Node::Channel, name)?;
                let a = *args!(NvgpuChannelWdtArgs);
                self.record(
                    name,
                    vec![
                        ("wdt_status", a.wdt_status as u64),
                        ("timeout_ms", a.timeout_ms as u64),
                    ],
                );
            }
            NVGPU_IOCTL_CHANNEL_SETUP_BIND => {
                self.node(fd, Node::Channel, name)?;
                let a = *args!(NvgpuChannelSetupBindArgs);
                let size_of = |st: &State, f: i32| match st.fds.get(&f) {
                    Some(Node::DmaBuf(h)) => Some(st.handles[h].size_b),
                    _ => None,
                };
                let (gp_b, ud_b) = (
                    size_of(self, a.gpfifo_dmabuf_fd),
                    size_of(self, a.userd_dmabuf_fd),
                );
                let usermode = a.flags & NVGPU_CHANNEL_SETUP_BIND_FLAGS_USERMODE_SUPPORT != 0;
                let min_entries = if usermode { 2 } else { 4 };
                let c = self.channels.get(&fd).cloned().unwrap_or_default();
                // The kernel's checks (ioctl_channel.c, linux-channel.c).
                let ok = c.as_bound
                    && !c.setup
                    && a.num_gpfifo_entries.is_power_of_two()
                    && a.num_gpfifo_entries >= min_entries
                    && a.userd_dmabuf_offset == 0
                    && a.gpfifo_dmabuf_offset == 0
                    && a.userd_dmabuf_fd != 0
                    && a.gpfifo_dmabuf_fd != 0
                    && matches!(gp_b, Some(s) if s >= (a.num_gpfifo_entries as u64 * 8).max(PAGE_B))
                    && ud_b.is_some();
                if !ok {
                    return Err(err(name, libc::EINVAL));
                }
                let token = self.next_token;
                self.next_token += 1;
                self.channels.insert(
                    fd,
                    FakeChannel {
                        setup: true,
                        token,
                        gpfifo_fd: a.gpfifo_dmabuf_fd,
                        userd_fd: a.userd_dmabuf_fd,
                        entries: a.num_gpfifo_entries,
                        gp_get: 0,
                        ..c
                    },
                );
                args!(NvgpuChannelSetupBindArgs).work_submit_token = token;
                self.record(
                    name,
                    vec![
                        ("num_gpfifo_entries", a.num_gpfifo_entries as u64),
                        ("num_inflight_jobs", a.num_inflight_jobs as u64),
                        ("flags", a.flags as u64),
                        ("gpfifo_size", gp_b.unwrap_or(0)),
                        ("userd_size", ud_b.unwrap_or(0)),
                        ("gpfifo_dmabuf_offset", a.gpfifo_dmabuf_offset),
                        ("userd_dmabuf_offset", a.userd_dmabuf_offset),
                        ("work_submit_token", token as u64),
                    ],
                );
            }
            NVGPU_IOCTL_CHANNEL_ALLOC_OBJ_CTX => {
                self.node(fd, Node::Channel, name)?;
                let a = *args!(NvgpuAllocObjCtxArgs);
                let c = self.channels.get(&fd).ok_or(err(name, libc::EINVAL))?;
                let known = [self.chars.compute_class, self.chars.dma_copy_class];
                if !c.setup || !known.contains(&a.class_num) {
                    return Err(err(name, libc::EINVAL));
                }
                args!(NvgpuAllocObjCtxArgs).obj_id = 0x100 + fd as u64;
                self.record(
                    name,
                    vec![("class_num", a.class_num as u64), ("flags", a.flags as u64)],
                );
            }
            NVGPU_IOCTL_CHANNEL_SET_ERROR_NOTIFIER => {
                self.node(fd, Node::Channel, name)?;
                let a = *args!(NvgpuSetErrorNotifier);
                let size = match self.fds.get(&(a.mem as i32)) {
                    Some(Node::DmaBuf(h)) => self.handles[h].size_b,
                    _ => return Err(err(name, libc::EINVAL)),
                };
                if a.offset + std::mem::size_of::<NvgpuNotification>() as u64 > size {
                    return Err(err(name, libc::EINVAL));
                }
                if let Some(c) = self.channels.get_mut(&fd) {
                    c.notifier = Some((a.mem as i32, a.offset));
                }
                self.record(name, vec![("offset", a.offset), ("size", a.size)]);
            }
            _ => return Err(err(name, libc::ENOTTY)),
        }
        Ok(())
    }
}

impl TegraSys for FakeKernel {
    fn open(&mut self, path: &str) -> Result<i32> {
        let mut st = self.lock();
        let node = match path {
            NVMAP_PATH => Node::Nvmap,
            p if super::open::CTRL_NODES.contains(&p) => Node::Ctrl,
            _ => {
                return Err(HcqError::Open {
                    path: path.to_string(),
                    errno: libc::ENOENT,
                })
            }
        };
        let fd = st.new_fd(node);
        st.record(&format!("open:{path}"), vec![("fd", fd as u64)]);
        Ok(fd)
    }

    fn ioctl<T: Pod + Debug>(
        &mut self,
        fd: i32,
        name: &'static str,
        req: u64,
        arg: &mut T,
    ) -> Result<i32> {
        let mut st = self.lock();
        if let Some((n, errno)) = st.fail.clone() {
            if n == name {
                st.fail = None;
                st.record(&format!("{name} (failed)"), vec![("errno", errno as u64)]);
                return Err(err(name, errno));
            }
        }
        let size = ((req >> 16) & 0x3FFF) as usize;
        if size != std::mem::size_of::<T>() {
            return Err(err(name, libc::EINVAL));
        }
        st.ioctl(fd, name, req, bytemuck::bytes_of_mut(arg))?;
        Ok(0)
    }

    fn ioctl_value(&mut self, fd: i32, name: &'static str, req: u64, value: u64) -> Result<i32> {
        let mut st = self.lock();
        if req != NVMAP_IOC_FREE {
            return Err(err(name, libc::ENOTTY));
        }
        st.node(fd, Node::Nvmap, name)?;
        let h = value as u32;
        match st.handles.get_mut(&h) {
            Some(x) if !x.freed => x.freed = true,
            _ => return Err(err(name, libc::EINVAL)),
        }
        st.release_handle_if_unused(h);
        st.record(name, vec![("handle", value)]);
        Ok(0)
    }

    fn mmap(&mut self, fd: i32, len_b: usize, _what: &str) -> Result<*mut u8> {
        let mut st = self.lock();
        let p = match st.fds.get(&fd).copied() {
            Some(Node::Ctrl) => {
                if !st.doorbell.is_null() {
                    return Err(HcqError::Mmap {
                        what: "fake: second mapping of the usermode region".into(),
                        errno: libc::EBUSY,
                    });
                }
                st.doorbell = anon_map(len_b.max(DOORBELL_MAP_B))?;
                st.doorbell
            }
            Some(Node::DmaBuf(h)) => {
                let x = st.handles.get_mut(&h).ok_or(HcqError::Mmap {
                    what: "fake dma-buf".into(),
                    errno: libc::EINVAL,
                })?;
                if len_b as u64 > x.size_b {
                    return Err(HcqError::Mmap {
                        what: "fake dma-buf larger than the buffer".into(),
                        errno: libc::EINVAL,
                    });
                }
                x.refs += 1;
                x.backing
            }
            _ => {
                return Err(HcqError::Mmap {
                    what: format!("fake: fd {fd} cannot be mapped"),
                    errno: libc::ENODEV,
                })
            }
        };
        st.record("mmap", vec![("len", len_b as u64)]);
        Ok(p)
    }

    fn munmap(&mut self, ptr: *mut u8, len_b: usize) -> Result<()> {
        let mut st = self.lock();
        st.record("munmap", vec![("len", len_b as u64)]);
        if ptr == st.doorbell {
            // SAFETY: the doorbell page was made by anon_map with at least len_b bytes.
            unsafe { libc::munmap(ptr as *mut libc::c_void, len_b.max(DOORBELL_MAP_B)) };
            st.doorbell = std::ptr::null_mut();
            return Ok(());
        }
        let h = st
            .handles
            .iter()
            .find(|(_, x)| x.backing == ptr)
            .map(|(&h, _)| h)
            .ok_or(HcqError::Mmap {
                what: format!("fake munmap of unknown {ptr:p}"),
                errno: libc::EINVAL,
            })?;
        if let Some(x) = st.handles.get_mut(&h) {
            x.refs -= 1;
        }
        st.release_handle_if_unused(h);
        Ok(())
    }

    fn close(&mut self, fd: i32) {
        let mut st = self.lock();
        st.record("close", vec![("fd", fd as u64)]);
        match st.fds.remove(&fd) {
            Some(Node::DmaBuf(h)) => {
                if let Some(x) = st.handles.get_mut(&h) {
                    x.refs -= 1;
                }
                st.release_handle_if_unused(h);
            }
            Some(Node::Channel) => {
                st.channels.remove(&fd);
            }
            _ => {}
        }
    }
}

const NVMAP_PATH: &str = super::open::NVMAP_NODE;

impl Drop for State {
    fn drop(&mut self) {
        for x in self.handles.values_mut() {
            if !x.backing.is_null() {
                // SAFETY: anonymous mapping of size_b bytes made by anon_map.
                unsafe { libc::munmap(x.backing as *mut libc::c_void, x.size_b as usize) };
            }
        }
        if !self.doorbell.is_null() {
            // SAFETY: as above.
            unsafe { libc::munmap(self.doorbell as *mut libc::c_void, DOORBELL_MAP_B) };
        }
    }
}
