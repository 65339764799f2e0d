//! The GPU decoder on the nv backend over hcq's recording mock GPU: weights upload, kernels
//! assembled and loaded, the step built into one prebuilt replay; each replay must put exactly
//! the plan's launches on the queue, in order, with the plan's grid, block and parameter bytes
//! (bank 0 as the "GPU" read it). Needs ptxas (skips with a note without it).

use hcq::MockGpu;
use kernlab::engine::plan::{BufRole, PArg};
use kernlab::engine::{GpuDecoder, PlanOptions};
use kernlab::gpu::nv::{NvBackend, NvOptions};
use kernlab::models::{self, Arch, FileType, SynthOptions};

/// Where the kernel parameters start in bank 0 on Hopper (QMD V4), as tests/nvb_mock.rs reads it.
const PARAM_BASE_SM90: usize = 0x210;

#[test]
fn each_replay_queues_the_plan_with_its_parameters() {
    if kernlab::ptx::toolchain::find_ptxas().is_none() {
        eprintln!("note: ptxas not found (python3 -m pip install nvidia-cuda-nvcc); skipping");
        return;
    }
    for arch in [Arch::Llama, Arch::Qwen3] {
        let spec = models::tiny_spec(arch, FileType::Q4_K_M);
        let dir = std::env::temp_dir().join(format!("kernlab-engine-nv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{}.gguf", spec.name));
        models::synth_spec(&spec, &path, &SynthOptions::default(), &mut |_| {}).unwrap();

        let gpu = MockGpu::new(0x900);
        let h = gpu.handle();
        let opts = NvOptions {
            arena_slots: 64,
            staging_b: 1 << 20,
            timeout_ms: 2000,
            ..NvOptions::default()
        };
        let b = NvBackend::with_iface(Box::new(gpu), opts).unwrap();
        let popt = PlanOptions {
            threads_per_row: 16,
            max_ctx: 512,
            fuse_matvecs: true,
            norm_in_matvec: true,
            fused_q6_k: true,
            ..PlanOptions::default()
        };
        let mut d = GpuDecoder::load(Box::new(b), &path, popt).unwrap();
        let n = d.plan.n_launches();
        let before = h.log(|l| l.launches.len());
        d.set_input(0, 5).unwrap();
        d.step().unwrap();
        d.step().unwrap();
        d.backend.sync().unwrap();
        let seen = h.log(|l| l.launches[before..].to_vec());
        assert_eq!(
            seen.len(),
            2 * n,
            "{}: two replays of {n} launches",
            spec.name
        );
        for (i, rec) in seen.iter().enumerate() {
            let pl = &d.plan.launches[i % n];
            assert_eq!(
                rec.qmd.grid().unwrap(),
                pl.grid,
                "{} {}",
                spec.name,
                pl.label
            );
            assert_eq!(
                rec.qmd.block().unwrap(),
                pl.block,
                "{} {}",
                spec.name,
                pl.label
            );
            // Parameter bytes: natural alignment, in plan order.
            let mut at = PARAM_BASE_SM90;
            for a in &pl.args {
                let c = &rec.cbuf0;
                match *a {
                    PArg::Buf(role, off) => {
                        at = at.next_multiple_of(8);
                        let v = u64::from_le_bytes(c[at..at + 8].try_into().unwrap());
                        assert_eq!(v, d.buffer(role).gpu_va + off, "{} {role:?}", pl.label);
                        at += 8;
                    }
                    PArg::Null => {
                        at = at.next_multiple_of(8);
                        assert_eq!(&c[at..at + 8], &[0u8; 8], "{} null", pl.label);
                        at += 8;
                    }
                    PArg::U32(v) => {
                        assert_eq!(&c[at..at + 4], &v.to_le_bytes(), "{} u32", pl.label);
                        at += 4;
                    }
                    PArg::F32(v) => {
                        assert_eq!(&c[at..at + 4], &v.to_le_bytes(), "{} f32", pl.label);
                        at += 4;
                    }
                }
            }
        }
        // The step reads the position and token from device buffers: the host wrote them once.
        assert_eq!(d.buffer(BufRole::Pos).size_b, 16);

        // The timed run, the profile and the check go through on a GPU that computes nothing;
        // the check must then fail (its logits stay zero).
        // The first timed run starts with untimed warm-up steps: at least one chain of 64.
        let before = h.log(|l| l.launches.len());
        let run = d.run_timed(&[1, 2], 5).unwrap();
        let seen = h.log(|l| l.launches.len()) - before;
        assert!(seen >= (64 + 2 + 5) * n, "{seen} launches");
        assert_eq!((run.generated.len(), run.gen_ns.len()), (5, 5));
        assert!(run.gen_ns.iter().all(|ns| ns.is_finite() && *ns >= 0.0));
        // Tokens chained 3 per replay: 7 tokens = 2 groups of 3 (one replay of 3 steps each, a
        // mark between groups) + 1 single step; each token gets its interval's time / its size.
        let before = h.log(|l| l.launches.len());
        let run = d.run_timed_chained(&[1, 2], 7, 3).unwrap();
        assert_eq!((run.generated.len(), run.gen_ns.len()), (7, 7));
        assert_eq!(run.tokens_per_replay, 3);
        assert_eq!(run.gen_ns[0], run.gen_ns[2], "one group, one time");
        assert_eq!(run.gen_ns[3], run.gen_ns[5], "one group, one time");
        let seen = h.log(|l| l.launches.len()) - before;
        assert_eq!(seen, (2 + 7) * n, "prompt 2 + 7 tokens of steps");
        let prof = d.profile(7, 3).unwrap();
        assert_eq!(prof.len(), n);
        assert!(prof.windows(2).all(|w| w[0].elapsed_ns >= w[1].elapsed_ns));
        let mut cpu = kernlab::cpu::CpuModel::load(&path, 1).unwrap();
        let r = kernlab::engine::check_against_cpu(&mut d, &mut cpu, &[1, 2], 3, |_, _| Ok(()))
            .unwrap();
        assert_eq!(r.positions, 5);
        assert!(
            !r.passed(2e-2),
            "a GPU that computes nothing passed: {}",
            r.summary()
        );
        assert!(d.run_timed(&[1], 600).is_err(), "past the KV cache");

        // --timeline: the step rebuilt with a timestamped release per grid; one row per launch
        // in plan order, each the time since the previous grid's end (the mock's ptimer runs).
        d.time_grids().unwrap();
        let before = h.log(|l| l.launches.len());
        let tl = d.timeline(3, 4, 2).unwrap();
        let seen = h.log(|l| l.launches[before..].to_vec());
        assert_eq!(seen.len(), 2 * n, "two replays");
        for rec in &seen {
            let (_, payload) = rec.qmd.release(1).unwrap().expect("grid-end release");
            assert!((1..=n as u64).contains(&payload));
            assert_eq!(
                rec.qmd.get(hcq::Field::ReleaseMembarType(1)).unwrap(),
                hcq::qmd::RELEASE_MEMBAR_TYPE_FE_NONE,
                "no barrier in front of a measurement"
            );
        }
        let labels: Vec<&str> = tl.iter().map(|k| k.label.as_str()).collect();
        let plan: Vec<&str> = d.plan.launches.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, plan, "launch order");
        assert!(tl
            .iter()
            .all(|k| k.elapsed_ns.is_finite() && k.elapsed_ns >= 0.0));
        assert!(tl.iter().map(|k| k.elapsed_ns).sum::<f64>() > 0.0);
        let _ = std::fs::remove_file(&path);
    }
}
