//! `engine::predict` on a tiny Qwen3 Q4_K_M file (real row lengths, multiples of 256, so the
//! fused Q4_K matvecs and their integer-x variants take it): which matrices each `--q4k-dot`
//! rounds, and the predicted check of each against the exact CPU reference.

use kernlab::cpu::CpuModel;
use kernlab::engine::decode::layout_of;
use kernlab::engine::plan::Q4kDot;
use kernlab::engine::predict::{predict_check, GpuRoundings};
use kernlab::engine::{CheckReport, DecodePlan, PlanOptions};
use kernlab::gguf::GgufFile;
use kernlab::models::{synth_spec, tiny_spec, Arch, FileType, SynthOptions};

const PROMPT: [u32; 3] = [1, 17, 99];
const GENERATED: usize = 8;
/// decode --check-against-cpu's tolerance.
const REL_TOL: f32 = 2e-2;

fn predicted(file: &GgufFile, cpu: &mut CpuModel, dot: Q4kDot) -> ((usize, u32), CheckReport) {
    let (config, layout) = layout_of(file).unwrap();
    let options = PlanOptions {
        q4k_dot: dot,
        ..PlanOptions::tuned_for(true)
    };
    let plan = DecodePlan::build(&config, &layout, options).unwrap();
    let g = GpuRoundings::for_plan(&plan, file).unwrap();
    let mut rows = 0;
    let mut positions = Vec::new();
    let r = predict_check(
        cpu,
        &g,
        &PROMPT,
        GENERATED,
        |_, row| {
            assert_eq!(row.len(), config.n_vocab);
            rows += 1;
            Ok(())
        },
        |done, total| positions.push((done, total)),
    )
    .unwrap();
    let total = PROMPT.len() + GENERATED;
    assert_eq!(rows, total);
    assert_eq!(positions.last(), Some(&(total, total)));
    (g.x_int_summary(), r)
}

#[test]
fn integer_x_is_predicted_per_width_and_f16_kv_everywhere() {
    let dir = std::env::temp_dir().join(format!("kernlab-predict-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tiny-qwen3-q4km.gguf");
    let opts = SynthOptions {
        seed: 5,
        threads: 1,
        ..SynthOptions::default()
    };
    synth_spec(
        &tiny_spec(Arch::Qwen3, FileType::Q4_K_M),
        &path,
        &opts,
        &mut |_| {},
    )
    .unwrap();
    let file = GgufFile::open(&path).unwrap();
    let mut cpu = CpuModel::load_from(&file, 2).unwrap();
    let (f32_int, f32_r) = predicted(&file, &mut cpu, Q4kDot::Float);
    let (i16_int, i16_r) = predicted(&file, &mut cpu, Q4kDot::Int16);
    let (i8_int, i8_r) = predicted(&file, &mut cpu, Q4kDot::Int8);
    for (what, r) in [("f32", &f32_r), ("i16", &i16_r), ("i8", &i8_r)] {
        eprintln!("{what}: {}", r.summary());
        assert_eq!(r.positions, PROMPT.len() + GENERATED);
        assert_eq!(r.argmax_total, GENERATED);
    }
    // The f32 plan rounds only K/V to f16: some error, well inside the tolerance.
    assert_eq!(f32_int, (0, 0));
    assert!(
        f32_r.max_rel_err > 0.0 && f32_r.passed(REL_TOL),
        "{}",
        f32_r.summary()
    );
    // Both integer widths round x in the same matrices (every Q4_K one the plan fuses).
    assert!(
        i16_int.0 > 0 && i16_int.0 == i8_int.0,
        "{i16_int:?} {i8_int:?}"
    );
    assert_eq!((i16_int.1, i8_int.1), (32767, 127));
    // int8's rounding is 258 times coarser than int16's, and shows.
    assert!(
        i8_r.max_rel_err > 2.0 * i16_r.max_rel_err,
        "i8 {} vs i16 {}",
        i8_r.max_rel_err,
        i16_r.max_rel_err
    );
    assert!(i16_r.passed(REL_TOL), "{}", i16_r.summary());
    std::fs::remove_dir_all(&dir).ok();
}
