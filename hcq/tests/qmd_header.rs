//! Every QMD field position hcq uses, checked against the MW(hi:lo) numbers of NVIDIA's headers
//! (table copied mechanically from open-gpu-doc @ c8607fe, with the header line of each).

#[path = "qmd_header/table.rs"]
mod table;

use hcq::qmd::{all_fields, Qmd, QmdVersion};

fn check(v: QmdVersion, table: &[(&str, u32, u32, u32)]) {
    let mut checked = 0;
    for f in all_fields() {
        let (bits, name) = (f.bits(v), f.header_name(v));
        assert_eq!(bits.is_some(), name.is_some(), "{v:?} {f:?}");
        let (Some((hi, lo)), Some(name)) = (bits, name) else {
            continue;
        };
        let row = table.iter().find(|r| r.0 == name);
        // V3 has only DEPENDENT_QMD0_POINTER; every other field must be in the header.
        let Some(&(_, want_hi, want_lo, line)) = row else {
            panic!("{v:?} {f:?}: {name} is not in the header")
        };
        assert_eq!((hi, lo), (want_hi, want_lo), "{name} (header line {line})");
        checked += 1;

        // Round trip at this position: all ones and a pattern, neighbours untouched.
        let width = hi - lo + 1;
        let ones = if width == 64 {
            u64::MAX
        } else {
            (1u64 << width) - 1
        };
        let mut q = Qmd {
            version: v,
            words: vec![0; v.size_b() / 4],
        };
        q.set(f, ones).unwrap();
        assert_eq!(q.get(f).unwrap(), ones, "{name}");
        let set_bits: u32 = q.words.iter().map(|w| w.count_ones()).sum();
        assert_eq!(set_bits, width, "{name}: only its own bits");
        let pattern = 0x5A5A_5A5A_5A5A_5A5Au64 & ones;
        q.set(f, pattern).unwrap();
        assert_eq!(q.get(f).unwrap(), pattern);
        if width < 64 {
            assert!(
                q.set(f, ones + 1).is_err(),
                "{name}: a value one bit too wide must fail"
            );
        }
    }
    assert!(checked > 100, "{v:?}: only {checked} fields checked");
}

#[test]
fn v03_00_positions_match_clc6c0qmd_h() {
    check(QmdVersion::V3, table::V03_00);
}

#[test]
fn v04_00_positions_match_clcbc0qmd_h() {
    check(QmdVersion::V4, table::V04_00);
}

#[test]
fn qmd_sizes_match_headers() {
    // clc6c0qmd.h: last V03_00 field DEBUG_ID_LOWER MW(2047:2016) → 256 B;
    // clcbc0qmd.h: last V04_00 field OUTER_STICKY_OVERFLOW MW(3071:3071) → 384 B.
    assert_eq!(QmdVersion::V3.size_b() * 8, 2048);
    assert_eq!(QmdVersion::V4.size_b() * 8, 3072);
}
