//! Queues against the recording mock: build once, submit many times with patched values, and
//! check what the "GPU" saw; error paths (hang → Timeout, fault → ChannelError, full ring).

use hcq::classes::*;
use hcq::device::Device;
use hcq::gpfifo::Ring;
use hcq::iface::{Engine, Iface, MemPlace};
use hcq::mock::{MockGpu, MockHandle, ReleaseSource};
use hcq::pushbuf::PushBuf;
use hcq::qmd::{Field, Qmd};
use hcq::queue::{ComputeQueue, CopyQueue};
use hcq::HcqError;
use std::time::Instant;

fn device(sm: u32) -> (Device, MockHandle) {
    let mock = MockGpu::new(sm);
    let h = mock.handle();
    (Device::new(Box::new(mock)).expect("mock device"), h)
}

#[test]
fn device_binds_classes_per_subchannel() {
    for (sm, compute, copy) in [
        (0x900, HOPPER_COMPUTE_A, HOPPER_DMA_COPY_A),
        (0x807, AMPERE_COMPUTE_B, AMPERE_DMA_COPY_B),
    ] {
        let (dev, h) = device(sm);
        let objs: Vec<(u32, u32)> =
            h.log(|l| l.set_objects.iter().map(|&(_, s, c)| (s, c)).collect());
        assert_eq!(objs, vec![(SUBC_COMPUTE, compute), (SUBC_COPY, copy)]);
        assert_eq!(dev.timeline.value(), 2, "two setup submissions");
        assert_eq!(dev.timeline_value, 2);
    }
}

#[test]
fn copy_queue_replayed_100_times_with_patched_addresses() {
    let (mut dev, h) = device(0x900);
    let mut src = dev.alloc(100 * 64, MemPlace::Host).unwrap();
    let mut dst = dev.alloc(100 * 64, MemPlace::Host).unwrap();
    for (i, b) in src.cpu_slice().unwrap().iter_mut().enumerate() {
        *b = (i * 7 + 3) as u8;
    }
    let sig = dev.new_signal().unwrap();
    let mut q = CopyQueue::new("copy");
    let slots = q.copy(dst.gpu_va, src.gpu_va, 64).unwrap();
    let done = q.signal(&sig, 0).unwrap();
    let copies_before = h.log(|l| l.copies.len());
    for i in 0..100u64 {
        let v = q
            .submit(
                &mut dev,
                &[
                    (slots.src, src.gpu_va + 64 * i),
                    (slots.dst, dst.gpu_va + 64 * (99 - i)),
                    (done, 1000 + i),
                ],
            )
            .unwrap();
        assert_eq!(v, dev.timeline_value);
        dev.synchronize().unwrap();
        assert_eq!(sig.value(), 1000 + i);
        assert!(sig.timestamp_ns() > 0);
    }
    let s = src.cpu_slice().unwrap().to_vec();
    let d = dst.cpu_slice().unwrap();
    for i in 0..100 {
        assert_eq!(
            &d[64 * (99 - i)..64 * (100 - i)],
            &s[64 * i..64 * (i + 1)],
            "chunk {i}"
        );
    }
    h.log(|l| {
        let copies = &l.copies[copies_before..];
        assert_eq!(copies.len(), 100);
        for (i, c) in copies.iter().enumerate() {
            assert_eq!(
                (c.src_gpu_va, c.dst_gpu_va, c.size_b),
                (
                    src.gpu_va + 64 * i as u64,
                    dst.gpu_va + 64 * (99 - i as u64),
                    64
                )
            );
        }
        let mine: Vec<u64> = l
            .releases
            .iter()
            .filter(|r| r.gpu_va == sig.gpu_va)
            .map(|r| r.value)
            .collect();
        assert_eq!(mine, (1000..1100).collect::<Vec<_>>());
        assert!(l.errors.is_empty(), "{:?}", l.errors);
    });
    // Building after the first submit is refused rather than silently ignored.
    assert!(q.copy(dst.gpu_va, src.gpu_va, 4).is_err());
}

#[test]
fn copy_engine_semaphore_writes_64_bit_value_and_timestamp() {
    let (mut dev, h) = device(0x807);
    let sig = dev.new_signal().unwrap();
    let mut q = CopyQueue::new("ce signal");
    let s = q.signal_ce(&sig, 0).unwrap();
    for v in [5u64, 0x1_0000_0006] {
        q.submit(&mut dev, &[(s, v)]).unwrap();
        dev.synchronize().unwrap();
        assert_eq!(sig.value(), v);
        assert!(sig.timestamp_ns() > 0);
    }
    h.log(|l| {
        assert_eq!(
            l.releases
                .iter()
                .filter(|r| r.source == ReleaseSource::CopyEngine)
                .count(),
            2
        )
    });
}

#[test]
fn large_copies_are_chunked_at_2_gib() {
    let mut q = CopyQueue::new("big");
    q.copy(0x20_0000_0000, 0x10_0000_0000, 5 << 30).unwrap();
    let w = hcq::pushbuf::decode(q.words()).unwrap();
    let lens: Vec<u32> = w
        .iter()
        .filter(|m| m.mthd == NVC8B5_LINE_LENGTH_IN)
        .map(|m| m.value)
        .collect();
    assert_eq!(lens, vec![1 << 31, 1 << 31, 1 << 30]);
    let lo_in: Vec<u32> = w
        .iter()
        .filter(|m| m.mthd == NVC8B5_OFFSET_IN_LOWER)
        .map(|m| m.value)
        .collect();
    assert_eq!(lo_in, vec![0, 1 << 31, 0]);
    let launches = w
        .iter()
        .filter(|m| m.mthd == NVC8B5_LAUNCH_DMA && m.value == 0x182)
        .count();
    assert_eq!(launches, 3);
}

fn test_qmd(dev: &Device) -> Qmd {
    let mut qmd = Qmd::new(dev.qmd_version);
    qmd.set_program(0x10_0000_0000, 0x100).unwrap();
    qmd.set_grid([1, 1, 1]).unwrap();
    qmd.set_block([128, 1, 1]).unwrap();
    qmd
}

#[test]
fn compute_queue_replayed_100_times_with_patched_args_and_grid() {
    for sm in [0x900, 0x807] {
        let (mut dev, h) = device(sm);
        let qmd = test_qmd(&dev);
        let param_base = if sm == 0x900 { 0x210 } else { 0x160 };
        let mut cbuf0 = vec![0u8; param_base + 16];
        cbuf0[param_base..param_base + 8].copy_from_slice(&0xAAAA_0000u64.to_le_bytes());
        let sig = dev.new_signal().unwrap();
        let mut q = ComputeQueue::new("decode");
        q.memory_barrier().unwrap();
        let l = q.launch(&mut dev, &qmd, &cbuf0).unwrap();
        let ptr = q.arg_slot(l, param_base, 8).unwrap();
        let n = q.arg_slot(l, param_base + 8, 4).unwrap();
        let gx = q.qmd_slot(l, Field::GridWidth).unwrap();
        let done = q.signal(&sig, 0).unwrap();
        for i in 0..100u64 {
            q.submit(
                &mut dev,
                &[
                    (ptr, 0x7000_0000 + i * 256),
                    (n, i),
                    (gx, i + 1),
                    (done, 5000 + i),
                ],
            )
            .unwrap();
        }
        dev.synchronize().unwrap();
        assert_eq!(sig.value(), 5099);
        assert_eq!(q.qmd_field(l, Field::GridWidth).unwrap(), 100);
        h.log(|log| {
            assert_eq!(log.launches.len(), 100);
            for (i, launch) in log.launches.iter().enumerate() {
                let i = i as u64;
                let p = &launch.cbuf0[param_base..];
                assert_eq!(
                    u64::from_le_bytes(p[..8].try_into().unwrap()),
                    0x7000_0000 + i * 256
                );
                assert_eq!(u32::from_le_bytes(p[8..12].try_into().unwrap()) as u64, i);
                assert_eq!(launch.qmd.grid().unwrap(), [i as u32 + 1, 1, 1]);
                assert_eq!(launch.qmd.block().unwrap(), [128, 1, 1]);
                assert_eq!(launch.qmd.program_address().unwrap(), 0x10_0000_0000);
                assert_eq!(
                    launch.qmd.get(Field::QmdMajorVersion).unwrap(),
                    if sm == 0x900 { 4 } else { 3 }
                );
            }
            let barriers = log
                .methods
                .iter()
                .filter(|(_, m)| m.mthd == NVCBC0_INVALIDATE_SHADER_CACHES_NO_WFI)
                .count();
            assert_eq!(barriers, 100);
            assert!(log.errors.is_empty(), "{:?}", log.errors);
        });
        q.destroy(&mut dev).unwrap();
    }
}

#[test]
fn qmd_release_signals_and_dependent_chains() {
    let (mut dev, h) = device(0x900);
    let sig = dev.new_signal().unwrap();
    let mut q = ComputeQueue::new("release");
    let mut qmd = test_qmd(&dev);
    qmd.set_release(0, sig.gpu_va, 77).unwrap();
    q.launch(&mut dev, &qmd, &[0u8; 0x220]).unwrap();
    q.submit(&mut dev, &[]).unwrap();
    dev.synchronize().unwrap();
    assert_eq!(sig.value(), 77);
    h.log(|l| {
        assert!(l
            .releases
            .iter()
            .any(|r| r.source == ReleaseSource::Qmd && r.value == 77))
    });
}

#[test]
fn cross_queue_wait_orders_copy_after_compute() {
    let (mut dev, h) = device(0x900);
    let flag = dev.new_signal().unwrap();
    let mut cq = ComputeQueue::new("producer");
    let s = cq.signal(&flag, 0).unwrap();
    let mut xq = CopyQueue::new("consumer");
    let w = xq.wait(&flag, 0).unwrap();
    let mut a = dev.alloc(4096, MemPlace::Host).unwrap();
    let b = dev.alloc(4096, MemPlace::Host).unwrap();
    a.cpu_slice().unwrap()[0] = 42;
    xq.copy(b.gpu_va, a.gpu_va, 16).unwrap();
    for i in 1..=5u64 {
        cq.submit(&mut dev, &[(s, i)]).unwrap();
        xq.submit(&mut dev, &[(w, i)]).unwrap();
    }
    dev.synchronize().unwrap();
    h.log(|l| {
        let acq: Vec<u64> = l
            .acquires
            .iter()
            .filter(|a| a.gpu_va == flag.gpu_va)
            .map(|a| a.want)
            .collect();
        assert_eq!(acq, vec![1, 2, 3, 4, 5]);
    });
    assert_eq!(h.read(b.gpu_va, 1).unwrap(), vec![42]);
}

#[test]
fn hang_times_out_naming_queue_signal_and_kernel() {
    let (mut dev, h) = device(0x900);
    dev.timeout_ms = 50;
    let sig = dev.new_signal().unwrap();
    let mut q = ComputeQueue::new("matvec_q4k");
    let done = q.signal(&sig, 0).unwrap();
    h.set_hang(true);
    q.submit(&mut dev, &[(done, 9)]).unwrap();
    let t = Instant::now();
    let e = dev.wait_signal(&sig, 9, "compute").unwrap_err();
    assert!(t.elapsed().as_millis() < 5_000);
    match e {
        HcqError::Timeout {
            queue,
            signal_va,
            want,
            got,
            waited_ms,
            running,
        } => {
            assert_eq!(
                (queue.as_str(), signal_va, want, got),
                ("compute", sig.gpu_va, 9, 0)
            );
            assert!(waited_ms >= 50, "{waited_ms}");
            assert_eq!(running, "matvec_q4k");
        }
        other => panic!("wanted Timeout, got {other:?}"),
    }
}

#[test]
fn injected_fault_becomes_channel_error_quickly() {
    let (mut dev, h) = device(0x900);
    dev.timeout_ms = 30_000;
    let sig = dev.new_signal().unwrap();
    let mut q = ComputeQueue::new("bad_kernel");
    let done = q.signal(&sig, 0).unwrap();
    h.set_hang(true);
    q.submit(&mut dev, &[(done, 3)]).unwrap();
    h.inject_fault(31, "MMU fault at 0xdead000");
    let t = Instant::now();
    let e = dev.wait_signal(&sig, 3, "compute").unwrap_err();
    assert!(
        t.elapsed().as_millis() < 1_000,
        "fault must end the wait at once"
    );
    match e {
        HcqError::ChannelError {
            queue,
            code,
            what,
            running,
            last_signal,
        } => {
            assert_eq!(
                (queue.as_str(), code, running.as_str(), last_signal),
                ("compute", 31, "bad_kernel", 0)
            );
            assert!(what.contains("MMU"));
        }
        other => panic!("wanted ChannelError, got {other:?}"),
    }
}

#[test]
fn bad_pushbuffer_faults_the_channel() {
    let (mut dev, h) = device(0x900);
    dev.timeout_ms = 10_000;
    // A copy from an unmapped VA: the mock faults like an MMU would.
    let mut q = CopyQueue::new("wild copy");
    let b = dev.alloc(4096, MemPlace::Host).unwrap();
    q.copy(b.gpu_va, 0xFF_0000_0000, 64).unwrap();
    q.submit(&mut dev, &[]).unwrap();
    let e = dev.synchronize().unwrap_err();
    assert!(
        matches!(e, HcqError::ChannelError { code: 31, .. }),
        "{e:?}"
    );
    assert!(h.log(|l| l.errors[0].contains("0xff00000000")));
}

#[test]
fn ring_wraps_and_full_ring_times_out() {
    let mut mock = MockGpu::new(0x900);
    let h = mock.handle();
    let mut pbm = mock.alloc(4096, MemPlace::DeviceMapped).unwrap();
    let mut pb = PushBuf::new();
    pb.set_object(SUBC_COPY, HOPPER_DMA_COPY_A);
    pbm.cpu_slice().unwrap()[..pb.len() * 4].copy_from_slice(bytemuck::cast_slice(pb.words()));
    let mut ring = Ring::new(mock.create_channel(Engine::Copy, 8).unwrap()).unwrap();
    for _ in 0..20 {
        ring.submit(&mut mock, pbm.gpu_va, pb.len() as u64).unwrap();
    }
    assert_eq!(
        h.log(|l| l.set_objects.len()),
        20,
        "every entry executed across 2.5 wraps"
    );
    assert_eq!(ring.pending(), 0);
    h.set_hang(true);
    ring.full_timeout_ms = 30;
    for _ in 0..7 {
        ring.submit(&mut mock, pbm.gpu_va, pb.len() as u64).unwrap();
    }
    assert_eq!(ring.pending(), 7);
    let e = ring
        .submit(&mut mock, pbm.gpu_va, pb.len() as u64)
        .unwrap_err();
    assert!(matches!(e, HcqError::Timeout { .. }), "{e:?}");
    assert!(e.to_string().contains("ring full"), "{e}");
}
