//! The plan's launches, bound to buffers, against the kernel table's own launch builders
//! (src/engine/launch.rs, whose geometry dkern's GPU selftest runs): same grid, block and
//! arguments for every launch of every model, and the builders' checks (alignment of quantized
//! rows, split limits, partial buffer sizes) pass on the plan's buffers.

use kernlab::engine::decode::bind;
use kernlab::engine::kernels::{self, DEFAULT_SM_COUNT};
use kernlab::engine::launch;
use kernlab::engine::plan::{BufRole, DecodePlan, PlanOptions, Q6kPipeline};
use kernlab::engine::weights::WeightsLayout;
use kernlab::gpu::{Arg, Buf, KernelId, Launch};
use kernlab::models;
use kernlab::GgmlType;
use std::collections::HashMap;

fn buf(a: &Arg) -> Buf {
    match a {
        Arg::Buf(b) => *b,
        other => panic!("expected a buffer, got {other:?}"),
    }
}
fn u(a: &Arg) -> u32 {
    match a {
        Arg::U32(v) => *v,
        other => panic!("expected u32, got {other:?}"),
    }
}
fn f(a: &Arg) -> f32 {
    match a {
        Arg::F32(v) => *v,
        other => panic!("expected f32, got {other:?}"),
    }
}
fn opt(a: &Arg) -> Option<Buf> {
    match a {
        Arg::U64(0) => None,
        a => Some(buf(a)),
    }
}

/// launch::matvec_fused from a fused matvec's arguments (kernels::FUSED_MATVEC_PARAMS order).
fn fused_of(k: KernelId, e: &str, ty: GgmlType, a: &[Arg], cap: u32) -> launch::Planned {
    launch::matvec_fused(
        k,
        e,
        ty,
        buf(&a[0]),
        buf(&a[1]),
        buf(&a[2]),
        opt(&a[3]),
        u(&a[4]),
        u(&a[5]),
        launch::MatvecMode::from_code(u(&a[6])).unwrap(),
        f(&a[7]),
        cap,
    )
    .unwrap_or_else(|err| panic!("{e}: {err}"))
}

fn same(mine: &Launch, theirs: &Launch, what: &str) {
    assert_eq!(mine.grid, theirs.grid, "{what}: grid");
    assert_eq!(mine.block, theirs.block, "{what}: block");
    assert_eq!(mine.shared_b, theirs.shared_b, "{what}: shared");
    let va = |a: &Arg| match a {
        Arg::Buf(b) => Arg::U64(b.gpu_va),
        other => *other,
    };
    let m: Vec<Arg> = mine.args.iter().map(va).collect();
    let t: Vec<Arg> = theirs.args.iter().map(va).collect();
    assert_eq!(m, t, "{what}: args");
}

#[test]
fn plan_launches_equal_the_kernel_tables_builders() {
    let names = [
        "llama1b-q6k",
        "qwen3-0.6b-q8",
        "qwen3-1.7b-q4km",
        "llama1b-q4km",
    ];
    let specs = names.iter().map(|n| models::find(n).unwrap()).chain(
        models::tiny_registry()
            .iter()
            .filter(|s| s.name.ends_with("q5km")),
    );
    for spec in specs {
        let layout = WeightsLayout::from_spec(spec).unwrap();
        for (fuse, stream_q6_k, pair_q6_k, q4k_xsum, q6k_xsum, q6k_pipeline) in [
            (true, false, false, false, false, Q6kPipeline::Registers),
            (false, false, false, false, false, Q6kPipeline::Registers),
            (true, true, false, false, false, Q6kPipeline::Registers),
            (true, false, true, false, false, Q6kPipeline::Registers),
            (true, false, true, true, false, Q6kPipeline::Registers),
            (true, false, false, true, false, Q6kPipeline::Registers),
            (true, false, false, false, true, Q6kPipeline::Registers),
            (true, false, true, true, true, Q6kPipeline::Registers),
            (true, false, false, false, false, Q6kPipeline::Async),
            (true, false, true, true, true, Q6kPipeline::Async),
            (true, false, false, false, true, Q6kPipeline::L2Prefetch),
        ] {
            let options = PlanOptions {
                fuse_matvecs: fuse,
                stream_q6_k,
                pair_q6_k,
                q4k_xsum,
                q6k_xsum,
                q6k_pipeline,
                ..PlanOptions::default()
            };
            let plan = DecodePlan::build(&spec.config(), &layout, options).unwrap();
            let bufs: HashMap<BufRole, Buf> = plan
                .buffers
                .iter()
                .enumerate()
                .map(|(i, &(r, s))| {
                    let b = Buf {
                        gpu_va: (i as u64 + 1) << 36,
                        size_b: s,
                    };
                    (r, b)
                })
                .collect();
            let k = KernelId(0);
            let ls = bind(&plan, &bufs, |_| k).unwrap();
            let ty_at = |w: &Buf| {
                let off = w.gpu_va - bufs[&BufRole::Weights].gpu_va;
                layout
                    .tensors
                    .iter()
                    .find(|t| t.offset_b == off)
                    .unwrap()
                    .ty
            };
            let mut i = 0;
            while i < ls.len() {
                let (l, pl) = (&ls[i], &plan.launches[i]);
                let a = &l.args;
                let what = format!("{} {}", spec.name, pl.label);
                let e = pl.kernel.entry;
                let cap = DEFAULT_SM_COUNT * PlanOptions::default().fused_blocks_per_sm;
                let theirs: Vec<Launch> = if let Some(pair) = kernels::matvec_pair_named(e) {
                    // Its parts' launches (a's 8 arguments, b's 8), then launch::matvec_pair.
                    let [pa, pb] = pair.parts;
                    let ta = ty_at(&buf(&a[1]));
                    let tb = ty_at(&buf(&a[9]));
                    let p = launch::matvec_pair(
                        k,
                        fused_of(k, pa, ta, &a[..8], cap),
                        fused_of(k, pb, tb, &a[8..16], cap),
                    );
                    vec![p.unwrap_or_else(|e| panic!("{what}: {e}")).launch]
                } else if kernels::fused_matvec_named(e).is_some() {
                    vec![fused_of(k, e, ty_at(&buf(&a[1])), a, cap).launch]
                } else if e == "matvec_q6_k_s" {
                    let fill = DEFAULT_SM_COUNT * PlanOptions::default().stream_blocks_per_sm;
                    let p = launch::matvec_stream(
                        k,
                        e,
                        ty_at(&buf(&a[1])),
                        buf(&a[0]),
                        buf(&a[1]),
                        buf(&a[2]),
                        u(&a[3]),
                        u(&a[4]),
                        u(&a[5]) != 0,
                        fill,
                    );
                    vec![p.unwrap_or_else(|e| panic!("{what}: {e}")).launch]
                } else if e.ends_with("_w") && e.starts_with("matvec_") {
                    let p = launch::matvec_warp(
                        k,
                        e,
                        ty_at(&buf(&a[1])),
                        buf(&a[0]),
                        buf(&a[1]),
                        buf(&a[2]),
                        u(&a[3]),
                        u(&a[4]),
                        u(&a[5]) != 0,
                    );
                    vec![p.unwrap_or_else(|e| panic!("{what}: {e}")).launch]
                } else if e == "matvec_q8_0_k" {
                    let p = launch::matvec_split(
                        k,
                        e,
                        ty_at(&buf(&a[1])),
                        buf(&a[0]),
                        buf(&a[1]),
                        buf(&a[2]),
                        u(&a[3]),
                        u(&a[4]),
                        u(&a[5]) != 0,
                    );
                    vec![p.unwrap_or_else(|e| panic!("{what}: {e}")).launch]
                } else if e == "matvec_q6_k_nk" || kernels::NORM_MATVEC_Q6_K_WARP.contains(&e) {
                    // The folded norm: consumer slot, producer (xw, norm_next, slot), clear.
                    let fold = launch::NormFold {
                        sumsq_in: opt(&a[6]),
                        eps: f(&a[7]),
                        produce: opt(&a[8]).map(|xw| (xw, buf(&a[9]), buf(&a[10]))),
                        sumsq_clear: opt(&a[11]),
                    };
                    let (ty, y, w, x) = (ty_at(&buf(&a[1])), buf(&a[0]), buf(&a[1]), buf(&a[2]));
                    let mode = launch::MatvecMode::from_code(u(&a[5])).unwrap();
                    let (rows, cols) = (u(&a[3]), u(&a[4]));
                    let p = launch::matvec_norm_as(e, k, ty, [y, w, x], rows, cols, mode, fold);
                    vec![p.unwrap_or_else(|e| panic!("{what}: {e}")).launch]
                } else if e.starts_with("matvec_") {
                    let p = launch::matvec(
                        k,
                        ty_at(&buf(&a[1])),
                        pl.kernel.tpr.unwrap(),
                        buf(&a[0]),
                        buf(&a[1]),
                        buf(&a[2]),
                        u(&a[3]),
                        u(&a[4]),
                        u(&a[5]) != 0,
                    );
                    vec![p.unwrap_or_else(|e| panic!("{what}: {e}")).launch]
                } else if e.starts_with("embed_") {
                    let p = launch::embed(
                        k,
                        ty_at(&buf(&a[1])),
                        buf(&a[0]),
                        buf(&a[1]),
                        buf(&a[2]),
                        u(&a[3]),
                        u(&a[4]),
                    );
                    vec![p.unwrap_or_else(|e| panic!("{what}: {e}")).launch]
                } else {
                    match e {
                        "rmsnorm" => vec![
                            launch::rmsnorm(
                                k,
                                buf(&a[0]),
                                buf(&a[1]),
                                buf(&a[2]),
                                u(&a[3]),
                                1,
                                f(&a[4]),
                            )
                            .launch,
                        ],
                        "rope_llama" | "rope_neox" => vec![
                            launch::rope(
                                k,
                                buf(&a[0]),
                                buf(&a[1]),
                                u(&a[2]),
                                u(&a[3]),
                                u(&a[4]),
                                buf(&a[5]),
                                f(&a[6]),
                                opt(&a[7]),
                            )
                            .unwrap()
                            .launch,
                        ],
                        "qk_norm_rope_neox" => vec![
                            launch::qk_norm_rope(
                                k,
                                buf(&a[0]),
                                buf(&a[1]),
                                buf(&a[2]),
                                buf(&a[3]),
                                u(&a[4]),
                                u(&a[5]),
                                u(&a[6]),
                                f(&a[7]),
                                buf(&a[8]),
                                f(&a[9]),
                                opt(&a[10]),
                            )
                            .unwrap()
                            .launch,
                        ],
                        "kv_append" => vec![
                            launch::kv_append(
                                k,
                                buf(&a[0]),
                                buf(&a[1]),
                                buf(&a[2]),
                                buf(&a[3]),
                                buf(&a[4]),
                                u(&a[5]),
                                u(&a[6]),
                            )
                            .unwrap()
                            .launch,
                        ],
                        "rope_kv_llama" | "rope_kv_neox" => {
                            let bufs = launch::RopeKvBufs {
                                q: buf(&a[0]),
                                k: buf(&a[1]),
                                v: buf(&a[2]),
                                k_cache: buf(&a[3]),
                                v_cache: buf(&a[4]),
                                pos_buf: buf(&a[5]),
                            };
                            let p = launch::rope_kv(
                                k,
                                bufs,
                                u(&a[6]),
                                u(&a[7]),
                                u(&a[8]),
                                u(&a[9]),
                                f(&a[10]),
                                opt(&a[11]),
                            );
                            vec![p.unwrap_or_else(|e| panic!("{what}: {e}")).launch]
                        }
                        "qk_norm_rope_kv_neox" => {
                            let bufs = launch::RopeKvBufs {
                                q: buf(&a[0]),
                                k: buf(&a[1]),
                                v: buf(&a[2]),
                                k_cache: buf(&a[5]),
                                v_cache: buf(&a[6]),
                                pos_buf: buf(&a[12]),
                            };
                            let p = launch::qk_norm_rope_kv(
                                k,
                                bufs,
                                buf(&a[3]),
                                buf(&a[4]),
                                u(&a[7]),
                                u(&a[8]),
                                u(&a[9]),
                                u(&a[10]),
                                f(&a[11]),
                                f(&a[13]),
                                opt(&a[14]),
                            );
                            vec![p.unwrap_or_else(|e| panic!("{what}: {e}")).launch]
                        }
                        "attn_decode" => {
                            let bufs = launch::AttnDecodeBufs {
                                out: buf(&a[0]),
                                part_o: buf(&a[1]),
                                part_ml: buf(&a[2]),
                                counters: buf(&a[3]),
                                q: buf(&a[4]),
                                k_cache: buf(&a[5]),
                                v_cache: buf(&a[6]),
                                pos_buf: buf(&a[7]),
                            };
                            let p = launch::attn_decode(
                                k,
                                bufs,
                                u(&a[8]),
                                u(&a[9]),
                                u(&a[10]),
                                u(&a[11]),
                                l.grid[1],
                                plan.options.max_ctx as u32,
                            );
                            assert_eq!(f(&a[12]), 1.0 / (u(&a[10]) as f32).sqrt(), "{what}");
                            vec![p.unwrap_or_else(|e| panic!("{what}: {e}")).launch]
                        }
                        "attn_rope_llama" | "attn_rope_neox" | "attn_qknorm_rope_neox" => {
                            let attn = launch::AttnDecodeBufs {
                                out: buf(&a[0]),
                                part_o: buf(&a[1]),
                                part_ml: buf(&a[2]),
                                counters: buf(&a[3]),
                                q: buf(&a[4]),
                                k_cache: buf(&a[7]),
                                v_cache: buf(&a[8]),
                                pos_buf: buf(&a[9]),
                            };
                            let norms = opt(&a[5]).zip(opt(&a[6]));
                            assert_eq!(norms.is_some(), e == "attn_qknorm_rope_neox", "{what}");
                            let bufs = launch::AttnRopeBufs {
                                attn,
                                norms,
                                ff: opt(&a[10]),
                            };
                            let p = launch::attn_rope(
                                k,
                                bufs,
                                u(&a[11]),
                                u(&a[12]),
                                u(&a[13]),
                                u(&a[14]),
                                l.grid[1],
                                u(&a[15]),
                                f(&a[17]),
                                f(&a[18]),
                                plan.options.max_ctx as u32,
                            );
                            assert_eq!(f(&a[16]), 1.0 / (u(&a[13]) as f32).sqrt(), "{what}");
                            vec![p.unwrap_or_else(|e| panic!("{what}: {e}")).launch]
                        }
                        "attn_partial" => {
                            let c = &ls[i + 1].args;
                            let [p, q] = launch::attention(
                                k,
                                k,
                                buf(&c[0]),
                                buf(&a[0]),
                                buf(&a[1]),
                                buf(&a[2]),
                                buf(&a[3]),
                                buf(&a[4]),
                                buf(&a[5]),
                                u(&a[6]),
                                u(&a[7]),
                                u(&a[8]),
                                u(&a[9]),
                                u(&c[4]),
                                plan.options.max_ctx as u32,
                            )
                            .unwrap_or_else(|e| panic!("{what}: {e}"));
                            vec![p.launch, q.launch]
                        }
                        "swiglu" => vec![
                            launch::binary(k, buf(&a[0]), buf(&a[1]), buf(&a[2]), u(&a[3]))
                                .unwrap()
                                .launch,
                        ],
                        "argmax_partial" => {
                            let fin = &ls[i + 1].args;
                            let [p, q] = launch::argmax(
                                k,
                                k,
                                buf(&fin[0]),
                                buf(&a[0]),
                                buf(&a[1]),
                                buf(&a[2]),
                                u(&a[3]),
                            )
                            .unwrap_or_else(|e| panic!("{what}: {e}"));
                            vec![p.launch, q.launch]
                        }
                        "decode_advance" => {
                            assert_eq!(i, ls.len() - 1, "advance is last");
                            assert_eq!((l.grid, l.block), ([1, 1, 1], [1, 1, 1]));
                            vec![l.clone()]
                        }
                        other => panic!("{what}: no builder for {other}"),
                    }
                };
                for (j, t) in theirs.iter().enumerate() {
                    same(&ls[i + j], t, &format!("{what} (+{j})"));
                }
                i += theirs.len();
            }
        }
    }
}
