//! The cubin loader against ptxas-built fixtures (scripts/make_cubin_fixtures.sh): what it
//! parses must equal what cuobjdump -elf / nvdisasm report (the .expect files), for sm_87 and
//! sm_90; malformed files give HcqError::Cubin, never a panic.

use hcq::cubin::{Cubin, R_CUDA_64};
use hcq::HcqError;
use std::collections::BTreeMap;
use std::path::PathBuf;

const KERNELS: &[&str] = &["store3", "shared", "local", "many_regs", "globals"];
const ARCHS: &[&str] = &["sm_87", "sm_90"];

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// key → every value given for it, in file order.
fn expect(file: &str) -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(fixture(file)).expect("expect file");
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains('='))
    {
        let (k, v) = line.split_once('=').unwrap();
        m.entry(k.to_string()).or_default().push(v.to_string());
    }
    m
}

fn num(s: &str) -> u64 {
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).unwrap(),
        None => s.parse().unwrap(),
    }
}

fn one(e: &BTreeMap<String, Vec<String>>, k: &str) -> Option<u64> {
    e.get(k).map(|v| num(&v[0]))
}

#[test]
fn loader_matches_cuobjdump_for_every_fixture() {
    for k in KERNELS {
        for arch in ARCHS {
            let tag = format!("{k}.{arch}");
            let bytes = std::fs::read(fixture(&format!("{tag}.cubin"))).unwrap();
            let e = expect(&format!("{tag}.expect"));
            let c = Cubin::parse(&bytes).unwrap_or_else(|err| panic!("{tag}: {err}"));
            assert_eq!(c.sm as u64, one(&e, "sm").unwrap(), "{tag} sm");
            assert_eq!(c.kernels.len(), 1, "{tag}");
            let ki = c.kernel(&e["kernel"][0]).unwrap();
            assert_eq!(
                ki.text_size_b,
                one(&e, "text_size").unwrap(),
                "{tag} text size"
            );
            assert_eq!(
                ki.regs as u64,
                one(&e, "regcount").unwrap(),
                "{tag} registers"
            );
            assert_eq!(
                ki.param_base as u64,
                one(&e, "param_cbank_offset").unwrap(),
                "{tag} param base"
            );
            assert_eq!(
                ki.param_size_b as u64,
                one(&e, "param_cbank_size").unwrap(),
                "{tag} param size"
            );
            assert_eq!(
                ki.param_size_b as u64,
                one(&e, "cbank_param_size").unwrap(),
                "{tag} CBANK_PARAM_SIZE"
            );
            assert_eq!(
                ki.param_base,
                if *arch == "sm_90" { 0x210 } else { 0x160 },
                "{tag} rm-hcq.md §6.x"
            );
            assert_eq!(
                ki.shared_b,
                one(&e, "shared_size").unwrap_or(0),
                "{tag} shared"
            );
            assert_eq!(
                ki.min_stack_b as u64,
                one(&e, "min_stack_size").unwrap_or(0),
                "{tag} min stack"
            );
            assert_eq!(
                ki.frame_b as u64,
                one(&e, "frame_size").unwrap_or(0),
                "{tag} frame"
            );
            assert_eq!(
                ki.max_stack_b as u64,
                one(&e, "max_stack_size").unwrap_or(0),
                "{tag} max stack"
            );
            assert_eq!(
                ki.num_barriers as u64,
                one(&e, "num_barriers").unwrap_or(0),
                "{tag} barriers"
            );
            assert_eq!(
                ki.cbuf0.len() as u64,
                one(&e, "constant0_size").unwrap(),
                "{tag} cbuf0"
            );
            let exits: Vec<u64> = e["exit_instr_offsets"][0].split(',').map(num).collect();
            assert_eq!(
                ki.exit_offsets
                    .iter()
                    .map(|&x| x as u64)
                    .collect::<Vec<_>>(),
                exits,
                "{tag} exits"
            );
            let params: Vec<String> = ki
                .params
                .iter()
                .map(|p| format!("{}:0x{:x}:0x{:x}", p.ordinal, p.offset_b, p.size_b))
                .collect();
            assert_eq!(&params, &e["kparam"], "{tag} KPARAM_INFO");
            // The text is in the image, 128-B aligned, with the file's bytes.
            assert_eq!(ki.text_off % 128, 0);
            assert!(ki.text_off + ki.text_size_b <= c.image.len() as u64);
            for n in 1..8u8 {
                let want = one(&e, &format!("constant{n}_size"));
                let got = c.banks.iter().find(|b| b.bank == n).map(|b| b.size_b);
                assert_eq!(got, want, "{tag} constant bank {n}");
            }
            let placed = |name: &str| c.placed.iter().find(|p| p.0 == name).map(|p| (p.1, p.2));
            assert_eq!(
                placed(".nv.global").map(|p| p.1),
                one(&e, "global_size"),
                "{tag} .nv.global"
            );
            assert_eq!(
                placed(".nv.global.init").map(|p| p.1),
                one(&e, "global_init_size"),
                "{tag} .nv.global.init"
            );
            // Relocations into loaded sections: same target offsets, symbols and types.
            let mut want_rel: Vec<String> = e
                .get("reloc")
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|r| !r.starts_with(".debug_frame"))
                .collect();
            let mut got_rel: Vec<String> = c
                .relocs
                .iter()
                .map(|r| {
                    let (sec, off, _) = c
                        .placed
                        .iter()
                        .find(|p| r.image_off >= p.1 && r.image_off < p.1 + p.2)
                        .unwrap();
                    let kind = if r.kind == R_CUDA_64 {
                        "R_CUDA_64".to_string()
                    } else {
                        format!("0x{:x}", r.kind)
                    };
                    format!(
                        "{sec}:0x{:x}:{}:{kind}:0x{:x}",
                        r.image_off - off,
                        r.sym_name,
                        r.addend
                    )
                })
                .collect();
            want_rel.sort();
            got_rel.sort();
            assert_eq!(got_rel, want_rel, "{tag} relocations");
            // Every bank-0 word the SASS reads is a parameter or a driver word program.rs fills
            // (block dims 0x0.., stack top 0x28) or the global-memory descriptor (left 0).
            let descriptor = if *arch == "sm_90" { 0x208 } else { 0x118 };
            for r in e["sass_cbank0_reads"][0].split(',').map(num) {
                let in_params =
                    r >= ki.param_base as u64 && r < (ki.param_base + ki.param_size_b) as u64;
                assert!(
                    in_params || [0x0, 0x4, 0x8, 0x28, descriptor, descriptor + 4].contains(&r),
                    "{tag} reads c[0x0][0x{r:x}]"
                );
            }
        }
    }
}

#[test]
fn relocations_resolve_to_the_globals() {
    for arch in ARCHS {
        let c = Cubin::parse(&std::fs::read(fixture(&format!("globals.{arch}.cubin"))).unwrap())
            .unwrap();
        let base = 0x7f12_3400_0000u64;
        let img = c.relocated(base).unwrap();
        let at = |name: &str| c.placed.iter().find(|p| p.0 == name).unwrap().1;
        let c4 = at(".nv.constant4") as usize;
        let u64_at = |o: usize| u64::from_le_bytes(img[o..o + 8].try_into().unwrap());
        assert_eq!(u64_at(c4), base + at(".nv.global.init"), "{arch} init_vals");
        assert_eq!(u64_at(c4 + 8), base + at(".nv.global"), "{arch} scratch");
        let init = at(".nv.global.init") as usize;
        assert_eq!(
            &img[init..init + 8],
            &[11, 0, 0, 0, 22, 0, 0, 0],
            "{arch} initialised global copied"
        );
        let c3 = at(".nv.constant3") as usize;
        assert_eq!(u32::from_le_bytes(img[c3..c3 + 4].try_into().unwrap()), 100);
    }
}

#[test]
fn unknown_relocation_type_is_named() {
    let mut bytes = std::fs::read(fixture("globals.sm_90.cubin")).unwrap();
    let elf = goblin::elf::Elf::parse(&bytes).unwrap();
    let s = elf
        .section_headers
        .iter()
        .find(|s| elf.shdr_strtab.get_at(s.sh_name) == Some(".rela.nv.constant4"))
        .unwrap();
    let off = s.sh_offset as usize + 8; // first entry's r_info, type in the low 32 bits
    drop(elf);
    bytes[off..off + 4].copy_from_slice(&0x77u32.to_le_bytes());
    let e = Cubin::parse(&bytes).unwrap_err();
    assert!(e.to_string().contains("relocation type 0x77"), "{e}");
}

#[test]
fn truncated_and_mutated_cubins_fail_cleanly() {
    for k in ["store3.sm_90", "globals.sm_87", "local.sm_90"] {
        let bytes = std::fs::read(fixture(&format!("{k}.cubin"))).unwrap();
        let mut errors = 0;
        for len in (0..bytes.len()).step_by(37) {
            match Cubin::parse(&bytes[..len]) {
                Err(HcqError::Cubin(m)) => {
                    assert!(!m.is_empty());
                    errors += 1
                }
                Err(other) => panic!("{k} truncated to {len}: wrong error kind {other:?}"),
                Ok(_) => {}
            }
        }
        assert!(
            errors > bytes.len() / 37 / 2,
            "{k}: most truncations must be rejected"
        );
        // Flip bytes across the whole file, one at a time: Ok or a Cubin error, never a panic.
        for pos in (0..bytes.len()).step_by(7) {
            let mut m = bytes.clone();
            m[pos] ^= 0xA5;
            if let Err(e) = Cubin::parse(&m) {
                assert!(matches!(e, HcqError::Cubin(_)), "{k} byte {pos}: {e:?}");
            }
        }
    }
    assert!(matches!(Cubin::parse(b"\x7fELF"), Err(HcqError::Cubin(_))));
    assert!(matches!(Cubin::parse(&[]), Err(HcqError::Cubin(_))));
}

#[test]
fn bad_nv_info_records_are_rejected() {
    use hcq::cubin::parse_info;
    assert_eq!(
        parse_info(&[0x03, 0x1b, 0xff, 0x00], "t").unwrap()[0].value,
        0xff
    );
    let e = parse_info(&[0x04, 0x0a, 0x08, 0x00, 1, 2], "t").unwrap_err();
    assert!(e.to_string().contains("wants 8 B"), "{e}");
    assert!(parse_info(&[0x09, 0x0a, 0, 0], "t")
        .unwrap_err()
        .to_string()
        .contains("unknown format"));
    assert!(parse_info(&[0x04, 0x0a], "t").is_err());
}
