//! GPT-2's byte-level alphabet: every byte gets a printable code point, so a BPE vocabulary of
//! strings can hold arbitrary bytes. Bytes 0x21–0x7E, 0xA1–0xAC and 0xAE–0xFF map to the code
//! point of the same value; the other 68 bytes map, in ascending order, to U+0100… (space →
//! 'Ġ' U+0120, '\n' → 'Ċ' U+010A). Source: models-and-quants.md §8 (llama.cpp unicode.cpp).

/// The 256-entry table byte → char.
pub fn byte_to_char_table() -> [char; 256] {
    let mut table = ['\0'; 256];
    let mut next = 0x100u32;
    for b in 0..256u32 {
        let printable =
            (0x21..=0x7e).contains(&b) || (0xa1..=0xac).contains(&b) || (0xae..=0xff).contains(&b);
        let cp = if printable {
            b
        } else {
            let cp = next;
            next += 1;
            cp
        };
        table[b as usize] = char::from_u32(cp).unwrap_or('\u{fffd}');
    }
    table
}

/// The inverse map char → byte, for decoding; None for chars outside the alphabet.
pub fn char_to_byte(c: char) -> Option<u8> {
    let cp = c as u32;
    let printable =
        (0x21..=0x7e).contains(&cp) || (0xa1..=0xac).contains(&cp) || (0xae..=0xff).contains(&cp);
    if printable {
        return Some(cp as u8);
    }
    if !(0x100..0x100 + 68).contains(&cp) {
        return None;
    }
    // The k-th non-printable byte maps to U+0100 + k.
    let k = cp - 0x100;
    (0..256u32)
        .filter(|b| {
            !((0x21..=0x7e).contains(b) || (0xa1..=0xac).contains(b) || (0xae..=0xff).contains(b))
        })
        .nth(k as usize)
        .map(|b| b as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_points_and_inverse() {
        let t = byte_to_char_table();
        assert_eq!(t[b' ' as usize], 'Ġ');
        assert_eq!(t[b'\n' as usize], 'Ċ');
        assert_eq!(t[b'\t' as usize], 'ĉ');
        assert_eq!(t[b'a' as usize], 'a');
        assert_eq!(t[0xad], '\u{143}');
        for b in 0..=255u8 {
            assert_eq!(char_to_byte(t[b as usize]), Some(b));
        }
        assert_eq!(char_to_byte('€'), None);
    }
}
