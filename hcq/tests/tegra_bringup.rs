//! TegraIface against the recording fake kernel: the bring-up sequence of the working Orin port
//! (fixtures/tegra/bringup_sequence.txt, from tegra-nvgpu.md §3b), allocation and free order,
//! the pitfalls (VA windows before the first map and never mapped into; small gpfifo dma-bufs at
//! offset 0; FREE by value; power-of-two entries), a usermode submission's doorbell, the error
//! notifier, cache maintenance on both coherence branches, and leak-free teardown.

use hcq::tegra::fake::FakeRecord;
use hcq::tegra::layout::*;
use hcq::tegra::{FakeKernel, TegraIface, TegraPaths};
use hcq::{Engine, HcqError, Iface, MemPlace, PushBuf, Ring};

fn paths() -> TegraPaths {
    TegraPaths::find(&|p| p == "/dev/nvmap" || p == "/dev/nvhost-ctrl-gpu").unwrap()
}

fn open(io_coherent: bool) -> (FakeKernel, TegraIface<FakeKernel>) {
    let fake = FakeKernel::new(io_coherent);
    let iface = TegraIface::open_with(fake.clone(), &paths()).expect("bring-up on the fake");
    (fake, iface)
}

fn parse_num(v: &str) -> u64 {
    match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).unwrap(),
        None => v.parse().unwrap(),
    }
}

fn index_of(recs: &[FakeRecord], name: &str) -> Option<usize> {
    recs.iter().position(|r| r.name == name)
}

#[test]
fn bringup_matches_the_documented_sequence() {
    let (fake, mut iface) = open(true);
    let compute = iface.create_channel(Engine::Compute, 1024).unwrap();
    let copy = iface.create_channel(Engine::Copy, 1024).unwrap();
    let recs = fake.records();
    let expected: Vec<&str> = include_str!("fixtures/tegra/bringup_sequence.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert_eq!(
        recs.len(),
        expected.len(),
        "recorded: {:#?}",
        recs.iter().map(|r| &r.name).collect::<Vec<_>>()
    );
    for (i, (rec, line)) in recs.iter().zip(&expected).enumerate() {
        let mut parts = line.split_whitespace();
        assert_eq!(rec.name, parts.next().unwrap(), "step {i}: {line}");
        for kv in parts {
            let (k, v) = kv.split_once('=').unwrap();
            assert_eq!(
                rec.field(k),
                Some(parse_num(v)),
                "step {i} field {k}: {line}"
            );
        }
    }
    // Every channel joins the subcontext the TSG created.
    let veid = recs
        .iter()
        .find(|r| r.name == "NVGPU_TSG_IOCTL_CREATE_SUBCONTEXT")
        .and_then(|r| r.field("veid"))
        .unwrap();
    for r in recs
        .iter()
        .filter(|r| r.name == "NVGPU_TSG_IOCTL_BIND_CHANNEL_EX")
    {
        assert_eq!(r.field("subcontext_id"), Some(veid));
    }
    assert_eq!((compute.class, copy.class), (0xC7C0, 0xC7B5));
    assert_eq!(compute.ring_entries, 1024);
    assert_ne!(compute.doorbell_token, copy.doorbell_token);
    assert!(!compute.ring.is_null() && !compute.userd.is_null());
}

#[test]
fn characteristics_become_gpu_info() {
    let (_fake, iface) = open(true);
    let info = iface.info();
    assert_eq!(info.iface, "tegra");
    assert_eq!(info.sm_version, 0x807);
    assert_eq!(info.arch(), "sm_87");
    assert_eq!(info.num_sms, 16, "AGX Orin 64GB: 2 GPCs x 4 TPCs x 2 SMs");
    assert_eq!(
        (info.classes.compute, info.classes.copy, info.classes.gpfifo),
        (0xC7C0, 0xC7B5, 0xC76F)
    );
    assert!(info.unified_memory);
    assert!(
        info.name.starts_with("ga10b (nvgpu arch 0x170 impl 0xb"),
        "{}",
        info.name
    );
    assert!(info.all_classes.contains(&0xA140));
    assert!(iface.io_coherent());
}

#[test]
fn shader_windows_are_reserved_before_any_map_and_never_mapped_into() {
    let (fake, mut iface) = open(true);
    // 4 x 2 GiB top-down from 0xFFFFE00000 reaches below the shared window at 0xFE00000000.
    let mems: Vec<_> = (0..4)
        .map(|_| iface.alloc(2 << 30, MemPlace::Device).unwrap())
        .collect();
    let recs = fake.records();
    let spaces: Vec<usize> = recs
        .iter()
        .enumerate()
        .filter(|(_, r)| r.name == "NVGPU_AS_IOCTL_ALLOC_SPACE")
        .map(|(i, _)| i)
        .collect();
    let first_map = index_of(&recs, "NVGPU_AS_IOCTL_MAP_BUFFER_EX").unwrap();
    assert_eq!(spaces.len(), 2);
    assert!(spaces.iter().all(|&i| i < first_map));
    for m in &mems {
        assert!(!overlaps_window(m.gpu_va, m.size_b), "0x{:x}", m.gpu_va);
    }
    assert!(
        mems.iter().any(|m| m.gpu_va < SHARED_WINDOW_VA),
        "the test must cross the window"
    );
    for (va, size) in fake.mappings() {
        assert!(!overlaps_window(va, size));
        assert!(va >= VA_RANGE_START && va + size <= VA_RANGE_END);
    }
    for m in mems {
        iface.free(m).unwrap();
    }
}

/// The control for the test above: without the reservation the fake's top-down allocator does
/// put a buffer into the shared window, as the kernel did (the P0 pitfall).
#[test]
fn without_the_reservation_a_buffer_lands_in_the_shared_window() {
    use hcq::tegra::uapi::*;
    use hcq::tegra::TegraSys;
    let mut k = FakeKernel::new(true);
    let nvmap = k.open("/dev/nvmap").unwrap();
    let ctrl = k.open("/dev/nvhost-ctrl-gpu").unwrap();
    let mut a = NvgpuAllocAsArgs {
        flags: NVGPU_GPU_IOCTL_ALLOC_AS_FLAGS_UNIFIED_VA,
        va_range_start: VA_RANGE_START,
        va_range_end: VA_RANGE_END,
        ..Default::default()
    };
    k.ioctl(ctrl, "ALLOC_AS", NVGPU_GPU_IOCTL_ALLOC_AS, &mut a)
        .unwrap();
    let mut hit = false;
    for _ in 0..4 {
        let mut c = NvmapCreateHandle {
            size: 2 << 30,
            handle: 0,
        };
        k.ioctl(nvmap, "CREATE", NVMAP_IOC_CREATE, &mut c).unwrap();
        let mut al = NvmapAllocHandle {
            handle: c.handle,
            heap_mask: NVMAP_HEAP_IOVMM,
            flags: 2,
            align: 4096,
            numa_nid: 0,
        };
        k.ioctl(nvmap, "ALLOC", NVMAP_IOC_ALLOC, &mut al).unwrap();
        let mut g = NvmapCreateHandleFd {
            fd: 0,
            handle: c.handle,
        };
        k.ioctl(nvmap, "GET_FD", NVMAP_IOC_GET_FD, &mut g).unwrap();
        let mut m = NvgpuAsMapBufferExArgs {
            dmabuf_fd: g.fd as u32,
            compr_kind: -1,
            page_size: 4096,
            ..Default::default()
        };
        k.ioctl(a.as_fd, "MAP", NVGPU_AS_IOCTL_MAP_BUFFER_EX, &mut m)
            .unwrap();
        hit |= overlaps_window(m.offset, 2 << 30);
    }
    assert!(hit);
}

#[test]
fn alloc_and_free_follow_the_port_and_free_passes_the_handle_by_value() {
    let (fake, mut iface) = open(true);
    let n0 = fake.records().len();
    let mut m = iface.alloc(10_000, MemPlace::DeviceMapped).unwrap();
    assert_eq!(m.size_b, 12288, "rounded up to 4 KiB pages");
    m.cpu_slice().unwrap()[..4].copy_from_slice(&[1, 2, 3, 4]);
    let d = iface.alloc(4096, MemPlace::Device).unwrap();
    assert!(
        !d.cpu.is_null(),
        "unified memory: Device buffers are CPU-mapped too"
    );
    let recs = fake.records();
    let names: Vec<&str> = recs[n0..n0 + 5].iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "NVMAP_IOC_CREATE",
            "NVMAP_IOC_ALLOC",
            "NVMAP_IOC_GET_FD",
            "NVGPU_AS_IOCTL_MAP_BUFFER_EX",
            "mmap"
        ]
    );
    let handle = recs[n0].field("handle").unwrap();
    assert!(handle & 0x8000_0000 != 0, "r36 handle ids have bit 31 set");
    assert_eq!(recs[n0 + 1].field("heap_mask"), Some(0x4000_0000));
    assert_eq!(
        recs[n0 + 1].field("flags"),
        Some(1),
        "DeviceMapped: write-combined"
    );
    assert_eq!(recs[n0 + 1].field("align"), Some(4096));
    let map = &recs[n0 + 3];
    assert_eq!(map.field("flags"), Some(0));
    assert_eq!(map.field("compr_kind"), Some(0xFFFF), "NV_KIND_INVALID");
    assert_eq!(map.field("incompr_kind"), Some(0));
    assert_eq!(map.field("page_size"), Some(4096));
    assert_eq!(map.field("offset"), Some(m.gpu_va));
    assert_eq!(
        recs[n0 + 6].field("flags"),
        Some(2),
        "Device: inner-cacheable"
    );
    let n1 = recs.len();
    let va = m.gpu_va;
    iface.free(m).unwrap();
    let recs = fake.records();
    let names: Vec<&str> = recs[n1..].iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "NVGPU_AS_IOCTL_UNMAP_BUFFER",
            "munmap",
            "close",
            "NVMAP_IOC_FREE"
        ]
    );
    assert_eq!(recs[n1].field("offset"), Some(va));
    assert_eq!(recs[n1 + 3].field("handle"), Some(handle));
    iface.free(d).unwrap();
}

#[test]
fn gpfifo_buffers_are_small_dedicated_and_entries_a_power_of_two() {
    assert_eq!(gpfifo_buffer_size(1024, 0).unwrap(), 8192);
    assert_eq!(gpfifo_buffer_size(2, 0).unwrap(), 4096, "at least 4 KiB");
    assert_eq!(gpfifo_buffer_size(8192, 1 << 20).unwrap(), 65536);
    for bad in [0, 1, 3, 1000, 16384, 1 << 19] {
        assert!(gpfifo_buffer_size(bad, 0).is_err(), "{bad}");
    }
    assert!(
        gpfifo_buffer_size(1024, 512).is_err(),
        "kernel max_gpfifo_entries"
    );
    let (fake, mut iface) = open(true);
    let n0 = fake.records().len();
    let e = iface.create_channel(Engine::Compute, 3).unwrap_err();
    assert!(e.to_string().contains("power of two"), "{e}");
    assert_eq!(fake.records().len(), n0, "refused before any syscall");
    let mut chans = Vec::new();
    for (engine, entries) in [
        (Engine::Compute, 2),
        (Engine::Copy, 8192),
        (Engine::Compute, 1024),
    ] {
        chans.push(iface.create_channel(engine, entries).unwrap());
    }
    for r in fake
        .records()
        .iter()
        .filter(|r| r.name == "NVGPU_IOCTL_CHANNEL_SETUP_BIND")
    {
        let entries = r.field("num_gpfifo_entries").unwrap();
        assert!(entries.is_power_of_two() && entries >= 2);
        let size = r.field("gpfifo_size").unwrap();
        assert_eq!(
            size,
            (entries * 8).max(4096),
            "dedicated ring buffer of entries x 8 B"
        );
        assert!(size <= MAX_GPFIFO_BUF_B, "never MBs");
        assert_eq!(r.field("userd_size"), Some(4096));
        assert_eq!(r.field("gpfifo_dmabuf_offset"), Some(0));
        assert_eq!(r.field("userd_dmabuf_offset"), Some(0));
    }
    for ch in chans {
        iface.destroy_channel(ch).unwrap();
    }
}

#[test]
fn a_submission_writes_gp_put_and_rings_the_doorbell_with_the_token() {
    let (fake, mut iface) = open(true);
    let ch = iface.create_channel(Engine::Compute, 1024).unwrap();
    let token = ch.doorbell_token;
    let mut pb = PushBuf::new();
    pb.set_object(1, 0xC7C0);
    let mut mem = iface.alloc(4096, MemPlace::DeviceMapped).unwrap();
    mem.cpu_slice().unwrap()[..pb.len() * 4].copy_from_slice(bytemuck::cast_slice(pb.words()));
    iface.sync_for_device(&mem).unwrap();
    let mut ring = Ring::new(ch).unwrap();
    ring.submit(&mut iface, mem.gpu_va, pb.len() as u64)
        .unwrap();
    assert_eq!(ring.gp_put(), 1);
    let (rung, fetched) = fake.process_doorbell().unwrap();
    assert_eq!(
        rung, token,
        "doorbell page +0x90 holds the work submit token"
    );
    assert_eq!(fetched, vec![pb.words().to_vec()]);
    assert_eq!(ring.gp_get(), 1, "the fake host advanced GP_GET in USERD");
    // A second submission fetches only the new entry.
    ring.submit(&mut iface, mem.gpu_va, 2).unwrap();
    let (_, fetched) = fake.process_doorbell().unwrap();
    assert_eq!(fetched, vec![pb.words()[..2].to_vec()]);
    iface.free(mem).unwrap();
    iface.destroy_channel(ring.ch).unwrap();
}

#[test]
fn the_error_notifier_becomes_a_channel_fault() {
    let (fake, mut iface) = open(true);
    let ch = iface.create_channel(Engine::Compute, 1024).unwrap();
    assert_eq!(iface.channel_fault(&ch), None);
    fake.inject_channel_error(ch.handle, 31).unwrap();
    let f = iface.channel_fault(&ch).expect("fault");
    assert_eq!(f.code, 31);
    assert!(f.what.contains("FIFO_ERROR_MMU_ERR_FLT"), "{}", f.what);
    iface.destroy_channel(ch).unwrap();
}

#[test]
fn cache_maintenance_only_without_io_coherence_and_only_for_cached_buffers() {
    for io_coherent in [true, false] {
        let (fake, mut iface) = open(io_coherent);
        let data = iface.alloc(1 << 20, MemPlace::Device).unwrap();
        let ring = iface.alloc(4096, MemPlace::Host).unwrap();
        iface.sync_for_device(&data).unwrap();
        iface.sync_for_device(&ring).unwrap();
        let ops: Vec<FakeRecord> = fake
            .records()
            .into_iter()
            .filter(|r| r.name == "NVMAP_IOC_CACHE_64")
            .collect();
        if io_coherent {
            assert!(ops.is_empty(), "SUPPORT_IO_COHERENCE: no NVMAP_IOC_CACHE");
        } else {
            assert_eq!(ops.len(), 1, "only the inner-cacheable buffer");
            assert_eq!(ops[0].field("handle"), Some(data.handle));
            assert_eq!(ops[0].field("len"), Some(1 << 20));
            assert_eq!(ops[0].field("op"), Some(2), "NVMAP_CACHE_OP_WB_INV");
        }
        iface.free(data).unwrap();
        iface.free(ring).unwrap();
    }
}

#[test]
fn a_failed_channel_step_is_named_and_leaks_nothing() {
    let (fake, mut iface) = open(true);
    let before = fake.live();
    fake.fail_next("NVGPU_IOCTL_CHANNEL_ALLOC_OBJ_CTX", libc::EINVAL);
    let e = iface.create_channel(Engine::Compute, 1024).unwrap_err();
    assert_eq!(
        e,
        HcqError::Ioctl {
            name: "NVGPU_IOCTL_CHANNEL_ALLOC_OBJ_CTX",
            errno: libc::EINVAL
        }
    );
    assert_eq!(
        fake.live(),
        before,
        "channel fd and its three buffers released"
    );
}

#[test]
fn teardown_releases_every_handle_and_fd() {
    let fake = FakeKernel::new(true);
    {
        let mut iface = TegraIface::open_with(fake.clone(), &paths()).unwrap();
        let ch = iface.create_channel(Engine::Compute, 1024).unwrap();
        let _kept = iface.create_channel(Engine::Copy, 256).unwrap();
        let a = iface.alloc(1 << 16, MemPlace::Host).unwrap();
        let _b = iface.alloc(1 << 16, MemPlace::Device).unwrap();
        iface.free(a).unwrap();
        let n0 = fake.records().len();
        iface.destroy_channel(ch).unwrap();
        let recs = fake.records();
        assert_eq!(
            recs[n0].name, "close",
            "the channel fd closes before its buffers go"
        );
        assert_eq!(
            recs[n0..]
                .iter()
                .filter(|r| r.name == "NVMAP_IOC_FREE")
                .count(),
            3
        );
        // `_kept`, `_b`, the doorbell page and every fd go with the interface.
    }
    assert_eq!(fake.live(), (0, 0));
    assert!(fake.mappings().is_empty());
}

#[test]
fn open_fails_cleanly_when_a_node_is_missing() {
    assert!(
        matches!(TegraPaths::find(&|_| false), Err(HcqError::NoDevice(m)) if m.contains("/dev/nvhost-ctrl-gpu") && m.contains("/dev/nvgpu/igpu0/ctrl"))
    );
    let v2 = TegraPaths::find(&|p| p == "/dev/nvmap" || p == "/dev/nvgpu/igpu0/ctrl").unwrap();
    assert_eq!(v2.ctrl, "/dev/nvgpu/igpu0/ctrl");
    let fake = FakeKernel::new(true);
    fake.fail_next("NVGPU_GPU_IOCTL_ALLOC_AS", libc::ENOMEM);
    let e = TegraIface::open_with(fake.clone(), &paths()).err().unwrap();
    assert_eq!(
        e,
        HcqError::Ioctl {
            name: "NVGPU_GPU_IOCTL_ALLOC_AS",
            errno: libc::ENOMEM
        }
    );
    assert_eq!(fake.live(), (0, 0), "nvmap and ctrl fds closed");
}
