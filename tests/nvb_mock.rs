//! The nv backend on hcq's recording mock GPU (no device): what a launch writes (QMD fields and
//! bank 0 as the "GPU" read them), copies through the staging buffer, timing marks, the prebuilt
//! replay, and the error paths (hang → timeout naming queue, values and kernel; fault).

use hcq::classes::{NVCBC0_SEND_PCAS_A, NVCBC0_WAIT_FOR_IDLE};
use hcq::qmd::sm_config_encoding;
use hcq::qmd::Field;
use hcq::{MockGpu, MockHandle, QmdVersion};
use kernlab::gpu::backend::CapSizing;
use kernlab::gpu::nv::prepare::ctas_per_sm;
use kernlab::gpu::nv::{Carveout, GridMembar, NvBackend, NvOptions, ReplayOrder};
use kernlab::gpu::{Arg, Backend, Launch};

fn fixture(name: &str) -> Vec<u8> {
    let p = format!("{}/hcq/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn backend(sm_version: u32) -> (NvBackend, MockHandle) {
    backend_with(sm_version, ReplayOrder::ComputeWfi)
}

fn backend_with(sm_version: u32, replay_order: ReplayOrder) -> (NvBackend, MockHandle) {
    backend_from(
        MockGpu::new(sm_version),
        NvOptions {
            replay_order,
            ..mock_options()
        },
    )
}

/// What every mock backend starts from: a small arena and staging buffer, and a short timeout
/// so that a fence the backend misses fails the test quickly instead of stalling it.
fn mock_options() -> NvOptions {
    NvOptions {
        arena_slots: 8,
        staging_b: 1 << 16,
        timeout_ms: 300,
        ..NvOptions::default()
    }
}

fn backend_from(gpu: MockGpu, opts: NvOptions) -> (NvBackend, MockHandle) {
    let h = gpu.handle();
    (NvBackend::with_iface(Box::new(gpu), opts).unwrap(), h)
}

/// An sm_90 mock backend with the carve-out policy `policy` and the cap sizing `sizing`.
fn carveout_backend(policy: Carveout, sizing: CapSizing) -> (NvBackend, MockHandle) {
    backend_from(
        MockGpu::new(0x900),
        NvOptions {
            carveout: policy,
            cap_sizing: sizing,
            ..mock_options()
        },
    )
}

/// Launches `l`, waits, and returns the QMD the mock GPU read.
fn launched_qmd(b: &mut NvBackend, h: &MockHandle, l: &Launch) -> hcq::Qmd {
    b.launch(l).unwrap();
    b.sync().unwrap();
    h.log(|log| log.launches.last().unwrap().qmd.clone())
}

/// Builds a replay of `copies` store3 launches, runs it once and returns the QMDs it submitted,
/// in launch order.
fn replay_store3_qmds(b: &mut NvBackend, h: &MockHandle, copies: usize) -> Vec<hcq::Qmd> {
    let out = b.alloc(4096).unwrap();
    let l = store3(b, out, 16, 1.0);
    let id = b.build_replay(&vec![l; copies]).unwrap();
    let before = h.log(|l| l.launches.len());
    b.replay(id).unwrap();
    b.sync().unwrap();
    h.log(|log| {
        log.launches[before..]
            .iter()
            .map(|x| x.qmd.clone())
            .collect()
    })
}

/// CWD_MEMBAR_TYPE of every launch the mock saw from launch `before` on.
fn membar_types_since(h: &MockHandle, before: usize) -> Vec<u64> {
    h.log(|log| {
        log.launches[before..]
            .iter()
            .map(|x| x.qmd.get(hcq::Field::CwdMembarType).unwrap())
            .collect()
    })
}

/// CWD_MEMBAR_TASK_CHASING_ENABLE of each launch since `before` (0 where the QMD has no such field).
fn task_chasing_since(h: &MockHandle, before: usize) -> Vec<u64> {
    h.log(|log| {
        log.launches[before..]
            .iter()
            .map(|x| {
                x.qmd
                    .get(hcq::Field::CwdMembarTaskChasingEnable)
                    .unwrap_or(0)
            })
            .collect()
    })
}

/// Whether ptxas is here to assemble registry kernels; without it, `test` says it skips.
fn ptxas_here(test: &str) -> bool {
    let found = kernlab::ptx::toolchain::find_ptxas().is_some();
    if !found {
        eprintln!("SKIP {test}: no ptxas");
    }
    found
}

/// Builds a replay of `launches`, runs it once and returns the CWD_MEMBAR_TYPE of each grid.
fn replay_membar_types(b: &mut NvBackend, h: &MockHandle, launches: &[Launch]) -> Vec<u64> {
    let id = b.build_replay(launches).unwrap();
    let before = h.log(|l| l.launches.len());
    b.replay(id).unwrap();
    b.sync().unwrap();
    membar_types_since(h, before)
}

fn store3(b: &mut NvBackend, out: kernlab::gpu::Buf, n: u32, scale: f32) -> Launch {
    let cubin = if b.info().arch == "sm_90" {
        fixture("store3.sm_90.cubin")
    } else {
        fixture("store3.sm_87.cubin")
    };
    let k = b.load_cubin(&cubin, "store3").unwrap();
    Launch::linear(
        k,
        n.div_ceil(64),
        64,
        vec![Arg::Buf(out), Arg::U32(n), Arg::F32(scale)],
    )
}

/// A launch repeated as it was is built once and reused: each repetition still lands in a slot
/// of its own with its QMD pointing at that slot's bank 0, and bank 0 as the GPU read it is the
/// same; a changed argument is seen by the very next launch, and the old one again after it.
#[test]
fn a_repeated_launch_reuses_its_build_with_each_slots_bank0() {
    let (mut b, h) = backend(0x900);
    let out = b.alloc(4096).unwrap();
    let l = store3(&mut b, out, 16, 1.0);
    let mut other = l.clone();
    other.args[2] = Arg::F32(2.0);
    let seen: Vec<(u64, u64, Vec<u8>)> = [&l, &l, &l, &other, &l]
        .into_iter()
        .map(|x| {
            let q = launched_qmd(&mut b, &h, x);
            let (qmd_va, cbuf0) = h.log(|g| {
                let last = g.launches.last().unwrap();
                (last.qmd_gpu_va, last.cbuf0.clone())
            });
            (q.cbuf_address(0).unwrap(), qmd_va, cbuf0)
        })
        .collect();
    for (cbuf_va, qmd_va, _) in &seen {
        // Bank 0 sits at the start of the QMD's own slot (QMD at +0xE00).
        assert_eq!(*cbuf_va + 0xE00, *qmd_va);
    }
    let slots: std::collections::HashSet<u64> = seen.iter().map(|s| s.0).collect();
    assert_eq!(slots.len(), 5, "each launch takes the next slot");
    let param = |c: &[u8]| f32::from_le_bytes(c[0x210 + 12..0x210 + 16].try_into().unwrap());
    let scales: Vec<f32> = seen.iter().map(|s| param(&s.2)).collect();
    assert_eq!(scales, [1.0, 1.0, 1.0, 2.0, 1.0]);
    assert_eq!(seen[0].2, seen[2].2);
}

#[test]
fn launch_writes_qmd_and_bank0_v4_on_hopper_v3_on_ampere() {
    for (sm, version, param_base) in [
        (0x900, QmdVersion::V4, 0x210),
        (0x807, QmdVersion::V3, 0x160),
    ] {
        let (mut b, h) = backend(sm);
        assert_eq!(b.info().backend, "nv");
        let out = b.alloc(4096).unwrap();
        let l = store3(&mut b, out, 1000, 2.5);
        b.launch(&l).unwrap();
        b.sync().unwrap();
        let seen = h.log(|log| log.launches.clone());
        assert_eq!(seen.len(), 1, "sm 0x{sm:x}");
        let q = &seen[0].qmd;
        assert_eq!(q.version, version);
        assert_eq!(q.grid().unwrap(), [16, 1, 1]);
        assert_eq!(q.block().unwrap(), [64, 1, 1]);
        if version == QmdVersion::V4 {
            assert_eq!(q.get(Field::QmdType).unwrap(), 2, "GRID_CTA");
        }
        let c = &seen[0].cbuf0;
        let u32_at = |o: usize| u32::from_le_bytes(c[o..o + 4].try_into().unwrap());
        let u64_at = |o: usize| u64::from_le_bytes(c[o..o + 8].try_into().unwrap());
        assert_eq!((u32_at(0), u32_at(4), u32_at(8)), (64, 1, 1), "ntid");
        assert_eq!(
            (u32_at(0xC), u32_at(0x10), u32_at(0x14)),
            (16, 1, 1),
            "nctaid"
        );
        assert_eq!(u64_at(param_base), out.gpu_va, "out");
        assert_eq!(u32_at(param_base + 8), 1000, "n");
        assert_eq!(f32::from_bits(u32_at(param_base + 12)), 2.5, "scale");
    }
}

#[test]
fn wrong_arguments_are_one_line_errors() {
    let (mut b, _h) = backend(0x900);
    let out = b.alloc(64).unwrap();
    let mut l = store3(&mut b, out, 4, 1.0);
    l.args.pop();
    let e = b.launch(&l).unwrap_err().to_string();
    assert!(e.contains("store3 takes 3 parameters, got 2"), "{e}");
    l.args.push(Arg::U64(1));
    let e = b.launch(&l).unwrap_err().to_string();
    assert!(e.contains("parameter 2 is 4 B"), "{e}");
    l.args[2] = Arg::F32(1.0);
    l.block = [2048, 1, 1];
    let e = b.launch(&l).unwrap_err().to_string();
    assert!(e.contains("2048 threads"), "{e}");
}

#[test]
fn upload_download_round_trip_in_staging_chunks_and_dtod_copy() {
    let (mut b, h) = backend(0x900);
    // 200 KiB through a 64 KiB staging buffer: 4 chunks each way.
    let n = 200 * 1024;
    let data: Vec<u8> = (0..n).map(|i| (i * 7 % 251) as u8).collect();
    let a = b.alloc(n as u64).unwrap();
    let c = b.alloc(n as u64).unwrap();
    b.upload(a, &data).unwrap();
    b.copy(c, a, n as u64).unwrap();
    let mut back = vec![0u8; n];
    b.download(c, &mut back).unwrap();
    assert!(back == data, "round trip differs");
    let copies = h.log(|l| l.copies.clone());
    assert_eq!(copies.len(), 4 + 1 + 4);
    assert!(copies
        .iter()
        .any(|cp| cp.src_gpu_va == a.gpu_va && cp.dst_gpu_va == c.gpu_va && cp.size_b == n as u64));
    // Too large for the buffer: refused before anything is queued.
    let e = b.upload(a, &vec![0u8; n + 1]).unwrap_err().to_string();
    assert!(e.contains("upload"), "{e}");
}

/// KERNLAB_NV_COPY_SIGNAL=ce: every copy submission ends with the copy engine's own 64-bit
/// release of the timeline (none from the host class on the copy channel), the data still
/// round-trips, and compute work after it still waits for it. With the default, the host does.
#[test]
fn copies_signal_from_the_copy_engine_when_asked() {
    use hcq::mock::ReleaseSource;
    for by_engine in [false, true] {
        let (mut b, h) = backend_from(
            MockGpu::new(0x900),
            NvOptions {
                copy_release_by_engine: by_engine,
                ..mock_options()
            },
        );
        // (copy-engine releases, host releases on the copy channel) so far: the device's own
        // setup released the copy channel from the host before any copy.
        let count = |h: &MockHandle| {
            h.log(|l| {
                let copy_channel = l.copies.first().map(|c| c.channel);
                (
                    l.releases
                        .iter()
                        .filter(|r| r.source == ReleaseSource::CopyEngine)
                        .count(),
                    l.releases
                        .iter()
                        .filter(|r| {
                            r.source == ReleaseSource::Host && Some(r.channel) == copy_channel
                        })
                        .count(),
                )
            })
        };
        let n = 100 * 1024;
        let data: Vec<u8> = (0..n).map(|i| (i * 13 % 241) as u8).collect();
        let a = b.alloc(n as u64).unwrap();
        b.upload(a, &data[..1024]).unwrap();
        let before = count(&h);
        b.upload(a, &data).unwrap();
        let m0 = b.mark().unwrap();
        let mut back = vec![0u8; n];
        b.download(a, &mut back).unwrap();
        let m1 = b.mark().unwrap();
        assert!(back == data, "round trip differs (by_engine {by_engine})");
        assert!(b.elapsed_ns(m0, m1).unwrap() >= 0.0);
        let after = count(&h);
        // 2 + 2 staging chunks of 64 KiB, each a submission of its own.
        let (ce, host) = (after.0 - before.0, after.1 - before.1);
        if by_engine {
            assert_eq!((ce, host), (4, 0));
        } else {
            assert_eq!((ce, host), (0, 4));
        }
    }
}

/// KERNLAB_NV_TIMELINE_START just under 2^32: launches, copies (host or copy-engine releases),
/// cross-channel acquires and marks all go on past 2^32, and the results are right.
#[test]
fn the_timeline_crosses_into_its_upper_word() {
    let start = (1u64 << 32) - 3;
    for by_engine in [false, true] {
        let (mut b, _h) = backend_from(
            MockGpu::new(0x900),
            NvOptions {
                copy_release_by_engine: by_engine,
                timeline_start: start,
                ..mock_options()
            },
        );
        let data: Vec<u8> = (0..8192).map(|i| (i % 199) as u8).collect();
        let a = b.alloc(8192).unwrap();
        let c = b.alloc(8192).unwrap();
        let m0 = b.mark().unwrap();
        for _ in 0..3 {
            b.upload(a, &data).unwrap();
            b.copy(c, a, 8192).unwrap();
        }
        let m1 = b.mark().unwrap();
        let mut back = vec![0u8; 8192];
        b.download(c, &mut back).unwrap();
        assert!(back == data, "by_engine {by_engine}");
        assert!(b.elapsed_ns(m0, m1).unwrap() >= 0.0);
        let now = b.device().timeline.value();
        assert!(
            now > 1 << 32 && now == b.device().timeline_value,
            "{now:#x}"
        );
    }
    // Backwards is refused.
    let (mut b, _h) = backend(0x900);
    let at = b.device().timeline_value;
    assert!(at > 0);
    let e = b
        .device()
        .restart_timeline_at(at - 1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("timeline restart"), "{e}");
}

#[test]
fn marks_give_gpu_time_and_order_after_the_copy_channel() {
    let (mut b, h) = backend(0x900);
    let a = b.alloc(4096).unwrap();
    let c = b.alloc(4096).unwrap();
    let m0 = b.mark().unwrap();
    b.copy(c, a, 4096).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2));
    let m1 = b.mark().unwrap();
    let ns = b.elapsed_ns(m0, m1).unwrap();
    assert!(
        ns >= 1e6,
        "elapsed {ns} ns, slept 2 ms between the releases"
    );
    // The copy followed compute work and the mark followed the copy: each waited for the
    // timeline value before it (cross-channel acquires).
    let acquires = h.log(|l| l.acquires.len());
    assert!(acquires >= 1, "no acquire between channels");
    b.clear_marks();
    let e = b.elapsed_ns(m0, m1).unwrap_err().to_string();
    assert!(e.contains("never recorded"), "{e}");
}

#[test]
fn replay_of_100_launches_is_built_once_and_runs_in_order() {
    // wfi: WAIT_FOR_IDLE between launches; chain: dependent QMDs, the last one adding 1 to a
    // run counter that the channel acquires before the timeline release.
    for order in [ReplayOrder::ComputeWfi, ReplayOrder::Chain] {
        let (mut b, h) = backend_with(0x900, order);
        let out = b.alloc(4096).unwrap();
        let l = store3(&mut b, out, 16, 1.0);
        let list: Vec<Launch> = (0..100)
            .map(|i| {
                let mut x = l.clone();
                x.args[1] = Arg::U32(i + 1);
                x
            })
            .collect();
        let id = b.build_replay(&list).unwrap();
        let before = h.log(|l| l.launches.len());
        // Queued back to back with no host wait: nothing of the replay is rewritten per run.
        for _ in 0..3 {
            b.replay(id).unwrap();
        }
        b.sync().unwrap();
        let (launches, wfis, qmd_releases) = h.log(|log| {
            (
                log.launches[before..].to_vec(),
                log.methods
                    .iter()
                    .filter(|(_, m)| m.subc == 1 && m.mthd == NVCBC0_WAIT_FOR_IDLE)
                    .count(),
                log.releases
                    .iter()
                    .filter(|r| r.source == hcq::mock::ReleaseSource::Qmd)
                    .map(|r| r.value)
                    .collect::<Vec<_>>(),
            )
        });
        assert_eq!(launches.len(), 300, "{order:?}");
        let pb = 0x210;
        for (i, x) in launches.iter().enumerate() {
            let n = u32::from_le_bytes(x.cbuf0[pb + 8..pb + 12].try_into().unwrap());
            assert_eq!(
                n,
                (i % 100) as u32 + 1,
                "{order:?}: launch {i} out of order"
            );
        }
        match order {
            ReplayOrder::ComputeWfi => {
                assert_eq!(wfis, 3 * 99, "a wait for idle between consecutive kernels");
                assert!(qmd_releases.is_empty());
            }
            _ => {
                assert_eq!(wfis, 0);
                assert_eq!(qmd_releases, vec![1, 2, 3], "the chain end counts its runs");
                let ends: Vec<&hcq::Qmd> = launches
                    .iter()
                    .skip(99)
                    .step_by(100)
                    .map(|x| &x.qmd)
                    .collect();
                assert_eq!(ends.len(), 3);
                for q in ends {
                    assert!(
                        q.release_adds(0).unwrap(),
                        "the chain end adds 1 (a reduction)"
                    );
                    assert_eq!(q.release(0).unwrap().unwrap().1, 1);
                    assert_eq!(q.as_bytes(), launches[99].qmd.as_bytes(), "never rewritten");
                }
            }
        }
    }
}

#[test]
fn gpu_scope_membar_between_replayed_grids_and_sys_scope_at_the_end() {
    // KERNLAB_NV_MEMBAR=gpu: every grid of a replay but the last ends with L1_MEMBAR; the last
    // one (and a lone launch) keeps L1_SYSMEMBAR so the host sees all writes at the signal.
    for (membar, order) in [
        (GridMembar::Sys, ReplayOrder::ComputeWfi),
        (GridMembar::GpuBetween, ReplayOrder::ComputeWfi),
        (GridMembar::GpuBetween, ReplayOrder::Chain),
        (GridMembar::NoneBetween, ReplayOrder::Pdl),
        (GridMembar::NoneWhereReleased, ReplayOrder::Pdl),
        (GridMembar::Chased, ReplayOrder::Pdl),
        (GridMembar::Chased, ReplayOrder::Chain),
    ] {
        let (mut b, h) = backend_from(
            MockGpu::new(0x900),
            NvOptions {
                replay_order: order,
                grid_membar: membar,
                ..mock_options()
            },
        );
        let out = b.alloc(4096).unwrap();
        let l = store3(&mut b, out, 16, 1.0);
        let id = b.build_replay(&vec![l.clone(); 5]).unwrap();
        let before = h.log(|l| l.launches.len());
        b.replay(id).unwrap();
        b.launch(&l).unwrap();
        b.sync().unwrap();
        let types = membar_types_since(&h, before);
        let want: Vec<u64> = match membar {
            GridMembar::Sys => vec![1; 6],
            GridMembar::GpuBetween => vec![3, 3, 3, 3, 1, 1],
            GridMembar::NoneBetween => vec![0, 0, 0, 0, 1, 1],
            // store3 comes from a bare cubin: nothing says it releases its writes.
            GridMembar::NoneWhereReleased => vec![1; 6],
            GridMembar::Chased => vec![3, 3, 3, 3, 1, 1],
        };
        assert_eq!(types, want, "{membar:?} {order:?}");
        // Task chasing rides only on the chased L1_MEMBARs, never on the replay's last grid.
        let chasing = task_chasing_since(&h, before);
        let want_chasing = if membar == GridMembar::Chased {
            vec![1, 1, 1, 1, 0, 0]
        } else {
            vec![0; 6]
        };
        assert_eq!(chasing, want_chasing, "{membar:?} {order:?}");
    }
}

#[test]
fn grid_end_barrier_is_dropped_only_after_kernels_that_release_their_writes() {
    // The default policy: L1_NONE after a grid whose PTX releases its writes itself (the empty
    // kernel writes nothing), L1_MEMBAR with task chasing after fill_u32 (stores, no fence),
    // L1_SYSMEMBAR after the last grid. `released` (the old default) has L1_SYSMEMBAR where the
    // default chases.
    if !ptxas_here("grid_end_barrier_is_dropped_only_after_kernels_that_release_their_writes") {
        return;
    }
    for (membar, want_types, want_chasing) in [
        (GridMembar::Chased, vec![0, 3, 0, 1], vec![0, 1, 0, 0]),
        (GridMembar::NoneWhereReleased, vec![0, 1, 0, 1], vec![0; 4]),
    ] {
        let (mut b, h) = backend_from(
            MockGpu::new(0x900),
            NvOptions {
                replay_order: ReplayOrder::Pdl,
                grid_membar: membar,
                ..mock_options()
            },
        );
        let empty = b.load(&kernlab::ptx::kernel("empty").unwrap()).unwrap();
        let fill = b.load(&kernlab::ptx::kernel("fill_u32").unwrap()).unwrap();
        assert!(b.releases_writes(empty) && !b.releases_writes(fill));
        let out = b.alloc(4096).unwrap();
        let e = Launch::linear(empty, 1, 32, vec![]);
        let f = Launch::linear(fill, 1, 256, vec![Arg::Buf(out), Arg::U64(64), Arg::U32(7)]);
        let before = h.log(|l| l.launches.len());
        let types = replay_membar_types(&mut b, &h, &[e.clone(), f, e.clone(), e]);
        assert_eq!(types, want_types, "{membar:?}");
        assert_eq!(task_chasing_since(&h, before), want_chasing, "{membar:?}");
    }
}

#[test]
fn a_lone_launch_drops_the_grid_end_barrier_only_for_a_kernel_that_writes_nothing() {
    // The empty kernel writes no global memory: its lone launch ends with L1_NONE, fill_u32's
    // with L1_SYSMEMBAR (the host may read what it wrote once the signal lands); `sys` keeps the
    // barrier on both.
    if !ptxas_here("a_lone_launch_drops_the_grid_end_barrier_only_for_a_kernel_that_writes_nothing")
    {
        return;
    }
    for (membar, want) in [(GridMembar::Chased, [0, 1]), (GridMembar::Sys, [1, 1])] {
        let (mut b, h) = backend_from(
            MockGpu::new(0x900),
            NvOptions {
                grid_membar: membar,
                ..mock_options()
            },
        );
        let empty = b.load(&kernlab::ptx::kernel("empty").unwrap()).unwrap();
        let fill = b.load(&kernlab::ptx::kernel("fill_u32").unwrap()).unwrap();
        let out = b.alloc(4096).unwrap();
        let e = launched_qmd(&mut b, &h, &Launch::linear(empty, 1, 32, vec![]));
        let f = launched_qmd(
            &mut b,
            &h,
            &Launch::linear(fill, 1, 256, vec![Arg::Buf(out), Arg::U64(64), Arg::U32(7)]),
        );
        let got = [e, f].map(|q| q.get(Field::CwdMembarType).unwrap());
        assert_eq!(got, want, "{membar:?}");
    }
}

#[test]
fn exit_fence_lets_writing_kernels_drop_the_grid_end_barrier_on_sm_90_only() {
    // KERNLAB_NV_EXIT_FENCE=release: fill_u32 is assembled with fence.release.gpu before its
    // ret, so under the default membar policy a replay drops the barrier after it too (the last
    // grid keeps L1_SYSMEMBAR). On sm_87 (no such fence) nothing changes.
    if !ptxas_here("exit_fence_lets_writing_kernels_drop_the_grid_end_barrier_on_sm_90_only") {
        return;
    }
    for (sm, order, want) in [
        (0x900, ReplayOrder::Pdl, vec![0, 0, 1]),
        // No fence on sm_87: the default's L1_MEMBAR (QMD V3: no task chasing) stays.
        (0x807, ReplayOrder::ComputeWfi, vec![3, 3, 1]),
    ] {
        let (mut b, h) = backend_from(
            MockGpu::new(sm),
            NvOptions {
                replay_order: order,
                exit_fence: true,
                ..mock_options()
            },
        );
        let fill = b.load(&kernlab::ptx::kernel("fill_u32").unwrap()).unwrap();
        assert_eq!(b.releases_writes(fill), sm == 0x900, "sm {sm:#x}");
        let out = b.alloc(4096).unwrap();
        let f = Launch::linear(fill, 1, 256, vec![Arg::Buf(out), Arg::U64(64), Arg::U32(7)]);
        let types = replay_membar_types(&mut b, &h, &[f.clone(), f.clone(), f]);
        assert_eq!(types, want, "sm {sm:#x}");
    }
}

#[test]
fn carveout_policies_set_the_sm_shared_memory_config() {
    // max: 228 KiB; fit: the smallest carve-out holding the CTAs the SM's thread and register
    // limits allow (store3 needs only the 1 KiB reservation per CTA); min: the template's;
    // fixed: the asked size rounded up to a carve-out the QMD has (120 -> 132).
    for policy in [
        Carveout::Max,
        Carveout::Fit,
        Carveout::Min,
        Carveout::Fixed(120),
    ] {
        let (mut b, h) = carveout_backend(policy, CapSizing::Even);
        let out = b.alloc(4096).unwrap();
        let l = store3(&mut b, out, 16, 1.0);
        let qmd = launched_qmd(&mut b, &h, &l);
        let target = qmd.get(hcq::Field::TargetSmConfigSharedMemSize).unwrap();
        let cta_b = qmd.get(hcq::Field::SharedMemorySize).unwrap();
        let regs = qmd.get(hcq::Field::RegisterCount).unwrap() as u32;
        let want = match policy {
            Carveout::Max => sm_config_encoding(228) as u64,
            Carveout::Fit => {
                let ctas = ctas_per_sm(0x900, l.block[0], regs) as u64;
                let kib = (ctas * cta_b).div_ceil(1024);
                let c = [8u64, 16, 32, 64, 100]
                    .into_iter()
                    .find(|&c| c >= kib)
                    .unwrap();
                assert!(c < 228, "a small kernel leaves most of the SM to L1");
                sm_config_encoding(c as u32) as u64
            }
            Carveout::Min => {
                let c = [8u64, 16, 32]
                    .into_iter()
                    .find(|&c| c * 1024 >= cta_b)
                    .unwrap();
                sm_config_encoding(c as u32) as u64
            }
            Carveout::Fixed(_) => sm_config_encoding(132) as u64,
        };
        assert_eq!(target, want, "{policy:?}");
    }
}

/// `Launch::max_blocks_per_sm`: the QMD's shared memory per CTA grows until the SM's carve-out
/// holds exactly the cap (never fewer than one, never more), the carve-out itself unchanged; the
/// default policy (164 KiB) and the largest (228 KiB), with both sizings (`KERNLAB_CAP_SHARED`:
/// even fills the SM, least is one 128-B unit from letting one more CTA in); cap 0 leaves the
/// kernel's own size.
#[test]
fn cap_on_blocks_per_sm_sizes_the_cta_shared_memory() {
    for (policy, kib, sizing) in [
        (Carveout::Fixed(164), 164u64, CapSizing::Even),
        (Carveout::Max, 228, CapSizing::Even),
        (Carveout::Fixed(164), 164, CapSizing::Least),
    ] {
        let (mut b, h) = carveout_backend(policy, sizing);
        let out = b.alloc(4096).unwrap();
        let plain = store3(&mut b, out, 16, 1.0);
        let own_b = launched_qmd(&mut b, &h, &plain)
            .get(Field::SharedMemorySize)
            .unwrap();
        assert!(
            own_b <= 2048,
            "store3 needs about the 1 KiB reservation: {own_b}"
        );
        for cap in [1u32, 2, 3, 5] {
            let l = Launch {
                max_blocks_per_sm: cap,
                ..plain.clone()
            };
            let qmd = launched_qmd(&mut b, &h, &l);
            let cta_b = qmd.get(Field::SharedMemorySize).unwrap();
            assert_eq!(cta_b % 128, 0, "{policy:?} cap {cap}: {cta_b}");
            assert_eq!(
                kib * 1024 / cta_b,
                cap as u64,
                "{policy:?} cap {cap}: {cta_b} B"
            );
            if sizing == CapSizing::Least {
                assert!(
                    kib * 1024 / (cta_b - 128) > cap as u64,
                    "cap {cap}: {cta_b} B"
                );
            }
            let enc = sm_config_encoding(kib as u32) as u64;
            assert_eq!(qmd.get(Field::TargetSmConfigSharedMemSize).unwrap(), enc);
            assert_eq!(qmd.get(Field::MaxSmConfigSharedMemSize).unwrap(), enc);
            assert!(qmd.get(Field::MinSmConfigSharedMemSize).unwrap() <= enc);
        }
    }
}

#[test]
fn pdl_replay_links_each_kernel_to_the_next_through_a_latch() {
    // pdl: a chain whose kernel i lets kernel i + 1 start at its last CTA launch and arrives at
    // latch i + 1 on completion; kernel i + 1 waits on that latch in griddepcontrol.wait. The
    // last kernel adds 1 to the run counter, as in chain. QMD V3 (Ampere/Orin) has no latches.
    let (mut b, h) = backend_with(0x900, ReplayOrder::Pdl);
    let qmds = replay_store3_qmds(&mut b, &h, 4);
    assert_eq!(qmds.len(), 4);
    let get = |q: &hcq::Qmd, f| q.get(f).unwrap();
    for (i, q) in qmds.iter().enumerate() {
        let last = i == 3;
        assert_eq!(get(q, hcq::Field::ArriveAtLatchValid), !last as u64, "{i}");
        assert_eq!(
            get(q, hcq::Field::PreExitAtLastCtaLaunch),
            !last as u64,
            "{i}"
        );
        if !last {
            assert_eq!(get(q, hcq::Field::ArriveAtLatchId), i as u64 + 1);
        }
        assert_eq!(get(q, hcq::Field::WaitOnLatchValid), (i > 0) as u64, "{i}");
        if i > 0 {
            assert_eq!(get(q, hcq::Field::WaitOnLatchId), i as u64);
            assert_eq!(
                get(q, hcq::Field::LatchAcquireInvalidateTextureDataCache),
                1
            );
        }
    }
    let (mut b3, _) = backend_with(0x807, ReplayOrder::Pdl);
    let out = b3.alloc(4096).unwrap();
    let l = store3(&mut b3, out, 16, 1.0);
    let e = b3.build_replay(&[l.clone(), l]).unwrap_err();
    assert!(e.to_string().contains("QMD V4"), "{e}");
}

#[test]
fn latch_replay_launches_every_qmd_from_the_pushbuffer_joined_by_latches() {
    // latch: pdl's latches (kernel i arrives at latch i + 1, kernel i + 1 waits on it) with no
    // dependent QMDs and no run counter: each QMD is launched by its own SEND_PCAS_A, with no
    // WAIT_FOR_IDLE between them.
    let (mut b, h) = backend_with(0x900, ReplayOrder::Latch);
    let before = h.log(|l| l.methods.len());
    let qmds = replay_store3_qmds(&mut b, &h, 4);
    assert_eq!(qmds.len(), 4);
    let get = |q: &hcq::Qmd, f| q.get(f).unwrap();
    for (i, q) in qmds.iter().enumerate() {
        let last = i == 3;
        assert_eq!(get(q, hcq::Field::DependentQmdEnable(0)), 0, "{i}");
        assert_eq!(get(q, hcq::Field::ArriveAtLatchValid), !last as u64, "{i}");
        if !last {
            assert_eq!(get(q, hcq::Field::ArriveAtLatchId), i as u64 + 1);
        }
        assert_eq!(get(q, hcq::Field::WaitOnLatchValid), (i > 0) as u64, "{i}");
        if i > 0 {
            assert_eq!(get(q, hcq::Field::WaitOnLatchId), i as u64);
        }
        assert!(q.release(0).unwrap().is_none(), "no chain end");
    }
    let (pcas, wfis) = h.log(|log| {
        let m = &log.methods[before..];
        let count = |mthd| {
            m.iter()
                .filter(|(_, x)| x.subc == 1 && x.mthd == mthd)
                .count()
        };
        (count(NVCBC0_SEND_PCAS_A), count(NVCBC0_WAIT_FOR_IDLE))
    });
    assert_eq!((pcas, wfis), (4, 0));
    let (mut b3, _) = backend_with(0x807, ReplayOrder::Latch);
    let out = b3.alloc(4096).unwrap();
    let l = store3(&mut b3, out, 16, 1.0);
    let e = b3.build_replay(&[l.clone(), l]).unwrap_err();
    assert!(e.to_string().contains("QMD V4"), "{e}");
}

#[test]
fn hang_times_out_naming_queue_values_and_kernel() {
    let (mut b, h) = backend(0x900);
    let out = b.alloc(64).unwrap();
    let l = store3(&mut b, out, 4, 1.0);
    h.set_hang(true);
    b.launch(&l).unwrap();
    let t = std::time::Instant::now();
    let e = b.sync().unwrap_err().to_string();
    assert!(t.elapsed().as_millis() < 5000);
    assert!(e.contains("timeline") && e.contains("store3"), "{e}");
    h.set_hang(false);
}

#[test]
fn fault_ends_the_wait_at_once() {
    let (mut b, h) = backend(0x900);
    let out = b.alloc(64).unwrap();
    let l = store3(&mut b, out, 4, 1.0);
    h.set_hang(true);
    b.launch(&l).unwrap();
    h.inject_fault(31, "MMU fault (mock)");
    let e = b.sync().unwrap_err().to_string();
    assert!(e.contains("31") && e.contains("store3"), "{e}");
}

/// Every kernel of the PTX registry, assembled for sm_90 and sm_87 (ptxas needed; skipped with
/// a note without it), loads into the nv backend and launches on the mock with its parameters
/// where the cubin says they are.
#[test]
fn every_registry_kernel_loads_and_launches() {
    if !ptxas_here("every_registry_kernel_loads_and_launches") {
        return;
    }
    for sm in [0x900u32, 0x807] {
        let (mut b, h) = backend(sm);
        let out = b.alloc(1 << 16).unwrap();
        for spec in kernlab::ptx::kernels() {
            b.load(&spec)
                .unwrap_or_else(|e| panic!("sm 0x{sm:x} {}: {e}", spec.entry));
        }
        let empty = b.load(&kernlab::ptx::kernel("empty").unwrap()).unwrap();
        b.launch(&Launch::linear(empty, 3, 64, vec![])).unwrap();
        let fill = b.load(&kernlab::ptx::kernel("fill_u32").unwrap()).unwrap();
        b.launch(&Launch::linear(
            fill,
            2,
            256,
            vec![Arg::Buf(out), Arg::U64(300), Arg::U32(9)],
        ))
        .unwrap();
        b.sync().unwrap();
        let seen = h.log(|l| l.launches.clone());
        let last = seen.last().unwrap();
        let base = if sm == 0x900 { 0x210 } else { 0x160 };
        let c = &last.cbuf0;
        assert_eq!(
            u64::from_le_bytes(c[base..base + 8].try_into().unwrap()),
            out.gpu_va
        );
        assert_eq!(
            u64::from_le_bytes(c[base + 8..base + 16].try_into().unwrap()),
            300
        );
        assert_eq!(
            u32::from_le_bytes(c[base + 16..base + 20].try_into().unwrap()),
            9
        );
        assert_eq!(seen[seen.len() - 2].qmd.grid().unwrap(), [3, 1, 1]);
    }
}

#[test]
fn qmd_signal_releases_the_timeline_from_the_qmd_and_orders_the_next_launch() {
    let gpu = MockGpu::new(0x900);
    let h = gpu.handle();
    let opts = NvOptions {
        arena_slots: 4,
        qmd_signal: true,
        timeout_ms: 300,
        ..NvOptions::default()
    };
    let mut b = NvBackend::with_iface(Box::new(gpu), opts).unwrap();
    let out = b.alloc(64).unwrap();
    let l = store3(&mut b, out, 4, 1.0);
    for _ in 0..10 {
        b.launch(&l).unwrap();
    }
    b.sync().unwrap();
    let (qmd_rel, acquires) = h.log(|log| {
        (
            log.releases
                .iter()
                .filter(|r| r.source == hcq::mock::ReleaseSource::Qmd)
                .count(),
            log.acquires.len(),
        )
    });
    assert_eq!(qmd_rel, 10, "each launch signals from its QMD");
    assert!(
        acquires >= 9,
        "each launch after the first waits for the one before ({acquires})"
    );
}

#[test]
fn unified_memory_uploads_are_cpu_writes_not_copies() {
    // An Orin-like iGPU (sm_87, memory shared with the CPU): the backend maps every buffer and
    // uploads/downloads without the copy engine; a kernel still sees what the CPU wrote.
    let (mut b, h) = backend_from(MockGpu::new_unified(0x807), mock_options());
    let n = 200 * 1024;
    let data: Vec<u8> = (0..n).map(|i| (i * 13 % 251) as u8).collect();
    let a = b.alloc(n as u64).unwrap();
    b.upload(a, &data).unwrap();
    let mut back = vec![0u8; n];
    b.download(a, &mut back).unwrap();
    assert!(back == data, "round trip differs");
    assert_eq!(
        h.log(|l| l.copies.len()),
        0,
        "no copy-engine work for uploads on unified memory"
    );
    assert_eq!(
        h.read(a.gpu_va, 64).unwrap(),
        data[..64].to_vec(),
        "the GPU's view is the CPU's"
    );
}

#[test]
fn pdl_replay_can_leave_cache_invalidation_to_the_latch() {
    // KERNLAB_NV_INVALIDATE=latch: every kernel that waits on a latch drops its launch-time
    // cache invalidations (the latch acquire invalidates L1 data); the first kernel, which
    // follows host work, keeps them.
    for latch_only in [false, true] {
        let (mut b, h) = backend_from(
            MockGpu::new(0x900),
            NvOptions {
                replay_order: ReplayOrder::Pdl,
                invalidate_at_latch_only: latch_only,
                ..mock_options()
            },
        );
        let qmds = replay_store3_qmds(&mut b, &h, 3);
        assert_eq!(qmds.len(), 3);
        for (i, q) in qmds.iter().enumerate() {
            let want = (i == 0 || !latch_only) as u64;
            for f in [
                hcq::Field::InvalidateTextureHeaderCache,
                hcq::Field::InvalidateTextureSamplerCache,
                hcq::Field::InvalidateTextureDataCache,
                hcq::Field::InvalidateShaderDataCache,
            ] {
                assert_eq!(
                    q.get(f).unwrap(),
                    want,
                    "kernel {i} {f:?} latch_only {latch_only}"
                );
            }
            if i > 0 {
                assert_eq!(
                    q.get(hcq::Field::LatchAcquireInvalidateShaderDataCache)
                        .unwrap(),
                    1
                );
            }
        }
    }
}

#[test]
fn qmd_overrides_from_kernlab_nv_qmd_reach_every_launch() {
    // KERNLAB_NV_QMD names QMD fields by their header names; every launch (lone or replayed)
    // carries the values; a field this QMD version lacks is a clear error at launch.
    use kernlab::gpu::nv::options::parse_qmd_overrides;
    let o = parse_qmd_overrides("OCCUPANCY_MAX_WARP=16, FREE_CTA_SLOTS_EMPTY_SM=0x3").unwrap();
    assert_eq!(o[0], Some((hcq::Field::OccupancyMaxWarp, 16)));
    assert_eq!(o[1], Some((hcq::Field::FreeCtaSlotsEmptySm, 3)));
    assert!(o[2].is_none());
    // The fields CUDA's graph kernels set (session 6) are nameable too.
    let t =
        parse_qmd_overrides("CWD_MEMBAR_TASK_CHASING_ENABLE=1,REQUIRE_SCHEDULING_PCAS=1").unwrap();
    assert_eq!(t[0], Some((hcq::Field::CwdMembarTaskChasingEnable, 1)));
    assert_eq!(t[1], Some((hcq::Field::RequireSchedulingPcas, 1)));
    let c =
        parse_qmd_overrides("SELF_COPY_ON_COMPLETION=1,CONSTANT_BUFFER_INVALIDATE(0)=0").unwrap();
    assert_eq!(c[0], Some((hcq::Field::SelfCopyOnCompletion, 1)));
    assert_eq!(c[1], Some((hcq::Field::ConstantBufferInvalidate(0), 0)));
    for bad in [
        "NO_SUCH_FIELD=1",
        "OCCUPANCY_MAX_WARP",
        "OCCUPANCY_MAX_WARP=x",
        "A=1,B=2,C=3,D=4,E=5",
    ] {
        assert!(parse_qmd_overrides(bad).is_err(), "{bad}");
    }
    for (sm, ok) in [(0x900, true), (0x807, false)] {
        let (mut b, h) = backend_from(
            MockGpu::new(sm),
            NvOptions {
                replay_order: ReplayOrder::ComputeWfi,
                qmd_overrides: o,
                ..mock_options()
            },
        );
        let out = b.alloc(4096).unwrap();
        let l = store3(&mut b, out, 16, 1.0);
        let r = b.launch(&l);
        if !ok {
            // QMD V3 has no OCCUPANCY_MAX_WARP.
            let e = r.unwrap_err().to_string();
            assert!(e.contains("KERNLAB_NV_QMD"), "{e}");
            continue;
        }
        r.unwrap();
        b.sync().unwrap();
        let lone = h.log(|log| log.launches.last().unwrap().qmd.clone());
        let mut qmds = replay_store3_qmds(&mut b, &h, 2);
        qmds.push(lone);
        for q in &qmds {
            assert_eq!(q.get(hcq::Field::OccupancyMaxWarp).unwrap(), 16);
            assert_eq!(q.get(hcq::Field::FreeCtaSlotsEmptySm).unwrap(), 3);
        }
    }
}

#[test]
fn bank0_words_from_kernlab_nv_bank0_reach_every_launch_and_never_the_parameters() {
    // KERNLAB_NV_BANK0 writes driver words of bank 0 (e.g. sm_90's global-memory descriptor at
    // 0x208) into every launch, lone or replayed; an offset inside the parameters is refused.
    use kernlab::gpu::nv::options::parse_bank0_words;
    let o = parse_bank0_words("0x208=0x0, 0x20c=0x10000000,16=7").unwrap();
    assert_eq!(
        o[..3],
        [Some((0x208, 0)), Some((0x20c, 0x1000_0000)), Some((16, 7))]
    );
    assert!(o[3].is_none());
    for bad in [
        "0x209=1",
        "0x208",
        "x=1",
        "0x208=0x1ffffffff",
        &"4=1,".repeat(9),
    ] {
        assert!(parse_bank0_words(bad).is_err(), "{bad}");
    }
    let (mut b, h) = backend_from(
        MockGpu::new(0x900),
        NvOptions {
            replay_order: ReplayOrder::ComputeWfi,
            bank0_words: o,
            ..mock_options()
        },
    );
    let out = b.alloc(4096).unwrap();
    let l = store3(&mut b, out, 16, 1.0);
    b.launch(&l).unwrap();
    b.sync().unwrap();
    let lone = h.log(|log| log.launches.last().unwrap().cbuf0.clone());
    let word = |c: &[u8], off: usize| u32::from_le_bytes(c[off..off + 4].try_into().unwrap());
    assert_eq!(word(&lone, 0x20c), 0x1000_0000);
    assert_eq!(word(&lone, 16), 7);
    // The parameters are untouched: the first is the output buffer's address.
    assert_eq!(word(&lone, 0x210) as u64, out.gpu_va & 0xffff_ffff);
    let before = h.log(|log| log.launches.len());
    let id = b.build_replay(&[l.clone(), l.clone()]).unwrap();
    b.replay(id).unwrap();
    b.sync().unwrap();
    h.log(|log| {
        assert!(log.launches.len() >= before + 2);
        for m in &log.launches[before..] {
            assert_eq!(word(&m.cbuf0, 0x20c), 0x1000_0000);
        }
    });
    let (mut b, _h) = backend_from(
        MockGpu::new(0x900),
        NvOptions {
            bank0_words: parse_bank0_words("0x210=1").unwrap(),
            ..mock_options()
        },
    );
    let out = b.alloc(4096).unwrap();
    let l = store3(&mut b, out, 16, 1.0);
    let e = b.launch(&l).unwrap_err().to_string();
    assert!(
        e.contains("KERNLAB_NV_BANK0") && e.contains("parameters"),
        "{e}"
    );
}

#[test]
fn latency_rows_each_start_after_an_all_sm_load() {
    // The latency bench keeps the SM clock up by load alone: before every row a spin kernel
    // of 4 blocks an SM runs for >= 20 ms (the nv path holds no clock request). On the mock
    // the rows complete at once; what is checked is the order of what was submitted.
    if !ptxas_here("latency_rows_each_start_after_an_all_sm_load") {
        return;
    }
    let (mut b, h) = backend_with(0x900, ReplayOrder::Pdl);
    let sms = b.info().sm_count as u64;
    let rows = kernlab::bench::latency::run(&mut b, 20).unwrap();
    assert!(rows.len() >= 7, "{} rows", rows.len());
    let names: Vec<&str> = rows.iter().map(|r| r.name).collect();
    assert!(
        names.ends_with(&["replay100", "replay100_fill"]),
        "{names:?}"
    );
    let loads = h.log(|log| {
        log.launches
            .iter()
            .filter(|l| l.qmd.get(hcq::Field::GridWidth).unwrap() == 4 * sms)
            .map(|l| u64::from_le_bytes(l.cbuf0[0x210..0x218].try_into().unwrap()))
            .collect::<Vec<u64>>()
    });
    // One 20 ms load per measured row (rows of launch + wait and the launch-only row; the
    // 200 ms warm-up comes first unless another test of this process already ran it).
    // empty_submit and its steps (submit_*) are parts of the empty row's own measurement.
    let measured = names
        .iter()
        .filter(|&&n| !n.starts_with("empty_submit") && !n.starts_with("submit_"))
        .count();
    for step in [
        "submit_build",
        "submit_slot",
        "submit_pushbuf",
        "submit_ring",
    ] {
        let r = rows.iter().find(|r| r.name == step).expect(step);
        assert_eq!(
            r.samples_ns.len(),
            20,
            "{step}: one sample per timed launch"
        );
    }
    let per_row = loads.iter().filter(|&&ns| ns == 20_000_000).count();
    assert!(per_row >= measured, "{per_row} loads for {measured} rows");
    assert!(
        loads
            .iter()
            .all(|&ns| ns == 20_000_000 || ns == 200_000_000),
        "{loads:?}"
    );
}

#[test]
fn replay_grid_end_times_come_from_one_timestamped_release_per_grid() {
    // Backend::time_replay_grids: replays built afterwards give each grid a release (slot 1)
    // with payload i + 1 and a timestamp, no barrier; grid_end_times reads them after a run,
    // in order, and names a grid whose slot was never written. Earlier replays record none.
    let (mut b, _h) = backend_with(0x900, ReplayOrder::Pdl);
    let out = b.alloc(4096).unwrap();
    let l = store3(&mut b, out, 16, 1.0);
    let plain = b.build_replay(&vec![l.clone(); 3]).unwrap();
    assert!(b.time_replay_grids());
    let timed = b.build_replay(&vec![l.clone(); 4]).unwrap();
    let e = b.grid_end_times(timed).unwrap_err().to_string();
    assert!(e.contains("grid 0 wrote no end timestamp"), "{e}");
    b.replay(plain).unwrap();
    b.replay(timed).unwrap();
    b.sync().unwrap();
    assert_eq!(b.grid_end_times(plain).unwrap(), None);
    let t = b.grid_end_times(timed).unwrap().expect("times");
    assert_eq!(t.len(), 4);
    assert!(t[0] > 0 && t.windows(2).all(|w| w[0] <= w[1]), "{t:?}");
}

#[test]
fn qmd_changed_lines_only_still_hands_the_gpu_each_launchs_qmd() {
    // KERNLAB_NV_QMD_WRITE=changed: a slot reused with another grid (8 slots, 9th launch) gets
    // the new grid, and a slot reused with the same launch keeps the right QMD too.
    if !ptxas_here("qmd_changed_lines_only_still_hands_the_gpu_each_launchs_qmd") {
        return;
    }
    let (mut b, h) = backend_from(
        MockGpu::new(0x900),
        NvOptions {
            qmd_changed_lines_only: true,
            ..mock_options()
        },
    );
    let empty = b.load(&kernlab::ptx::kernel("empty").unwrap()).unwrap();
    let mut widths = Vec::new();
    for grid in [1, 1, 1, 1, 1, 1, 1, 1, 3, 1, 2, 2] {
        let q = launched_qmd(&mut b, &h, &Launch::linear(empty, grid, 32, vec![]));
        widths.push(q.get(Field::GridWidth).unwrap());
    }
    assert_eq!(widths, [1, 1, 1, 1, 1, 1, 1, 1, 3, 1, 2, 2]);
}
