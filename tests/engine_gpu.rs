//! GPU decode against the CPU reference on tiny synthetic models: every position's logits and
//! 64 greedy tokens. Runs when a GPU backend opens; otherwise prints why it skipped.

use kernlab::cpu::CpuModel;
use kernlab::engine::{check_against_cpu, GpuDecoder, PlanOptions};
use kernlab::gpu::BackendKind;
use kernlab::models::{self, Arch, FileType, SynthOptions};

fn check(arch: Arch, ft: FileType, kind: BackendKind) {
    let spec = models::tiny_spec(arch, ft);
    let dir = std::env::temp_dir().join(format!("kernlab-engine-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}.gguf", spec.name));
    models::synth_spec(&spec, &path, &SynthOptions::default(), &mut |_| {}).unwrap();
    let opt = PlanOptions {
        max_ctx: 256,
        ..PlanOptions::default()
    };
    let (mut gpu, note) = match GpuDecoder::open(kind, &path, opt) {
        Ok(g) => g,
        Err(e) => {
            println!("skip: {e}");
            return;
        }
    };
    let mut cpu = CpuModel::load(&path, 2).unwrap();
    let prompt = [1u32, 7, 42, 3];
    let r = check_against_cpu(&mut gpu, &mut cpu, &prompt, 64, |_, _| Ok(())).unwrap();
    println!("{note}: {} {}", spec.name, r.summary());
    assert_eq!(r.positions, 68);
    assert!(r.passed(2e-2), "{}: {}", spec.name, r.summary());
    let _ = std::fs::remove_file(&path);
}

#[test]
fn gpu_logits_match_the_cpu_reference() {
    if let Err(e) = kernlab::gpu::open(BackendKind::Cuda) {
        println!("skip: no GPU backend here ({e})");
        return;
    }
    for arch in [Arch::Llama, Arch::Qwen3] {
        for ft in [
            FileType::Q8_0,
            FileType::Q6_K,
            FileType::Q4_K_M,
            FileType::F16,
        ] {
            check(arch, ft, BackendKind::Cuda);
        }
    }
}

#[test]
fn opening_without_a_gpu_is_one_line() {
    let spec = models::tiny_spec(Arch::Llama, FileType::Q8_0);
    let dir = std::env::temp_dir().join(format!("kernlab-engine-open-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("m.gguf");
    models::synth_spec(&spec, &path, &SynthOptions::default(), &mut |_| {}).unwrap();
    for kind in [BackendKind::Cuda, BackendKind::Nv] {
        match GpuDecoder::open(kind, &path, PlanOptions::default()) {
            Ok(_) => println!("{kind:?} opened: a GPU is here"),
            Err(e) => {
                let s = e.to_string();
                assert!(!s.is_empty() && !s.contains('\n'), "{kind:?}: {s:?}");
            }
        }
    }
    let missing = dir.join("absent.gguf");
    let e = GpuDecoder::open(BackendKind::Cuda, &missing, PlanOptions::default());
    assert!(e.is_err());
    let _ = std::fs::remove_file(&path);
}
