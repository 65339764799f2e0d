//! Every generated PTX file in ptx/ must be exactly what its generator script writes (edit the
//! generator, not the PTX): one table row per generator, each run into a temp folder and its
//! output compared byte for byte with the committed files. Skips with a note when no python3 is
//! found (the generators need nothing beyond the standard library).

use std::path::{Path, PathBuf};
use std::process::Command;

/// One committed PTX file a generator writes, and the entries it must define.
struct GeneratedPtx {
    committed: &'static str,
    entries: &'static [&'static str],
}

/// A generator script: `python3 <script> <inputs..> <output paths..>`, or, when `to_stdout`,
/// `python3 <script> <inputs..> > <the one output>`.
struct Generator {
    script: &'static str,
    inputs: &'static [&'static str],
    outputs: &'static [GeneratedPtx],
    to_stdout: bool,
}

const GENERATORS: &[Generator] = &[
    Generator {
        script: "scripts/mvq8/gen.py",
        inputs: &[
            "scripts/mvq8/header_q8_0_f.txt",
            "scripts/mvq8/header_q4_k_f.txt",
            "scripts/mvq8/header_q4_k_x.txt",
            "scripts/mvq8/header_q4_k_d.txt",
            "scripts/mvq8/header_q4_k_d16.txt",
        ],
        outputs: &[
            GeneratedPtx {
                committed: "ptx/decode/matvec_q8_0_f.ptx",
                entries: &["matvec_q8_0_f"],
            },
            GeneratedPtx {
                committed: "ptx/decode/matvec_q4_k_f.ptx",
                entries: &["matvec_q4_k_f"],
            },
            GeneratedPtx {
                committed: "ptx/decode/matvec_q4_k_x.ptx",
                entries: &["matvec_q4_k_x"],
            },
            GeneratedPtx {
                committed: "ptx/decode/matvec_q4_k_d.ptx",
                entries: &["matvec_q4_k_d"],
            },
            GeneratedPtx {
                committed: "ptx/decode/matvec_q4_k_d16.ptx",
                entries: &["matvec_q4_k_d16"],
            },
        ],
        to_stdout: false,
    },
    Generator {
        script: "scripts/mvq6p/gen.py",
        inputs: &[],
        outputs: &[GeneratedPtx {
            committed: "ptx/decode/matvec_q6_k_p.ptx",
            entries: &["matvec_q6_k_p"],
        }],
        to_stdout: false,
    },
    Generator {
        script: "scripts/mvstream/gen.py",
        inputs: &[],
        outputs: &[GeneratedPtx {
            committed: "ptx/decode/matvec_q6_k_s.ptx",
            entries: &["matvec_q6_k_s"],
        }],
        to_stdout: false,
    },
    Generator {
        script: "scripts/mvsplit/gen.py",
        inputs: &[],
        outputs: &[GeneratedPtx {
            committed: "ptx/decode/matvec_q8_0_k.ptx",
            entries: &["matvec_q8_0_k"],
        }],
        to_stdout: true,
    },
    Generator {
        script: "scripts/splitq6/gen.py",
        inputs: &[],
        outputs: &[GeneratedPtx {
            committed: "ptx/decode/matvec_q6_k_nk.ptx",
            entries: &["matvec_q6_k_nk"],
        }],
        to_stdout: false,
    },
    Generator {
        script: "scripts/mvq6n/gen.py",
        inputs: &[
            "scripts/mvq6n/header_nx.txt",
            "ptx/decode/matvec_q6_k_n.ptx",
        ],
        outputs: &[GeneratedPtx {
            committed: "ptx/decode/matvec_q6_k_nx.ptx",
            entries: &["matvec_q6_k_nx"],
        }],
        to_stdout: false,
    },
    Generator {
        script: "scripts/mvq6a/gen.py",
        inputs: &[
            "ptx/decode/matvec_q6_k_n.ptx",
            "ptx/decode/matvec_q6_k_nx.ptx",
        ],
        outputs: &[
            GeneratedPtx {
                committed: "ptx/decode/matvec_q6_k_na.ptx",
                entries: &["matvec_q6_k_na"],
            },
            GeneratedPtx {
                committed: "ptx/decode/matvec_q6_k_nxa.ptx",
                entries: &["matvec_q6_k_nxa"],
            },
            GeneratedPtx {
                committed: "ptx/decode/matvec_q6_k_np.ptx",
                entries: &["matvec_q6_k_np"],
            },
            GeneratedPtx {
                committed: "ptx/decode/matvec_q6_k_nxp.ptx",
                entries: &["matvec_q6_k_nxp"],
            },
        ],
        to_stdout: false,
    },
    Generator {
        script: "scripts/ptxgen/pair.py",
        inputs: &[
            "ptx/decode/matvec_q4_k_f.ptx",
            "ptx/decode/matvec_q6_k_f.ptx",
        ],
        outputs: &[GeneratedPtx {
            committed: "ptx/decode/matvec_q4k_q6k_f.ptx",
            entries: &["matvec_q4k_q6k_f"],
        }],
        to_stdout: false,
    },
    Generator {
        script: "scripts/ptxgen/pair.py",
        inputs: &[
            "ptx/decode/matvec_q4_k_x.ptx",
            "ptx/decode/matvec_q6_k_f.ptx",
        ],
        outputs: &[GeneratedPtx {
            committed: "ptx/decode/matvec_q4kx_q6k_f.ptx",
            entries: &["matvec_q4kx_q6k_f"],
        }],
        to_stdout: false,
    },
    Generator {
        script: "scripts/ptxgen/pair.py",
        inputs: &[
            "ptx/decode/matvec_q4_k_d.ptx",
            "ptx/decode/matvec_q6_k_f.ptx",
        ],
        outputs: &[GeneratedPtx {
            committed: "ptx/decode/matvec_q4kd_q6k_f.ptx",
            entries: &["matvec_q4kd_q6k_f"],
        }],
        to_stdout: false,
    },
    Generator {
        script: "scripts/ptxgen/pair.py",
        inputs: &[
            "ptx/decode/matvec_q4_k_d16.ptx",
            "ptx/decode/matvec_q6_k_f.ptx",
        ],
        outputs: &[GeneratedPtx {
            committed: "ptx/decode/matvec_q4kd16_q6k_f.ptx",
            entries: &["matvec_q4kd16_q6k_f"],
        }],
        to_stdout: false,
    },
    Generator {
        script: "scripts/gen_attn_rope.py",
        inputs: &[],
        outputs: &[GeneratedPtx {
            committed: "ptx/decode/attn_rope.ptx",
            entries: &["attn_rope_llama", "attn_rope_neox", "attn_qknorm_rope_neox"],
        }],
        to_stdout: true,
    },
];

/// Runs one generator into `tmp`; returns (committed path, generated text) per output.
fn run_generator(root: &Path, tmp: &Path, gen: &Generator) -> Vec<(&'static str, String)> {
    let out_paths: Vec<PathBuf> = gen
        .outputs
        .iter()
        .map(|o| tmp.join(Path::new(o.committed).file_name().unwrap()))
        .collect();
    let mut cmd = Command::new("python3");
    cmd.current_dir(root).arg(gen.script).args(gen.inputs);
    if gen.to_stdout {
        assert_eq!(
            gen.outputs.len(),
            1,
            "{}: stdout holds one file",
            gen.script
        );
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{} failed: {}\n{}",
            gen.script,
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(&out_paths[0], &out.stdout).unwrap();
    } else {
        let status = cmd.args(&out_paths).status().unwrap();
        assert!(status.success(), "{} failed: {status}", gen.script);
    }
    gen.outputs
        .iter()
        .zip(&out_paths)
        .map(|(o, p)| (o.committed, std::fs::read_to_string(p).unwrap()))
        .collect()
}

#[test]
fn every_generated_ptx_is_its_generator_output() {
    if let Err(e) = Command::new("python3").arg("--version").output() {
        eprintln!("note: python3 not runnable ({e}); skipping the PTX generator checks");
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let tmp = std::env::temp_dir().join(format!("ptx_generators_{}", std::process::id()));
    let mut stale = Vec::new();
    for gen in GENERATORS {
        std::fs::create_dir_all(&tmp).unwrap();
        let generated = run_generator(&root, &tmp, gen);
        std::fs::remove_dir_all(&tmp).ok();
        for ((committed, text), want) in generated.into_iter().zip(gen.outputs) {
            for entry in want.entries {
                assert!(
                    text.contains(&format!(".visible .entry {entry}(")),
                    "{} wrote no entry {entry} for {committed}",
                    gen.script
                );
            }
            if text != std::fs::read_to_string(root.join(committed)).unwrap() {
                stale.push(format!("{committed} (from {})", gen.script));
            }
        }
    }
    // Listed together so one run names every stale file; each generator's docstring gives its
    // command line for regenerating.
    assert!(
        stale.is_empty(),
        "committed PTX differs from its generator's output, regenerate: {stale:?}"
    );
}
