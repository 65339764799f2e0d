//! kernlab's dequantize against gguf-py, bit for bit, on the committed fixtures
//! (scripts/gen_quant_fixtures.py), and the fixtures against a fresh run of the script.

mod gguf_util;

use kernlab::quant;
use kernlab::GgmlType;
use std::path::{Path, PathBuf};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/quant")
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    let p = dir.join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

#[test]
fn dequantize_matches_gguf_py_bit_for_bit() {
    let dir = fixture_dir();
    let mut checked = 0;
    for ty in quant::dequant_types() {
        let blocks = read(&dir, &format!("{}.blocks", ty.name()));
        let want = f32s(&read(&dir, &format!("{}.f32", ty.name())));
        assert!(!want.is_empty());
        let got = quant::dequantize_to_vec(ty, &blocks, want.len()).unwrap();
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(
                g.to_bits(),
                w.to_bits(),
                "{ty} value {i} (block {}): got {g}, gguf-py {w}",
                i / ty.block_elems()
            );
        }
        // The per-block function of the description gives the same values.
        let d = quant::desc(ty).unwrap();
        let mut one = vec![0f32; d.block_elems];
        (d.dequant_block)(&blocks[..d.block_bytes], &mut one);
        assert_eq!(one[..], got[..d.block_elems], "{ty} desc.dequant_block");
        checked += 1;
    }
    assert_eq!(checked, 13);
}

#[test]
fn quantizers_match_gguf_py_where_same_algorithm() {
    let dir = fixture_dir();
    for ty in [
        GgmlType::Q8_0,
        GgmlType::Q4_0,
        GgmlType::BF16,
        GgmlType::F16,
    ] {
        let x = f32s(&read(&dir, &format!("{}.qin.f32", ty.name())));
        let want = read(&dir, &format!("{}.qout.blocks", ty.name()));
        if !quant::can_quantize(ty) {
            eprintln!("note: {ty} quantize not built; skipping the gguf-py comparison");
            continue;
        }
        let got = quant::quantize(ty, &x).unwrap();
        assert_eq!(got.len(), want.len(), "{ty}");
        let bb = ty.block_bytes();
        for (b, (g, w)) in got.chunks(bb).zip(want.chunks(bb)).enumerate() {
            assert_eq!(g, w, "{ty} block {b} differs from gguf-py");
        }
    }
}

#[test]
fn committed_fixtures_equal_a_fresh_gguf_py_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if !gguf_util::py::have_gguf_py() {
        eprintln!("note: python3 with gguf+numpy not found; skipping the fixture regeneration check (scripts/ci-setup.sh installs them)");
        return;
    }
    let tmp = std::env::temp_dir().join(format!("kernlab-quant-fixtures-{}", std::process::id()));
    let out = std::process::Command::new("python3")
        .arg(root.join("scripts/gen_quant_fixtures.py"))
        .arg(&tmp)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "gen_quant_fixtures.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let committed = fixture_dir();
    let mut names: Vec<_> = std::fs::read_dir(&tmp)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let mut committed_names: Vec<_> = std::fs::read_dir(&committed)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    committed_names.sort();
    assert_eq!(names, committed_names, "fixture file sets differ");
    for n in &names {
        assert!(
            read(&tmp, n) == read(&committed, n),
            "{n}: regenerated fixture differs from the committed one"
        );
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn kernlab_quantized_blocks_dequantize_identically_in_gguf_py() {
    // An independent check of the quantizers' bit packing: gguf-py reads kernlab's blocks.
    let have = std::process::Command::new("python3")
        .args(["-c", "import gguf, numpy"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !have {
        eprintln!("note: python3 with gguf+numpy not found; skipping the gguf-py read-back check");
        return;
    }
    let tmp = std::env::temp_dir().join(format!("kernlab-quant-readback-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let n = 256 * 16;
    let x: Vec<f32> = (0..n)
        .map(|i| ((i * 7919 % 1009) as f32 / 1009.0 - 0.5) * (1.0 + (i % 97) as f32 / 10.0))
        .collect();
    for ty in [
        GgmlType::Q8_0,
        GgmlType::Q4_0,
        GgmlType::Q4_K,
        GgmlType::Q5_K,
        GgmlType::Q6_K,
        GgmlType::F16,
        GgmlType::BF16,
    ] {
        let q = quant::quantize(ty, &x).unwrap();
        let blocks = tmp.join(format!("{}.blocks", ty.name()));
        let vals = tmp.join(format!("{}.f32", ty.name()));
        std::fs::write(&blocks, &q).unwrap();
        let script = format!(
            "import numpy as np; from gguf import quants, GGMLQuantizationType as T; \
             b = np.fromfile('{}', dtype=np.uint8); \
             quants.dequantize(b, T.{}).astype('<f4').reshape(-1).tofile('{}')",
            blocks.display(),
            ty.name(),
            vals.display()
        );
        let out = std::process::Command::new("python3")
            .args(["-c", &script])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{ty}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let want = f32s(&read(&tmp, &format!("{}.f32", ty.name())));
        let got = quant::dequantize_to_vec(ty, &q, n).unwrap();
        assert_eq!(want.len(), n, "{ty}");
        for i in 0..n {
            assert_eq!(got[i].to_bits(), want[i].to_bits(), "{ty} value {i}");
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
}
