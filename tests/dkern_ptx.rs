//! Every decode kernel and every TPR variant assembles with ptxas for sm_87 and sm_90 with no
//! spill and no stack frame, and is not degenerate (ptxas kept real code: enough registers).
//! The parameter table matches each `.entry`'s `.param` list. Skips ptxas parts with a note
//! when no ptxas is found (CI installs it: scripts/ci-setup.sh).

use kernlab::engine::kernels::{all_specs, decode_kernels, DECODE_FILES};
use kernlab::ptx::{parse_ptxas_log, toolchain};

fn assemble(arch: &str) {
    let Some(path) = toolchain::find_ptxas() else {
        eprintln!(
            "note: ptxas not found (python3 -m pip install nvidia-cuda-nvcc); skipping {arch}"
        );
        return;
    };
    for spec in all_specs() {
        let text = spec.ptx_for(arch).unwrap();
        let (cubin, log) = toolchain::ptxas(&path, &text, arch, spec.entry)
            .unwrap_or_else(|e| panic!("{} for {arch}: {e}", spec.label()));
        assert!(
            cubin.starts_with(b"\x7fELF"),
            "{}: not a cubin",
            spec.label()
        );
        let u = parse_ptxas_log(&log)
            .into_iter()
            .find(|u| u.kernel == spec.entry)
            .unwrap_or_else(|| panic!("{}: no resource line in\n{log}", spec.label()));
        println!(
            "{arch} {:<28} {:>3} registers, {:>5} B smem, spills {}/{}",
            spec.label(),
            u.registers,
            u.shared_b,
            u.spill_stores_b,
            u.spill_loads_b
        );
        assert!(!u.spills(), "{} for {arch} spills", spec.label());
        assert_eq!(
            u.stack_frame_b,
            0,
            "{} for {arch}: stack frame",
            spec.label()
        );
        // A kernel ptxas reduced to nothing (e.g. a loop it proved infinite) uses ~4 registers.
        assert!(
            u.registers >= 10,
            "{} for {arch}: only {} registers",
            spec.label(),
            u.registers
        );
    }
}

#[test]
fn decode_kernels_assemble_for_sm_87() {
    assemble("sm_87");
}

#[test]
fn decode_kernels_assemble_for_sm_90() {
    assemble("sm_90");
}

/// The `.param` lines of entry `entry` in `text`: (type, name) in order.
fn ptx_params(text: &str, entry: &str) -> Vec<(String, String)> {
    let head = format!(".visible .entry {entry}(");
    let at = text
        .find(&head)
        .unwrap_or_else(|| panic!("no .entry {entry}"));
    let rest = &text[at + head.len()..];
    let end = rest.find(')').unwrap();
    rest[..end]
        .split(',')
        .map(|p| {
            let w: Vec<&str> = p.split_whitespace().collect();
            assert_eq!(w.len(), 3, "param line '{p}' of {entry}");
            assert_eq!(w[0], ".param");
            (w[1].to_string(), w[2].to_string())
        })
        .collect()
}

#[test]
fn table_matches_ptx_param_lists() {
    let mut seen = 0;
    for k in decode_kernels() {
        let got = ptx_params(k.file.text, k.entry);
        let want: Vec<(String, String)> = k
            .params
            .iter()
            .map(|(n, t)| (t.ptx().to_string(), n.to_string()))
            .collect();
        assert_eq!(got, want, "{}", k.entry);
        assert!(k.file.entries.contains(&k.entry));
        assert_eq!(k.has_tpr, k.file.text.contains("{{TPR}}"), "{}", k.entry);
        seen += 1;
    }
    // Every entry of every file is in the table.
    let entries: usize = DECODE_FILES.iter().map(|f| f.entries.len()).sum();
    assert_eq!(seen, entries);
    for f in DECODE_FILES {
        let n = f.text.matches(".visible .entry ").count();
        assert_eq!(n, f.entries.len(), "{}", f.file);
    }
}

#[test]
fn tpr_must_divide_32() {
    use kernlab::engine::spec;
    assert!(spec("matvec_q6_k", Some(12)).is_err());
    assert!(spec("rmsnorm", Some(8)).is_err());
    assert!(spec("matvec_q6_k", Some(8))
        .unwrap()
        .ptx()
        .unwrap()
        .contains("div.u32 %r4, %r3, 8;"));
}

#[test]
fn every_decode_entry_waits_for_its_predecessor_under_pdl() {
    // The nv backend's default replay on Hopper (pdl) starts kernel i + 1 before kernel i ends;
    // each entry must execute griddepcontrol.wait before it touches what an earlier kernel wrote.
    for k in decode_kernels() {
        let text = k.file.text;
        let start = text
            .find(&format!(".visible .entry {}(", k.entry))
            .unwrap_or_else(|| panic!("{}: no entry", k.entry));
        let rest = &text[start..];
        let end = rest[1..]
            .find(".visible .entry ")
            .map_or(rest.len(), |e| e + 1);
        assert!(
            rest[..end].contains("griddepcontrol.wait;"),
            "{}: no griddepcontrol.wait",
            k.entry
        );
    }
    let advance = include_str!("../ptx/engine/advance.ptx");
    assert!(advance.contains("griddepcontrol.wait;"));
}
