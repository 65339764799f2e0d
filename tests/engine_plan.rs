//! The GPU decode plan without a GPU: for every registry model the launch sequence, grids,
//! buffer sizes and bytes per token; the weights layout; every launch's arguments against the
//! parameter list of its PTX entry.

use kernlab::engine::decode_kernels::kernel_spec;
use kernlab::engine::kernels::{
    fused_matvec_named, split_matvec_named, warp_matvec_named, DEFAULT_SM_COUNT,
};
use kernlab::engine::plan::{
    self, BufRole, DecodePlan, PArg, PlanOptions, PlannedLaunch, Q6kPipeline, MATVEC_THREADS,
};
use kernlab::engine::weights::{WeightsLayout, WEIGHT_ALIGN_B};
use kernlab::models::{self, Arch, ModelSpec};

/// The plan options the feature tests below compare against: f32 x in the Q4_K matvecs
/// (`q4k_dot` Float) and matvec_q6_k_w for the plain Q6_K residual matvecs (`q6k_plain_xsum`
/// off), session 10's defaults; the integer-x kernels and matvec_q6_k_nx have their own tests.
fn f32_x_plain_w() -> PlanOptions {
    PlanOptions {
        q4k_dot: kernlab::engine::kernels::Q4kDot::Float,
        q6k_plain_xsum: false,
        ..PlanOptions::default()
    }
}

fn plan_of(spec: &ModelSpec, opt: PlanOptions) -> DecodePlan {
    let layout = WeightsLayout::from_spec(spec).unwrap();
    DecodePlan::build(&spec.config(), &layout, opt).unwrap_or_else(|e| panic!("{}: {e}", spec.name))
}

/// The folded-norm Q6_K matvec the default plan emits.
fn default_norm_q6k() -> &'static str {
    let d = PlanOptions::default();
    kernlab::engine::kernels::norm_matvec_q6_k(d.q6k_xsum, d.q6k_pipeline)
}

fn all_specs() -> Vec<&'static ModelSpec> {
    models::registry()
        .iter()
        .chain(models::tiny_registry())
        .collect()
}

#[test]
fn weights_layout_offsets_are_aligned_ordered_and_disjoint() {
    for spec in all_specs() {
        let w = WeightsLayout::from_spec(spec).unwrap();
        let planned = spec.tensor_plan();
        assert_eq!(w.tensors.len(), planned.len(), "{}", spec.name);
        let mut end = 0;
        for (slot, t) in w.tensors.iter().zip(&planned) {
            assert_eq!(slot.name, t.name);
            assert_eq!(slot.size_b, t.size_b(), "{} {}", spec.name, t.name);
            assert_eq!(slot.offset_b % WEIGHT_ALIGN_B, 0);
            assert!(slot.offset_b >= end, "{} overlaps", slot.name);
            assert!(
                slot.offset_b - end < WEIGHT_ALIGN_B,
                "{} leaves a gap",
                slot.name
            );
            end = slot.offset_b + slot.size_b;
        }
        assert_eq!(w.total_b, end.next_multiple_of(WEIGHT_ALIGN_B));
        assert_eq!(w.tensor_bytes(), spec.tensor_bytes());
    }
}

#[test]
fn weights_layout_by_hand() {
    use kernlab::GgmlType;
    let w = WeightsLayout::new([
        ("a".to_string(), GgmlType::F32, vec![3]),
        ("b".to_string(), GgmlType::Q8_0, vec![64, 2]),
        ("c".to_string(), GgmlType::Q6_K, vec![256]),
    ])
    .unwrap();
    let offs: Vec<(u64, u64)> = w.tensors.iter().map(|t| (t.offset_b, t.size_b)).collect();
    // 12 bytes, then 2 rows of 2 Q8_0 blocks (34 B each) at 256, then one Q6_K block at 512.
    assert_eq!(offs, vec![(0, 12), (256, 136), (512, 210)]);
    assert_eq!(w.total_b, 768);
    assert_eq!(w.tensors[1].row_b(), 68);
    assert_eq!(w.tensors[1].n_rows(), 2);
    let e = WeightsLayout::new([("bad".to_string(), GgmlType::Q8_0, vec![33])]).unwrap_err();
    assert!(e.to_string().contains("bad"), "{e}");
}

#[test]
fn every_registry_model_plans_with_its_planned_bytes() {
    let mut planned = 0;
    for spec in all_specs() {
        let unsupported = spec
            .tensor_plan()
            .into_iter()
            .find(|t| plan::matvec_entry(t.ty).is_err() && t.ty != kernlab::GgmlType::F32);
        if let Some(t) = unsupported {
            let layout = WeightsLayout::from_spec(spec).unwrap();
            let e = DecodePlan::build(&spec.config(), &layout, PlanOptions::default()).unwrap_err();
            assert!(
                e.to_string().contains(&format!("{}", t.ty)),
                "{}: {e}",
                spec.name
            );
            continue;
        }
        planned += 1;
        let p = plan_of(
            spec,
            PlanOptions {
                fuse_matvecs: false,
                ..PlanOptions::default()
            },
        );
        let fused = plan_of(spec, PlanOptions::default());
        assert!(fused.n_launches() <= p.n_launches());
        assert_eq!(fused.weight_bytes(), p.weight_bytes(), "{}", spec.name);
        let c = spec.config();
        assert_eq!(
            p.n_launches(),
            DecodePlan::LAUNCHES_OUTSIDE_LAYERS + DecodePlan::LAUNCHES_PER_LAYER * c.n_layer,
            "{}",
            spec.name
        );
        assert_eq!(p.weight_bytes(), spec.bytes_per_token(), "{}", spec.name);
        // K and V of every layer at f16 per position of context.
        assert_eq!(
            p.dram_bytes_at(100) - p.dram_bytes_at(0),
            100 * c.kv_bytes_per_token_f16(),
            "{}",
            spec.name
        );
        let max_ctx = p.options.max_ctx as u64;
        assert_eq!(p.buffer_b(BufRole::X), 4 * c.n_embd as u64);
        assert_eq!(
            p.buffer_b(BufRole::Qkv),
            4 * (c.q_dim() + 2 * c.kv_dim()) as u64
        );
        assert_eq!(p.buffer_b(BufRole::GateUp), 8 * c.n_ff as u64);
        assert_eq!(p.buffer_b(BufRole::Logits), 4 * c.n_vocab as u64);
        assert_eq!(
            p.buffer_b(BufRole::KCache),
            c.n_layer as u64 * max_ctx * c.kv_dim() as u64 * 2
        );
        assert_eq!(p.buffer_b(BufRole::Weights), p.weights.total_b);
        assert_eq!(p.buffer_b(BufRole::History), 4 * (max_ctx + 1));
    }
    assert!(planned >= 20, "only {planned} models planned");
}

#[test]
fn kernel_sequence_of_one_layer() {
    // matvec_q6_k_w (one row pair per warp): streaming_q6k_matvecs_take_a_fixed_grid has _s.
    let unfused = PlanOptions {
        fuse_matvecs: false,
        stream_q6_k: false,
        ..PlanOptions::default()
    };
    let llama = models::find("llama1b-q6k").unwrap();
    let p = plan_of(llama, unfused);
    let entries: Vec<&str> = p.launches.iter().map(|l| l.kernel.entry).collect();
    assert_eq!(entries[0], "embed_q6_k");
    assert_eq!(
        &entries[1..15],
        &[
            "rmsnorm",
            "matvec_q6_k_w",
            "matvec_q6_k_w",
            "matvec_q6_k_w",
            "rope_llama",
            "kv_append",
            "attn_partial",
            "attn_combine",
            "matvec_q6_k_w",
            "rmsnorm",
            "matvec_q6_k_w",
            "matvec_q6_k_w",
            "swiglu",
            "matvec_q6_k_w",
        ]
    );
    let n = entries.len();
    assert_eq!(
        &entries[n - 5..],
        &[
            "rmsnorm",
            "matvec_q6_k_w",
            "argmax_partial",
            "argmax_final",
            "decode_advance"
        ]
    );
    assert_eq!(n, 16 * 14 + 6);
    // Tied: the LM head is token_embd, Q6_K rows of 2048.
    let head = &p.launches[n - 4];
    assert_eq!(head.label, "lm_head");
    assert_eq!(
        head.args[1],
        PArg::Buf(
            BufRole::Weights,
            p.weights.get("token_embd.weight").unwrap().offset_b
        )
    );

    let qwen = models::find("qwen3-1.7b-q4km").unwrap();
    let p = plan_of(qwen, unfused);
    let entries: Vec<&str> = p.launches.iter().map(|l| l.kernel.entry).collect();
    assert_eq!(entries[5], "qk_norm_rope_neox");
    assert_eq!(p.launches[5].grid, [16 + 8, 1, 1]);
    assert_eq!(p.launches[5].block, [64, 1, 1]);
    assert!(entries.contains(&"matvec_q4_k") && entries.contains(&"matvec_q6_k_w"));
    assert_eq!(entries.len(), 28 * 14 + 6);
    assert_eq!(qwen.config().arch, Arch::Qwen3);
}

#[test]
fn fused_matvecs_join_qkv_and_gate_up_of_one_type() {
    // At 16 threads per row (no fused matvec kernel): runs joined, rmsnorm and swiglu kept.
    let llama = models::find("llama1b-q6k").unwrap();
    let p = plan_of(
        llama,
        PlanOptions {
            threads_per_row: 16,
            attn_rope: false,
            ..PlanOptions::default()
        },
    );
    let entries: Vec<&str> = p.launches.iter().map(|l| l.kernel.entry).collect();
    let entries: Vec<&str> = entries
        .iter()
        .map(|e| {
            if *e == "matvec_q6_k" {
                "matvec_q6_k_w"
            } else {
                e
            }
        })
        .collect();
    assert_eq!(
        &entries[1..10],
        &[
            "rmsnorm",
            "matvec_q6_k_w",
            "rope_kv_llama",
            "attn_decode",
            "matvec_q6_k_w",
            "rmsnorm",
            "matvec_q6_k_w",
            "swiglu",
            "matvec_q6_k_w",
        ]
    );
    // At 16 threads per row: rmsnorm, q|k|v, rope_kv, attn_decode, o, rmsnorm, gate|up,
    // swiglu, down per layer.
    assert_eq!(entries.len(), 16 * 9 + 6);
    assert_eq!(entries.len(), 150);
    let qkv = &p.launches[2];
    assert_eq!(qkv.label, "blk.0.attn_q+blk.0.attn_k+blk.0.attn_v");
    assert_eq!(qkv.args[0], PArg::Buf(BufRole::Qkv, 0));
    assert_eq!(qkv.args[3], PArg::U32(2048 + 512 + 512));
    assert_eq!(qkv.args[4], PArg::U32(2048));
    let w = &p.weights;
    let q = w.get("blk.0.attn_q.weight").unwrap();
    assert_eq!(qkv.args[1], PArg::Buf(BufRole::Weights, q.offset_b));
    // rope_kv reads k right after q's 2048 values and v after k, and appends into layer 0's
    // rows of the caches; attn_decode reads q and those caches and writes Att.
    let rk = &p.launches[3];
    assert_eq!(rk.args[0], PArg::Buf(BufRole::Qkv, 0));
    assert_eq!(rk.args[1], PArg::Buf(BufRole::Qkv, 4 * 2048));
    assert_eq!(rk.args[2], PArg::Buf(BufRole::Qkv, 4 * (2048 + 512)));
    assert_eq!(rk.args[3], PArg::Buf(BufRole::KCache, 0));
    assert_eq!(rk.args[4], PArg::Buf(BufRole::VCache, 0));
    let ad = &p.launches[4];
    assert_eq!(ad.args[0], PArg::Buf(BufRole::Att, 0));
    assert_eq!(ad.args[3], PArg::Buf(BufRole::AttnCounters, 0));
    assert_eq!(ad.args[4], PArg::Buf(BufRole::Qkv, 0));
    assert_eq!(ad.args[5], PArg::Buf(BufRole::KCache, 0));
    // layer 1 appends and reads one layer further into the caches
    let layer_b = p.options.max_ctx as u64 * 512 * 2;
    let rk1 = &p.launches[3 + 9];
    assert_eq!(rk1.label, "blk.1.rope_kv");
    assert_eq!(rk1.args[4], PArg::Buf(BufRole::VCache, layer_b));
    let ad1 = &p.launches[4 + 9];
    assert_eq!(ad1.args[6], PArg::Buf(BufRole::VCache, layer_b));
    let gu = &p.launches[7];
    assert_eq!(gu.label, "blk.0.ffn_gate+blk.0.ffn_up");
    assert_eq!(gu.args[3], PArg::U32(2 * 8192));
    assert_eq!(p.launches[8].args[2], PArg::Buf(BufRole::GateUp, 4 * 8192));

    // Qwen3: q/k norm, rope and the append in one block per head.
    let q06 = plan_of(
        models::find("qwen3-0.6b-q8").unwrap(),
        PlanOptions {
            attn_rope: false,
            ..PlanOptions::default()
        },
    );
    let e06: Vec<&str> = q06.launches.iter().map(|l| l.kernel.entry).collect();
    // (every qwen3-0.6b-q8 matvec is Q8_0, which has a fused kernel: no rmsnorm launches)
    assert_eq!(&e06[2..4], &["qk_norm_rope_kv_neox", "attn_decode"]);
    assert_eq!(q06.launches[2].grid, [16 + 8, 1, 1]);
    assert_eq!(q06.launches[2].block, [64, 1, 1]);
    assert_eq!(
        e06.len(),
        28 * (DecodePlan::LAUNCHES_PER_LAYER_FUSED + 1) + DecodePlan::LAUNCHES_OUTSIDE_LAYERS - 1
    );
    // The default: q/k norm, rope, append and attention in one launch of (heads, splits).
    let d06 = plan_of(
        models::find("qwen3-0.6b-q8").unwrap(),
        PlanOptions::default(),
    );
    let a06 = &d06.launches[2];
    assert_eq!(a06.kernel.entry, "attn_qknorm_rope_neox");
    assert_eq!(a06.label, "blk.0.attn_rope");
    let n_split = (d06.options.max_ctx as u32).div_ceil(plan::DEFAULT_ATTN_SPLIT_LEN);
    assert_eq!((a06.grid, a06.block), ([16, n_split, 1], [256, 1, 1]));
    assert_eq!(a06.args[4], PArg::Buf(BufRole::Qkv, 0));
    let qn = d06.weights.get("blk.0.attn_q_norm.weight").unwrap();
    assert_eq!(a06.args[5], PArg::Buf(BufRole::Weights, qn.offset_b));
    assert_eq!(a06.args[7], PArg::Buf(BufRole::KCache, 0));
    assert_eq!(a06.args[14], PArg::U32(plan::DEFAULT_ATTN_SPLIT_LEN));
    assert_eq!(a06.args[15], PArg::U32(d06.options.max_ctx as u32));
    let layer_b = d06.options.max_ctx as u64 * 1024 * 2;
    assert_eq!(
        d06.launches[2 + 5].args[8],
        PArg::Buf(BufRole::VCache, layer_b)
    );
    assert_eq!(
        d06.n_launches(),
        28 * DecodePlan::LAUNCHES_PER_LAYER_FUSED + DecodePlan::LAUNCHES_OUTSIDE_LAYERS - 1
    );

    // Q4_K_M: attn_v and ffn_down of some layers are Q6_K; a run stops at a type change.
    // (Without the paired launch, which joins q|k with a Q6_K attn_v on purpose.)
    let qwen = models::find("qwen3-1.7b-q4km").unwrap();
    let unpaired = PlanOptions {
        pair_q6_k: false,
        ..PlanOptions::default()
    };
    let p = plan_of(qwen, unpaired);
    for l in p.launches.iter().filter(|l| l.label.contains('+')) {
        let first = l.label.split('+').next().unwrap();
        let ty = p.weights.get(&format!("{first}.weight")).unwrap().ty;
        for part in l.label.split('+') {
            assert_eq!(
                p.weights.get(&format!("{part}.weight")).unwrap().ty,
                ty,
                "{}",
                l.label
            );
        }
    }
    assert!(p
        .launches
        .iter()
        .any(|l| l.label.ends_with("attn_q+blk.0.attn_k")
            || l.label.ends_with("attn_q+blk.0.attn_k+blk.0.attn_v")));
}

#[test]
fn matvec_grids_cover_every_row_once_for_each_threads_per_row() {
    let spec = models::find("qwen3-0.6b-q8").unwrap();
    for tpr in [1, 2, 4, 8, 16, 32] {
        let p = plan_of(
            spec,
            PlanOptions {
                threads_per_row: tpr,
                ..PlanOptions::default()
            },
        );
        for l in p
            .launches
            .iter()
            .filter(|l| l.kernel.entry.starts_with("matvec_"))
        {
            // the fused kernels ("_f": y, w, x, norm_w, rows, cols, mode, eps) run at TPR 32
            // only; a warp writes rows_per_warp outputs, one in glu mode (mode 2)
            if let Some(m) = fused_matvec_named(l.kernel.entry) {
                assert_eq!((tpr, l.kernel.tpr), (32, None), "{}", l.label);
                assert_eq!(l.block, [m.threads, 1, 1]);
                let (PArg::U32(rows), PArg::U32(cols), PArg::U32(mode)) =
                    (&l.args[4], &l.args[5], &l.args[6])
                else {
                    panic!("{}: rows/cols/mode args", l.label)
                };
                let (outputs, per_warp) = if *mode == 2 {
                    (*rows as u64 / 2, 1)
                } else {
                    (*rows as u64, m.rows_per_warp as u64)
                };
                let per_block = (m.threads / 32) as u64 * per_warp;
                let g = l.grid[0] as u64;
                assert!(g * per_block >= outputs, "{}", l.label);
                assert!((g - 1) * per_block < outputs, "{}", l.label);
                assert_eq!(l.shared_b, cols * m.shared_b_per_col, "{}", l.label);
                continue;
            }
            // the warp-per-row kernels (no {{TPR}}, "_w") run at TPR 32 only, rows_per_warp
            // rows per warp; the grid-stride ones (_s) have their fixed grid
            if let Some(m) = warp_matvec_named(l.kernel.entry).filter(|m| m.grid_stride) {
                let PArg::U32(rows) = l.args[3] else {
                    panic!("{}: rows arg", l.label)
                };
                let fill = DEFAULT_SM_COUNT * PlanOptions::default().stream_blocks_per_sm;
                let need = (rows as u64).div_ceil((MATVEC_THREADS / 32 * m.rows_per_warp) as u64);
                assert_eq!(l.grid[0] as u64, need.min(fill as u64), "{}", l.label);
                continue;
            }
            // the split-K kernel (matvec_q8_0_k) at TPR 32 only, rows_per_block rows per block
            let split = split_matvec_named(l.kernel.entry);
            let (want, rows_per_block) = match warp_matvec_named(l.kernel.entry) {
                _ if split.is_some() => {
                    assert_eq!(tpr, 32, "{}", l.label);
                    (None, split.map_or(0, |m| m.rows_per_block as u64))
                }
                Some(m) => {
                    assert_eq!(tpr, 32, "{}", l.label);
                    (None, (MATVEC_THREADS / 32 * m.rows_per_warp) as u64)
                }
                None => (Some(tpr), (MATVEC_THREADS / tpr) as u64),
            };
            assert_eq!(l.kernel.tpr, want);
            assert_eq!(l.block, [MATVEC_THREADS, 1, 1]);
            let PArg::U32(rows) = l.args[3] else {
                panic!("{}: rows arg", l.label)
            };
            let g = l.grid[0] as u64;
            assert!(g * rows_per_block >= rows as u64, "{}", l.label);
            assert!((g - 1) * rows_per_block < rows as u64, "{}", l.label);
        }
    }
    let bad = PlanOptions {
        threads_per_row: 3,
        ..PlanOptions::default()
    };
    let layout = WeightsLayout::from_spec(spec).unwrap();
    let e = DecodePlan::build(&spec.config(), &layout, bad).unwrap_err();
    assert!(e.to_string().contains("threads-per-row 3"), "{e}");
}

#[test]
fn attention_grid_spans_the_cache() {
    let spec = models::find("llama1b-q6k").unwrap();
    let p = plan_of(
        spec,
        PlanOptions {
            max_ctx: 1000,
            ..PlanOptions::default()
        },
    );
    let splits = 1000u32.div_ceil(plan::ATTN_SPLIT_LEN);
    for entry in ["attn_decode", "attn_partial"] {
        let opt = PlanOptions {
            max_ctx: 1000,
            fuse_matvecs: entry == "attn_decode",
            attn_rope: false,
            attn_split_len: plan::ATTN_SPLIT_LEN,
            ..PlanOptions::default()
        };
        let p = plan_of(spec, opt);
        let a = p.launches.iter().find(|l| l.kernel.entry == entry).unwrap();
        assert_eq!(a.grid, [32, splits, 1]);
        assert_eq!(p.buffer_b(BufRole::AttnPartO), 4 * 32 * splits as u64 * 64);
        // one u32 counter per q head
        assert_eq!(p.buffer_b(BufRole::AttnCounters), 4 * 32);
    }
    assert!(p.launches.iter().all(|l| l.kernel.entry != "attn_partial"));
    // the default: attn_rope over splits of DEFAULT_ATTN_SPLIT_LEN (1000 positions: 4)
    let a = p
        .launches
        .iter()
        .find(|l| l.kernel.entry == "attn_rope_llama")
        .unwrap();
    assert_eq!(a.grid, [32, 4, 1]);
    assert_eq!(p.buffer_b(BufRole::AttnPartO), 4 * 32 * 4 * 64);
    let bad = PlanOptions {
        attn_split_len: 0,
        ..PlanOptions::default()
    };
    let layout = WeightsLayout::from_spec(spec).unwrap();
    assert!(DecodePlan::build(&spec.config(), &layout, bad).is_err());
}

/// The `.param` types of `entry` in `ptx`: "u64", "u32" or "f32".
fn param_types(ptx: &str, entry: &str) -> Vec<String> {
    let start = ptx
        .find(&format!(".entry {entry}("))
        .unwrap_or_else(|| panic!("no entry {entry}"));
    let body = &ptx[start..];
    let end = body.find(')').unwrap();
    body[..end]
        .lines()
        .filter_map(|l| l.trim().strip_prefix(".param ."))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect()
}

#[test]
fn every_launch_matches_its_ptx_parameter_list() {
    for name in ["llama1b-q6k", "qwen3-0.6b-q8", "qwen3-1.7b-q4km"] {
        let p = plan_of(models::find(name).unwrap(), PlanOptions::default());
        for l in &p.launches {
            let spec = kernel_spec(&l.kernel).unwrap();
            let ptx = spec.ptx().unwrap();
            let want = param_types(&ptx, l.kernel.entry);
            let got: Vec<&str> = l
                .args
                .iter()
                .map(|a| match a {
                    PArg::Buf(..) | PArg::Null => "u64",
                    PArg::U32(_) => "u32",
                    PArg::F32(_) => "f32",
                })
                .collect();
            assert_eq!(got, want, "{name}: {} ({})", l.label, l.kernel.entry);
            // The kernel table (src/engine/kernels.rs) agrees with the PTX text.
            let table: Vec<String> = kernlab::engine::decode_kernels::param_types(&l.kernel)
                .unwrap()
                .iter()
                .map(|t| t.trim_start_matches('.').to_string())
                .collect();
            assert_eq!(table, want, "{name}: {} table", l.kernel.entry);
        }
    }
}

#[test]
fn every_planned_kernel_assembles_for_the_h100_and_orin() {
    use kernlab::ptx::toolchain;
    let Some(ptxas) = toolchain::find_ptxas() else {
        eprintln!("note: ptxas not found (python3 -m pip install nvidia-cuda-nvcc); skipping");
        return;
    };
    let mut seen = std::collections::HashSet::new();
    for name in ["llama1b-q6k", "qwen3-0.6b-q8", "qwen3-1.7b-q4km"] {
        for tpr in [4, 32] {
            let opt = PlanOptions {
                threads_per_row: tpr,
                ..PlanOptions::default()
            };
            for l in plan_of(models::find(name).unwrap(), opt).launches {
                if !seen.insert(l.kernel) {
                    continue;
                }
                let spec = kernel_spec(&l.kernel).unwrap();
                for arch in ["sm_87", "sm_90"] {
                    let text = spec.ptx_for(arch).unwrap();
                    let (cubin, _) = toolchain::ptxas(&ptxas, &text, arch, spec.entry)
                        .unwrap_or_else(|e| panic!("{} for {arch}: {e}", spec.label()));
                    assert!(cubin.starts_with(b"\x7fELF"), "{}", spec.label());
                }
            }
        }
    }
    assert!(seen.len() >= 15, "{} kernels", seen.len());
}

#[test]
fn q6_k_matvec_choice_keeps_the_per_tpr_kernel_where_the_staged_one_cannot_run() {
    use kernlab::engine::plan::matvec_choice;
    use kernlab::GgmlType;
    // 32 threads per row and whole 4-block chunks: the warp-staged kernel, no {{TPR}}.
    assert_eq!(
        matvec_choice(GgmlType::Q6_K, 32, 2048).unwrap(),
        ("matvec_q6_k_w", None)
    );
    // 768 columns = 3 blocks (not a whole chunk), or another TPR: the per-TPR kernel.
    assert_eq!(
        matvec_choice(GgmlType::Q6_K, 32, 768).unwrap(),
        ("matvec_q6_k", Some(32))
    );
    assert_eq!(
        matvec_choice(GgmlType::Q6_K, 16, 2048).unwrap(),
        ("matvec_q6_k", Some(16))
    );
    assert_eq!(
        matvec_choice(GgmlType::Q8_0, 32, 2048).unwrap(),
        ("matvec_q8_0_w", None)
    );
    assert_eq!(
        matvec_choice(GgmlType::Q8_0, 32, 2080).unwrap(),
        ("matvec_q8_0", Some(32))
    );
    assert_eq!(
        matvec_choice(GgmlType::Q4_K, 32, 2048).unwrap(),
        ("matvec_q4_k", Some(32))
    );
    // With streaming on: the grid-stride Q6_K kernel where matvec_q6_k_w would run, only there.
    use kernlab::engine::kernels::matvec_choice_with;
    assert_eq!(
        matvec_choice_with(GgmlType::Q6_K, 32, 2048, true).unwrap(),
        ("matvec_q6_k_s", None)
    );
    assert_eq!(
        matvec_choice_with(GgmlType::Q6_K, 32, 768, true).unwrap(),
        ("matvec_q6_k", Some(32))
    );
    assert_eq!(
        matvec_choice_with(GgmlType::Q6_K, 16, 2048, true).unwrap(),
        ("matvec_q6_k", Some(16))
    );
    assert_eq!(
        matvec_choice_with(GgmlType::Q8_0, 32, 2048, true).unwrap(),
        ("matvec_q8_0_w", None)
    );
}

#[test]
fn fused_matvec_kernels_absorb_rmsnorm_and_swiglu() {
    let llama = models::find("llama1b-q6k").unwrap();
    let p = plan_of(
        llama,
        PlanOptions {
            fused_q6_k: true,
            attn_rope: false,
            ..PlanOptions::default()
        },
    );
    let entries: Vec<&str> = p.launches.iter().map(|l| l.kernel.entry).collect();
    assert_eq!(
        &entries[1..9],
        &[
            "matvec_q6_k_p",
            "rope_kv_llama",
            "attn_decode",
            "matvec_q6_k_p",
            "matvec_q6_k_p",
            "matvec_q6_k_p",
            "matvec_q6_k_p",
            "rope_kv_llama",
        ]
    );
    assert_eq!(
        entries.len(),
        16 * (DecodePlan::LAUNCHES_PER_LAYER_FUSED + 1) + DecodePlan::LAUNCHES_OUTSIDE_LAYERS - 1
    );
    assert!(!entries.contains(&"rmsnorm") && !entries.contains(&"swiglu"));
    assert_eq!(p.weight_bytes(), llama.bytes_per_token());
    let w = &p.weights;
    let off = |n: &str| PArg::Buf(BufRole::Weights, w.get(n).unwrap().offset_b);
    // q|k|v: rmsnorm of X with attn_norm in the kernel, stored into Qkv.
    let qkv = &p.launches[1];
    assert_eq!(
        qkv.args,
        vec![
            PArg::Buf(BufRole::Qkv, 0),
            off("blk.0.attn_q.weight"),
            PArg::Buf(BufRole::X, 0),
            off("blk.0.attn_norm.weight"),
            PArg::U32(3072),
            PArg::U32(2048),
            PArg::U32(0),
            PArg::F32(llama.rms_eps),
        ]
    );
    assert_eq!(
        (qkv.grid, qkv.block, qkv.shared_b),
        ([192, 1, 1], [128, 1, 1], 0)
    );
    // o-proj accumulates into X.
    let o = &p.launches[4];
    assert_eq!(o.args[0], PArg::Buf(BufRole::X, 0));
    assert_eq!(o.args[2], PArg::Buf(BufRole::Att, 0));
    assert_eq!((o.args[3], o.args[6]), (PArg::Null, PArg::U32(1)));
    // gate|up in glu mode: 16384 weight rows, 8192 outputs (8 per block) into GateUp[0..].
    let gu = &p.launches[5];
    assert_eq!(gu.label, "blk.0.ffn_gate+blk.0.ffn_up");
    assert_eq!(gu.args[0], PArg::Buf(BufRole::GateUp, 0));
    assert_eq!(gu.args[3], off("blk.0.ffn_norm.weight"));
    assert_eq!((gu.args[4], gu.args[6]), (PArg::U32(16384), PArg::U32(2)));
    assert_eq!(gu.grid, [1024, 1, 1]);
    // down reads h = GateUp[0..n_ff], 8192 cols (no dynamic shared memory: x is read per warp).
    let down = &p.launches[6];
    assert_eq!(down.args[2], PArg::Buf(BufRole::GateUp, 0));
    assert_eq!(
        (down.args[5], down.args[6]),
        (PArg::U32(8192), PArg::U32(1))
    );
    assert_eq!((down.grid, down.shared_b), ([128, 1, 1], 0));
    // LM head with output_norm.
    let n = p.launches.len();
    let head = &p.launches[n - 4];
    assert_eq!(head.label, "lm_head");
    assert_eq!(head.kernel.entry, "matvec_q6_k_p");
    assert_eq!(head.args[3], off("output_norm.weight"));
    assert_eq!(head.args[0], PArg::Buf(BufRole::Logits, 0));
}

/// llama1b-q6k with the streaming Q6_K matvec: every Q6_K matvec (q|k|v, o, gate|up, down, LM
/// head) is matvec_q6_k_s with grid min(ceil(rows / 8), sm_count x blocks per SM), the rest of
/// the plan as with matvec_q6_k_w; `stream_q6_k: false` gives matvec_q6_k_w back.
#[test]
fn streaming_q6k_matvecs_take_a_fixed_grid() {
    let llama = models::find("llama1b-q6k").unwrap();
    for (sm, bps) in [(132, 4), (16, 4), (132, 1)] {
        let opt = PlanOptions {
            stream_q6_k: true,
            sm_count: Some(sm),
            stream_blocks_per_sm: bps,
            ..f32_x_plain_w()
        };
        let p = plan_of(llama, opt);
        let w = plan_of(
            llama,
            PlanOptions {
                stream_q6_k: false,
                norm_by_producer: false,
                split_q6_k: false,
                ..opt
            },
        );
        assert_eq!(p.launches.len(), w.launches.len());
        let mut n = 0;
        for (l, lw) in p.launches.iter().zip(&w.launches) {
            assert_eq!(l.label, lw.label);
            assert_eq!(l.args, lw.args, "{}", l.label);
            if lw.kernel.entry != "matvec_q6_k_w" {
                assert_eq!(l.kernel.entry, lw.kernel.entry);
                assert_eq!(l.grid, lw.grid);
                continue;
            }
            n += 1;
            assert_eq!(l.kernel.entry, "matvec_q6_k_s", "{}", l.label);
            let PArg::U32(rows) = l.args[3] else {
                panic!("{}: rows arg", l.label)
            };
            assert_eq!(lw.grid[0], rows.div_ceil(8));
            assert_eq!(l.grid[0], rows.div_ceil(8).min(sm * bps), "{}", l.label);
            assert_eq!(l.block, lw.block);
            assert_eq!(l.weight_b, lw.weight_b);
        }
        // 4 per layer (q|k|v, o, gate|up, down) and the LM head.
        assert_eq!(n, 16 * 4 + 1);
        let head = p.launches.iter().find(|l| l.label == "lm_head").unwrap();
        assert_eq!(head.grid[0], sm * bps);
    }
}

/// llama1b-q6k's default plan folds every norm but layer 0's attn_norm into matvec_q6_k_n:
/// 102 launches instead of 134 (`norm_by_producer: false`), the same weight bytes; the sites
/// in token order (ffn_norm l: 2l, attn_norm l: 2l - 1, output_norm: 31), each producer
/// (o-proj, down: accumulating into X) writing Xn with the next norm's weights, adding into its
/// site's slot and clearing the one before (site 0: the last), each consumer (q|k|v of layers
/// 1.., gate|up, LM head) reading Xn with its site's slot; layer 0's q|k|v with no slot.
#[test]
fn folded_norms_take_the_rmsnorm_launches_out_of_llama1b_q6k() {
    let llama = models::find("llama1b-q6k").unwrap();
    // (the split-K residual matvecs: q6_k_residual_matvecs_split_their_columns_where_rows_are_few;
    // SwiGLU in the gate|up matvec: glu_in_the_gate_up_matvec_takes_the_swiglu_launches_out)
    let no_split = PlanOptions {
        split_q6_k: false,
        glu_in_matvec: false,
        ..f32_x_plain_w()
    };
    let p = plan_of(llama, no_split);
    let old = plan_of(
        llama,
        PlanOptions {
            norm_by_producer: false,
            ..no_split
        },
    );
    assert_eq!((p.launches.len(), old.launches.len()), (102, 134));
    assert_eq!(p.weight_bytes(), old.weight_bytes());
    assert_eq!(p.weight_bytes(), llama.bytes_per_token());
    assert_eq!(p.buffer_b(BufRole::NormSums), 4 * 32);
    let rms: Vec<&str> = p
        .launches
        .iter()
        .filter(|l| l.kernel.entry == "rmsnorm")
        .map(|l| l.label.as_str())
        .collect();
    assert_eq!(rms, ["blk.0.attn_norm"]);
    let w = &p.weights;
    let off = |n: &str| PArg::Buf(BufRole::Weights, w.get(n).unwrap().offset_b);
    let slot = |k: u64| PArg::Buf(BufRole::NormSums, 4 * k);
    let nv: Vec<_> = p
        .launches
        .iter()
        .filter(|l| l.kernel.entry == default_norm_q6k())
        .collect();
    assert_eq!(nv.len(), 16 * 4 + 1);
    for l in &nv {
        assert_eq!(l.args.len(), 12, "{}", l.label);
        assert_eq!(l.args[7], PArg::F32(llama.rms_eps));
    }
    for il in 0..16u64 {
        let [qkv, o, gu, down] = [
            nv[4 * il as usize],
            nv[4 * il as usize + 1],
            nv[4 * il as usize + 2],
            nv[4 * il as usize + 3],
        ];
        assert_eq!(
            qkv.label,
            format!("blk.{il}.attn_q+blk.{il}.attn_k+blk.{il}.attn_v")
        );
        assert_eq!(qkv.args[2], PArg::Buf(BufRole::Xn, 0));
        let want_in = if il == 0 {
            PArg::Null
        } else {
            slot(2 * il - 1)
        };
        assert_eq!(qkv.args[6], want_in);
        assert_eq!(&qkv.args[8..], &[PArg::Null; 4]);
        // o-proj: producer of site 2l (ffn_norm l), clears 2l - 1 (the last slot for l = 0).
        assert_eq!(o.args[0], PArg::Buf(BufRole::X, 0));
        assert_eq!((o.args[5], o.args[6]), (PArg::U32(1), PArg::Null));
        assert_eq!(o.args[8], PArg::Buf(BufRole::Xn, 0));
        assert_eq!(o.args[9], off(&format!("blk.{il}.ffn_norm.weight")));
        assert_eq!(o.args[10], slot(2 * il));
        assert_eq!(o.args[11], slot(if il == 0 { 31 } else { 2 * il - 1 }));
        // gate|up: consumer of 2l.
        assert_eq!(gu.label, format!("blk.{il}.ffn_gate+blk.{il}.ffn_up"));
        assert_eq!(
            (gu.args[2], gu.args[6]),
            (PArg::Buf(BufRole::Xn, 0), slot(2 * il))
        );
        // down: producer of 2l + 1 (attn_norm l + 1, output_norm after the last layer).
        let next = if il < 15 {
            format!("blk.{}.attn_norm.weight", il + 1)
        } else {
            "output_norm.weight".to_string()
        };
        assert_eq!(down.args[2], PArg::Buf(BufRole::GateUp, 0));
        assert_eq!(down.args[9], off(&next));
        assert_eq!(
            (down.args[10], down.args[11]),
            (slot(2 * il + 1), slot(2 * il))
        );
    }
    let head = nv[64];
    assert_eq!(head.label, "lm_head");
    assert_eq!(
        (head.args[2], head.args[6]),
        (PArg::Buf(BufRole::Xn, 0), slot(31))
    );
    // The rest of the plan (and every matvec's geometry) as with the rmsnorm launches.
    let same: Vec<_> = old
        .launches
        .iter()
        .filter(|l| l.kernel.entry != "rmsnorm" || l.label == "blk.0.attn_norm")
        .collect();
    assert_eq!(same.len(), p.launches.len());
    for (a, b) in p.launches.iter().zip(same) {
        assert_eq!((&a.label, a.grid, a.block), (&b.label, b.grid, b.block));
        if b.kernel.entry == "matvec_q6_k_w" {
            assert_eq!(a.kernel.entry, default_norm_q6k());
            assert_eq!(&a.args[..6], &b.args[..6], "{}", a.label);
        } else {
            assert_eq!((a.kernel.entry, &a.args), (b.kernel.entry, &b.args));
        }
    }
}

/// With the folded norms, the gate|up matvec_q6_k_n runs in glu mode (accumulate = 2: gate row
/// p with up row p + n_ff, silu(g) * u into GateUp[p]) and the 16 swiglu launches of llama1b-q6k
/// go: 86 launches; everything else as with them.
#[test]
fn glu_in_the_gate_up_matvec_takes_the_swiglu_launches_out() {
    let llama = models::find("llama1b-q6k").unwrap();
    let with_swiglu = PlanOptions {
        glu_in_matvec: false,
        ..PlanOptions::default()
    };
    let p = plan_of(llama, PlanOptions::default());
    let old = plan_of(llama, with_swiglu);
    assert_eq!((p.launches.len(), old.launches.len()), (86, 102));
    assert_eq!(p.weight_bytes(), old.weight_bytes());
    let kept: Vec<_> = old
        .launches
        .iter()
        .filter(|l| l.kernel.entry != "swiglu")
        .collect();
    assert_eq!(kept.len(), p.launches.len());
    for (a, b) in p.launches.iter().zip(kept) {
        assert_eq!((&a.label, a.grid, a.block), (&b.label, b.grid, b.block));
        if a.label.ends_with("ffn_up") {
            assert_eq!(a.kernel.entry, default_norm_q6k());
            assert_eq!(a.args[0], PArg::Buf(BufRole::GateUp, 0), "{}", a.label);
            assert_eq!(a.args[3], PArg::U32(2 * 8192));
            assert_eq!(a.args[5], PArg::U32(2), "{}: glu mode", a.label);
            assert_eq!((&a.args[..5], &a.args[6..]), (&b.args[..5], &b.args[6..]));
        } else {
            assert_eq!((a.kernel.entry, &a.args), (b.kernel.entry, &b.args));
        }
    }
    // Without the fold there is no matvec_q6_k_n to carry it: swiglu stays.
    let unfolded = plan_of(
        llama,
        PlanOptions {
            norm_by_producer: false,
            ..PlanOptions::default()
        },
    );
    let n_swiglu = unfolded
        .launches
        .iter()
        .filter(|l| l.kernel.entry == "swiglu")
        .count();
    assert_eq!(n_swiglu, 16);
}

/// qwen3-0.6b-q8 (1024 rows; o-proj 2048 cols, ffn_down 3072): on the assumed H100 (132 SMs) the
/// residual matvecs take the split-K matvec_q8_0_k (one row pair per block: 512 blocks,
/// accumulate into X), the rest keeps matvec_q8_0_f; with `split_q8_0` off, or on a GPU where
/// the row-pair-per-warp launch already gives every SM 4 blocks (16 SMs), none does.
#[test]
fn residual_q8_0_matvecs_split_their_columns_where_rows_are_few() {
    let spec = models::find("qwen3-0.6b-q8").unwrap();
    let p = plan_of(spec, PlanOptions::default());
    let split: Vec<_> = p
        .launches
        .iter()
        .filter(|l| l.kernel.entry == "matvec_q8_0_k")
        .collect();
    assert_eq!(split.len(), 2 * 28);
    for (i, l) in split.iter().enumerate() {
        let (name, cols) = if i % 2 == 0 {
            ("attn_output", 2048)
        } else {
            ("ffn_down", 3072)
        };
        assert_eq!(l.label, format!("blk.{}.{name}", i / 2));
        assert_eq!((l.grid, l.block), ([512, 1, 1], [MATVEC_THREADS, 1, 1]));
        let w = p.weights.get(&format!("{}.weight", l.label)).unwrap();
        let x = if i % 2 == 0 {
            BufRole::Att
        } else {
            BufRole::GateUp
        };
        assert_eq!(
            l.args,
            vec![
                PArg::Buf(BufRole::X, 0),
                PArg::Buf(BufRole::Weights, w.offset_b),
                PArg::Buf(x, 0),
                PArg::U32(1024),
                PArg::U32(cols),
                PArg::U32(1),
            ]
        );
        assert_eq!(l.weight_b, w.size_b);
        assert_eq!(l.act_b, 4 * cols as u64 + 8 * 1024);
    }
    let off = plan_of(
        spec,
        PlanOptions {
            split_q8_0: false,
            ..PlanOptions::default()
        },
    );
    let orin = plan_of(
        spec,
        PlanOptions {
            sm_count: Some(16),
            ..PlanOptions::default()
        },
    );
    for q in [&off, &orin] {
        assert!(q.launches.iter().all(|l| l.kernel.entry != "matvec_q8_0_k"));
        assert_eq!(q.n_launches(), p.n_launches());
        assert_eq!(q.weight_bytes(), p.weight_bytes());
        let f = q
            .launches
            .iter()
            .filter(|l| l.kernel.entry == "matvec_q8_0_f")
            .count();
        let pf = p
            .launches
            .iter()
            .filter(|l| l.kernel.entry == "matvec_q8_0_f")
            .count();
        assert_eq!(f, pf + 2 * 28);
    }
}

/// splitq6: on the assumed H100 (132 SMs) the Q6_K residual matvecs with few rows (2048 < 32 x
/// 132) take the split-K matvec_q6_k_nk: llama1b-q6k's attn_output and ffn_down (normfold
/// producers: matvec_q6_k_n's arguments) and qwen3-1.7b-q4km's Q6_K ffn_down (plain accumulate:
/// matvec_q6_k_w's arguments, the norm parts off), one row pair per block; everything else, the
/// launch count and the bytes as with `split_q6_k: false`. On 16 SMs (2048 >= 32 x 16) none.
#[test]
fn q6_k_residual_matvecs_split_their_columns_where_rows_are_few() {
    for (name, sm, want) in [
        ("llama1b-q6k", 132, 32),
        ("qwen3-1.7b-q4km", 132, 0),
        ("llama1b-q6k", 16, 0),
        ("qwen3-1.7b-q4km", 16, 0),
    ] {
        let spec = models::find(name).unwrap();
        let on = PlanOptions {
            sm_count: Some(sm),
            split_q6_k: true,
            ..f32_x_plain_w()
        };
        let p = plan_of(spec, on);
        let q = plan_of(
            spec,
            PlanOptions {
                split_q6_k: false,
                ..on
            },
        );
        assert_eq!(p.launches.len(), q.launches.len(), "{name}");
        assert_eq!(p.weight_bytes(), q.weight_bytes(), "{name}");
        let mut n = 0;
        let mut plain = 0;
        for (a, b) in p.launches.iter().zip(&q.launches) {
            assert_eq!((&a.label, a.block), (&b.label, b.block), "{name}");
            assert_eq!((a.weight_b, a.act_b), (b.weight_b, b.act_b), "{}", a.label);
            if a.kernel.entry != "matvec_q6_k_nk" {
                assert_eq!(
                    (a.kernel.entry, &a.args, a.grid),
                    (b.kernel.entry, &b.args, b.grid)
                );
                continue;
            }
            n += 1;
            assert!(
                a.label.ends_with(".attn_output") || a.label.ends_with(".ffn_down"),
                "{}",
                a.label
            );
            let PArg::U32(rows) = a.args[3] else {
                panic!("{}: rows arg", a.label)
            };
            assert!(rows < 32 * sm, "{}", a.label);
            assert_eq!(a.grid, [rows.div_ceil(2), 1, 1], "{}", a.label);
            assert_eq!(&a.args[..6], &b.args[..6], "{}", a.label);
            assert_eq!(a.args[0], PArg::Buf(BufRole::X, 0));
            assert_eq!(a.args[5], PArg::U32(1), "{}: accumulates", a.label);
            match b.kernel.entry {
                e if e == default_norm_q6k() => assert_eq!(a.args, b.args),
                "matvec_q6_k_w" => {
                    plain += 1;
                    assert_eq!(a.args[7], PArg::F32(spec.rms_eps));
                    assert_eq!(a.args[6], PArg::Null);
                    assert_eq!(&a.args[8..], &[PArg::Null; 4]);
                }
                other => panic!("{}: split from {other}", a.label),
            }
        }
        if name == "qwen3-1.7b-q4km" && sm == 132 {
            // its Q6_K ffn_down layers (Q4_K_M keeps some down projections in Q6_K)
            assert!(n > 0 && plain == n, "{name}: {n} split, {plain} plain");
        } else {
            assert_eq!(n, want, "{name} on {sm} SMs");
        }
    }
}

/// The fused Q8_0 / Q4_K matvecs with `fused_blocks_per_sm`: the same launches and arguments,
/// the grid min(one block per 4 row pairs, sm_count x blocks per SM); 0 leaves it uncapped.
#[test]
fn fused_matvec_grids_are_capped_by_fused_blocks_per_sm() {
    for name in ["qwen3-1.7b-q4km", "qwen3-0.6b-q8"] {
        let m = models::find(name).unwrap();
        let base = PlanOptions {
            sm_count: Some(132),
            fused_blocks_per_sm: 0,
            pair_q6_k: false,
            ..f32_x_plain_w()
        };
        let w = plan_of(m, base);
        for bps in [1, 4] {
            let p = plan_of(
                m,
                PlanOptions {
                    fused_blocks_per_sm: bps,
                    ..base
                },
            );
            assert_eq!(p.launches.len(), w.launches.len());
            let mut capped = 0;
            for (l, lw) in p.launches.iter().zip(&w.launches) {
                assert_eq!((&l.label, &l.args), (&lw.label, &lw.args));
                let fused = matches!(
                    l.kernel.entry,
                    "matvec_q8_0_f" | "matvec_q4_k_f" | "matvec_q4_k_x"
                );
                let want = if fused {
                    lw.grid[0].min(132 * bps)
                } else {
                    lw.grid[0]
                };
                assert_eq!(l.grid[0], want, "{name} {} bps {bps}", l.label);
                capped += (fused && l.grid[0] < lw.grid[0]) as usize;
            }
            assert!(capped > 0, "{name} bps {bps}: no fused grid was capped");
        }
    }
    // The fused Q6_K kernel (matvec_q6_k_p) runs on its own grid only: the cap leaves it alone.
    let llama = models::find("llama1b-q6k").unwrap();
    let q6 = PlanOptions {
        fused_q6_k: true,
        norm_by_producer: false,
        sm_count: Some(132),
        ..f32_x_plain_w()
    };
    let (a, b) = (
        plan_of(llama, q6),
        plan_of(
            llama,
            PlanOptions {
                fused_blocks_per_sm: 1,
                ..q6
            },
        ),
    );
    assert!(a.launches.iter().any(|l| l.kernel.entry == "matvec_q6_k_p"));
    assert_eq!(a.launches, b.launches);
}

/// qwen3-1.7b-q4km with `fused_q6_k_alone`: its 14 Q6_K attn_v and the Q6_K LM head take
/// matvec_q6_k_p with their norm (attn_norm, output_norm) and read X; the 15 rmsnorm launches
/// go; the Q6_K ffn_down keep matvec_q6_k_w; bytes unchanged. Then `pair_q6_k`.
#[test]
fn q6k_fused_alone_drops_the_rmsnorm_launches_of_qwen3_q4km() {
    let q = models::find("qwen3-1.7b-q4km").unwrap();
    let unpaired = PlanOptions {
        pair_q6_k: false,
        ..f32_x_plain_w()
    };
    let base = plan_of(q, unpaired);
    let p = plan_of(
        q,
        PlanOptions {
            fused_q6_k_alone: true,
            ..unpaired
        },
    );
    let count = |p: &DecodePlan, e: &str| p.launches.iter().filter(|l| l.kernel.entry == e).count();
    assert_eq!(count(&base, "rmsnorm"), 15);
    assert_eq!(count(&p, "rmsnorm"), 0);
    assert_eq!(p.launches.len(), base.launches.len() - 15);
    assert_eq!(count(&p, "matvec_q6_k_p"), 15);
    assert_eq!(
        count(&p, "matvec_q6_k_w"),
        count(&base, "matvec_q6_k_w") - 15
    );
    assert_eq!(p.weight_bytes(), q.bytes_per_token());
    let w = &p.weights;
    let off = |n: &str| PArg::Buf(BufRole::Weights, w.get(n).unwrap().offset_b);
    for l in p
        .launches
        .iter()
        .filter(|l| l.kernel.entry == "matvec_q6_k_p")
    {
        let norm = match l.label.strip_suffix(".attn_v") {
            Some(blk) => format!("{blk}.attn_norm.weight"),
            None => {
                assert_eq!(l.label, "lm_head");
                assert_eq!(l.args[0], PArg::Buf(BufRole::Logits, 0));
                "output_norm.weight".to_string()
            }
        };
        assert_eq!(l.args[2], PArg::Buf(BufRole::X, 0), "{}", l.label);
        assert_eq!(l.args[3], off(&norm), "{}", l.label);
        assert_eq!(l.args[6], PArg::U32(0), "{}", l.label);
    }
    // With pair_q6_k (the default): the 14 Q6_K attn_v join their layer's q|k launch (matvec_q4k_q6k_f: q|k's
    // 8 arguments, attn_v's 8, q|k's block count), leaving only the LM head's rmsnorm.
    let paired = plan_of(q, f32_x_plain_w());
    let pairs: Vec<_> = paired
        .launches
        .iter()
        .filter(|l| l.kernel.entry == kernlab::engine::kernels::MATVEC_PAIRS[1].entry)
        .collect();
    assert_eq!(pairs.len(), 14);
    assert_eq!(count(&paired, "rmsnorm"), 1);
    assert_eq!(paired.launches.len(), base.launches.len() - 2 * 14);
    assert_eq!(paired.weight_bytes(), q.bytes_per_token());
    let pw = &paired.weights;
    let poff = |n: &str| PArg::Buf(BufRole::Weights, pw.get(n).unwrap().offset_b);
    for l in pairs {
        let blk = l.label.split('.').take(2).collect::<Vec<_>>().join(".");
        assert_eq!(l.label, format!("{blk}.attn_q+{blk}.attn_k+{blk}.attn_v"));
        assert_eq!(l.args.len(), 17);
        assert_eq!(l.args[1], poff(&format!("{blk}.attn_q.weight")));
        assert_eq!(l.args[9], poff(&format!("{blk}.attn_v.weight")));
        for i in [3, 11] {
            assert_eq!(l.args[i], poff(&format!("{blk}.attn_norm.weight")));
        }
        // q|k: 2048 + 1024 rows, one block per 8; attn_v: 1024 rows, 8 a block.
        assert_eq!(l.args[16], PArg::U32(384));
        assert_eq!(l.grid, [384 + 128, 1, 1]);
        assert_eq!(l.shared_b, 4 * 2048);
    }
}

/// qwen3-1.7b-q4km with `q4k_xsum` (the default): every matvec_q4_k_f launch of the plan
/// without it becomes matvec_q4_k_x and every matvec_q4k_q6k_f launch matvec_q4kx_q6k_f, with
/// the same labels, arguments, grids, shared memory and bytes; nothing else changes. A Q4_K row
/// longer than matvec_q4_k_x's max_cols keeps matvec_q4_k_f.
#[test]
fn q4k_xsum_swaps_only_the_q4_k_kernels() {
    use kernlab::engine::kernels::{fused_matvec_named, MATVEC_PAIRS, MATVEC_Q4_K_XSUM};
    let q = models::find("qwen3-1.7b-q4km").unwrap();
    let x = plan_of(q, f32_x_plain_w());
    assert!(PlanOptions::default().q4k_xsum);
    let base = plan_of(
        q,
        PlanOptions {
            q4k_xsum: false,
            ..f32_x_plain_w()
        },
    );
    assert_eq!(base.launches.len(), x.launches.len());
    let mut swapped = 0;
    for (a, b) in base.launches.iter().zip(&x.launches) {
        let want = match a.kernel.entry {
            "matvec_q4_k_f" => MATVEC_Q4_K_XSUM,
            e if e == MATVEC_PAIRS[0].entry => MATVEC_PAIRS[1].entry,
            e => e,
        };
        swapped += (want != a.kernel.entry) as usize;
        assert_eq!(b.kernel.entry, want, "{}", a.label);
        let same = PlannedLaunch {
            kernel: a.kernel,
            ..b.clone()
        };
        assert_eq!(&same, a, "{}", a.label);
    }
    // Per layer: q|k with attn_v (14 pairs; the other 14 layers' q|k|v is Q4_K alone),
    // o-proj, gate|up; some ffn_down are Q4_K too.
    assert!(swapped >= 3 * 28, "{swapped} launches swapped");
    assert_eq!(x.weight_bytes(), base.weight_bytes());
    let xm = fused_matvec_named(MATVEC_Q4_K_XSUM).unwrap();
    let fm = fused_matvec_named("matvec_q4_k_f").unwrap();
    assert!(xm.max_cols < fm.max_cols && xm.ty == fm.ty);
}

/// `q6k_xsum` and `q6k_pipeline`: every matvec_q6_k_n launch becomes matvec_q6_k_nx, _na, _nxa,
/// _np or _nxp with the same label, arguments, grid, block, shared memory and bytes, and
/// nothing else changes (matvec_q6_k_nk and _w stay), for every model, with the split-K
/// residual matvecs off (the default) and on. llama1b-q6k's 4 per layer + the LM head (65) are
/// matvec_q6_k_n; with the split its o-proj and down are matvec_q6_k_nk (33 left). Models
/// without the folded norm have none; models with no GPU plan are skipped.
#[test]
fn q6k_variants_swap_exactly_the_matvec_q6_k_n_launches() {
    use kernlab::engine::kernels::{norm_matvec_q6_k, NORM_MATVEC_Q6_K};
    let gpu = |spec: &ModelSpec| {
        let layout = WeightsLayout::from_spec(spec).unwrap();
        DecodePlan::build(&spec.config(), &layout, f32_x_plain_w()).is_ok()
    };
    let specs: Vec<_> = all_specs().into_iter().filter(|s| gpu(s)).collect();
    assert!(specs.iter().any(|s| s.name == "llama1b-q6k"));
    for spec in specs {
        for (split_q6_k, q6k_xsum, q6k_pipeline) in [
            (false, false, Q6kPipeline::Registers),
            (false, true, Q6kPipeline::Registers),
            (true, true, Q6kPipeline::Registers),
            (false, false, Q6kPipeline::Async),
            (true, true, Q6kPipeline::Async),
            (false, false, Q6kPipeline::L2Prefetch),
            (false, true, Q6kPipeline::L2Prefetch),
        ] {
            let opt = PlanOptions {
                split_q6_k,
                q6k_xsum: false,
                q6k_pipeline: Q6kPipeline::Registers,
                ..f32_x_plain_w()
            };
            let base = plan_of(spec, opt);
            let x = plan_of(
                spec,
                PlanOptions {
                    q6k_xsum,
                    q6k_pipeline,
                    ..opt
                },
            );
            let variant = norm_matvec_q6_k(q6k_xsum, q6k_pipeline);
            assert_eq!(base.launches.len(), x.launches.len(), "{}", spec.name);
            let mut swapped = 0;
            for (a, b) in base.launches.iter().zip(&x.launches) {
                let want = if a.kernel.entry == NORM_MATVEC_Q6_K {
                    swapped += (variant != NORM_MATVEC_Q6_K) as usize;
                    variant
                } else {
                    a.kernel.entry
                };
                assert_eq!(b.kernel.entry, want, "{} {}", spec.name, a.label);
                let same = PlannedLaunch {
                    kernel: a.kernel,
                    ..b.clone()
                };
                assert_eq!(&same, a, "{} {}", spec.name, a.label);
            }
            assert_eq!(x.buffers, base.buffers, "{}", spec.name);
            if spec.name == "llama1b-q6k" && variant != NORM_MATVEC_Q6_K {
                assert_eq!(
                    swapped,
                    if split_q6_k { 33 } else { 65 },
                    "split {split_q6_k} {variant}"
                );
            }
        }
    }
}

/// `spread_blocks_per_sm`: off by default (no launch capped); at N, exactly the matvec launches
/// whose grid needs at most N blocks per SM carry the cap ceil(grid / SMs), and nothing else of
/// the plan changes. llama1b-q6k on 132 SMs: o-proj and down (256 blocks) get 2 at N = 2, q|k|v
/// (384) joins with 3 at N = 3; gate|up (2048) and every non-matvec launch never do.
#[test]
fn spread_caps_exactly_the_small_matvec_grids() {
    let spec = models::registry()
        .iter()
        .find(|s| s.name == "llama1b-q6k")
        .unwrap();
    let opt = |n: u32| PlanOptions {
        sm_count: Some(132),
        spread_blocks_per_sm: n,
        ..PlanOptions::default()
    };
    let base = plan_of(spec, opt(0));
    assert!(base.launches.iter().all(|l| l.max_blocks_per_sm == 0));
    for n in [1u32, 2, 3] {
        let p = plan_of(spec, opt(n));
        assert_eq!(p.launches.len(), base.launches.len());
        let mut capped = std::collections::BTreeMap::new();
        for (a, b) in base.launches.iter().zip(&p.launches) {
            let blocks = b.grid.iter().product::<u32>();
            let want = if b.kernel.entry.starts_with("matvec_") && blocks.div_ceil(132) <= n {
                blocks.div_ceil(132)
            } else {
                0
            };
            assert_eq!(b.max_blocks_per_sm, want, "n {n}: {}", b.label);
            if want > 0 {
                let what = b.label.rsplit('.').next().unwrap().to_string();
                *capped.entry((what, want)).or_insert(0) += 1;
            }
            let same = PlannedLaunch {
                max_blocks_per_sm: 0,
                ..b.clone()
            };
            assert_eq!(&same, a, "n {n}: {}", b.label);
        }
        let layers = spec.config().n_layer;
        let count = |what: &str, cap: u32| capped.get(&(what.to_string(), cap)).copied();
        match n {
            1 => assert!(capped.is_empty(), "{capped:?}"),
            2 => {
                assert_eq!(count("attn_output", 2), Some(layers), "{capped:?}");
                assert_eq!(count("ffn_down", 2), Some(layers), "{capped:?}");
                assert_eq!(capped.len(), 2, "{capped:?}");
            }
            _ => {
                assert_eq!(count("attn_v", 3), Some(layers), "{capped:?}");
                assert_eq!(capped.len(), 3, "{capped:?}");
            }
        }
    }
}

/// `PlanOptions::tuned_for`: where grids launch in order (cuda's graph) the defaults; where they
/// launch early (nv's pdl) every small grid capped (`spread_all`) and only the small matvec
/// grids on matvec_q6_k_nx, and nothing else different. On llama1b-q6k (132 SMs) that is q|k|v, o-proj and down (3, 2, 2
/// blocks per SM) on nx, gate|up and the LM head on matvec_q6_k_n, all with their grids.
#[test]
fn tuned_defaults_differ_only_where_grids_launch_early() {
    assert_eq!(PlanOptions::tuned_for(false), PlanOptions::default());
    let early = PlanOptions::tuned_for(true);
    let limit = plan::EARLY_LAUNCH_SPREAD_BLOCKS_PER_SM;
    assert_eq!(early.spread_blocks_per_sm, limit);
    assert_eq!(early.q6k_xsum_max_blocks_per_sm, limit);
    assert!(early.spread_all);
    assert_eq!(
        PlanOptions {
            spread_blocks_per_sm: 0,
            q6k_xsum_max_blocks_per_sm: 0,
            spread_all: false,
            ..early
        },
        PlanOptions::default()
    );
    let spec = models::registry()
        .iter()
        .find(|s| s.name == "llama1b-q6k")
        .unwrap();
    let sm = |o: PlanOptions| PlanOptions {
        sm_count: Some(132),
        ..o
    };
    let all_nx = plan_of(spec, sm(PlanOptions::default()));
    let tuned = plan_of(spec, sm(early));
    assert_eq!(all_nx.launches.len(), tuned.launches.len());
    let (mut nx, mut n) = (0, 0);
    for (a, b) in all_nx.launches.iter().zip(&tuned.launches) {
        assert_eq!((&a.label, a.grid, &a.args), (&b.label, b.grid, &b.args));
        let per_sm = b.grid[0].div_ceil(132);
        if a.kernel.entry == "matvec_q6_k_nx" && per_sm > limit {
            assert_eq!(b.kernel.entry, "matvec_q6_k_n", "{}", b.label);
            n += 1;
        } else {
            assert_eq!(b.kernel.entry, a.kernel.entry, "{}", b.label);
            nx += (b.kernel.entry == "matvec_q6_k_nx") as usize;
        }
    }
    assert_eq!((nx, n), (3 * 16, 16 + 1));
}

/// `spread_all`: with a spread, every launch whose grid fits the limit is capped (the attention
/// grid, the embedding, the norms, argmax), not only the matvecs; the matvecs' caps are those of
/// the matvec-only spread, and nothing else of the plan changes.
#[test]
fn spread_all_caps_every_small_grid() {
    let spec = models::registry()
        .iter()
        .find(|s| s.name == "llama1b-q6k")
        .unwrap();
    let opt = |all: bool| PlanOptions {
        sm_count: Some(132),
        spread_blocks_per_sm: 2,
        spread_all: all,
        ..PlanOptions::default()
    };
    let matvecs = plan_of(spec, opt(false));
    let all = plan_of(spec, opt(true));
    let mut others = 0;
    for (a, b) in matvecs.launches.iter().zip(&all.launches) {
        let per_sm = b.grid.iter().product::<u32>().div_ceil(132);
        let want = if per_sm <= 2 { per_sm } else { 0 };
        assert_eq!(b.max_blocks_per_sm, want, "{}", b.label);
        if b.kernel.entry.starts_with("matvec_") {
            assert_eq!(a.max_blocks_per_sm, b.max_blocks_per_sm, "{}", b.label);
        } else {
            others += (want > 0) as usize;
        }
        let same = PlannedLaunch {
            max_blocks_per_sm: a.max_blocks_per_sm,
            ..b.clone()
        };
        assert_eq!(&same, a, "{}", b.label);
    }
    // At least each layer's attention grid (32 x 8 blocks: 2 an SM).
    assert!(others >= spec.config().n_layer, "{others}");
}

/// `q4k_dot` Int16 with `q6k_plain_xsum` on qwen3-1.7b-q4km (probe34's candidate defaults):
/// every fused Q4_K launch on matvec_q4_k_d16 (int16 x), the q|k|v pairs on
/// matvec_q4kd16_q6k_f, the Q6_K ffn_down on matvec_q6_k_nx with its norm parts off; against the
/// defaults the same launches, grids and bytes.
#[test]
fn qwen3_q4km_int16_x_and_q6_k_down_on_nx_swap_only_those_kernels() {
    use kernlab::engine::kernels::Q4kDot;
    let q = models::find("qwen3-1.7b-q4km").unwrap();
    let sm = Some(132);
    let candidate = PlanOptions {
        sm_count: sm,
        q4k_dot: Q4kDot::Int16,
        q6k_plain_xsum: true,
        ..PlanOptions::default()
    };
    let new = plan_of(q, candidate);
    let old = plan_of(
        q,
        PlanOptions {
            sm_count: sm,
            ..PlanOptions::default()
        },
    );
    assert_eq!(PlanOptions::default(), f32_x_plain_w());
    assert_eq!(new.launches.len(), old.launches.len());
    assert_eq!(new.weight_bytes(), old.weight_bytes());
    let mut swapped = std::collections::BTreeMap::new();
    for (a, b) in new.launches.iter().zip(&old.launches) {
        assert_eq!((&a.label, a.grid), (&b.label, b.grid));
        if a.kernel.entry != b.kernel.entry {
            *swapped.entry((b.kernel.entry, a.kernel.entry)).or_insert(0) += 1;
        }
    }
    let pairs = swapped
        .get(&("matvec_q4kx_q6k_f", "matvec_q4kd16_q6k_f"))
        .copied();
    let q4k = swapped.get(&("matvec_q4_k_x", "matvec_q4_k_d16")).copied();
    let down = swapped.get(&("matvec_q6_k_w", "matvec_q6_k_nx")).copied();
    assert_eq!(swapped.len(), 3, "{swapped:?}");
    assert!(
        pairs.unwrap_or(0) > 0 && q4k.unwrap_or(0) > 2 * 28 && down.unwrap_or(0) > 0,
        "{swapped:?}"
    );
    for l in new
        .launches
        .iter()
        .filter(|l| l.kernel.entry == "matvec_q6_k_nx")
    {
        assert!(l.label.ends_with("ffn_down"), "{}", l.label);
        assert_eq!(
            &l.args[6..],
            &[
                PArg::Null,
                l.args[7],
                PArg::Null,
                PArg::Null,
                PArg::Null,
                PArg::Null
            ]
        );
    }
}
