//! Pushbuffer: method headers and their data words, as the host class (clc56f.h "DMA method
//! header") defines them. Header = SEC_OP 31:29 | COUNT (or immediate) 28:16 | SUBCHANNEL 15:13
//! | ADDRESS (method byte offset >> 2) 11:0. Consecutive INC methods on one subchannel are merged
//! into one header, as Mesa's nv_push does, so a queue is as short as the hardware allows.

use crate::error::{HcqError, Result};
use std::ops::Range;

/// SEC_OP values (NVC56F_DMA_SEC_OP_*).
pub const SEC_OP_INC_METHOD: u32 = 1;
pub const SEC_OP_NON_INC_METHOD: u32 = 3;
pub const SEC_OP_IMMD_DATA_METHOD: u32 = 4;
pub const SEC_OP_ONE_INC: u32 = 5;
pub const SEC_OP_END_PB_SEGMENT: u32 = 7;

/// COUNT is 13 bits; so is the immediate.
pub const MAX_COUNT: usize = 0x1FFF;
pub const MAX_IMMEDIATE: u32 = 0x1FFF;

pub const fn header(op: u32, count_or_value: u32, subc: u32, mthd: u32) -> u32 {
    (op << 29) | ((count_or_value & 0x1FFF) << 16) | ((subc & 7) << 13) | ((mthd >> 2) & 0xFFF)
}

#[derive(Debug, Clone, Default)]
pub struct PushBuf {
    words: Vec<u32>,
    /// The open INC header that a following method may extend: (header word index, subc,
    /// next method byte offset).
    open_inc: Option<(usize, u32, u32)>,
}

impl PushBuf {
    pub fn new() -> PushBuf {
        PushBuf::default()
    }

    /// An empty pushbuffer with room for `words` words: one allocation where a hot path knows
    /// its size (a lone launch's dozen words would otherwise grow the vector three times).
    pub fn with_capacity(words: usize) -> PushBuf {
        PushBuf {
            words: Vec::with_capacity(words),
            open_inc: None,
        }
    }

    pub fn words(&self) -> &[u32] {
        &self.words
    }

    pub fn words_mut(&mut self) -> &mut [u32] {
        &mut self.words
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Incrementing method write: `data[i]` goes to `mthd + 4 i`. Merged into the previous
    /// header when that one was an INC on the same subchannel ending at `mthd`. Returns the word
    /// indices of the data words (patch slots).
    pub fn method(&mut self, subc: u32, mthd: u32, data: &[u32]) -> Range<usize> {
        let mut first_data = None;
        let mut mthd = mthd;
        let mut rest = data;
        while !rest.is_empty() {
            let extend = match self.open_inc {
                Some((h, s, next))
                    if s == subc
                        && next == mthd
                        && h + 1 + self.count_at(h) == self.words.len() =>
                {
                    let room = MAX_COUNT - self.count_at(h);
                    (room > 0).then_some((h, room))
                }
                _ => None,
            };
            let (h, room) = match extend {
                Some(x) => x,
                None => {
                    self.words.push(header(SEC_OP_INC_METHOD, 0, subc, mthd));
                    (self.words.len() - 1, MAX_COUNT)
                }
            };
            let n = rest.len().min(room);
            let count = self.count_at(h) + n;
            self.words[h] = header(SEC_OP_INC_METHOD, count as u32, subc, self.mthd_at(h));
            first_data.get_or_insert(self.words.len());
            self.words.extend_from_slice(&rest[..n]);
            mthd += 4 * n as u32;
            rest = &rest[n..];
            self.open_inc = Some((h, subc, mthd));
        }
        // A burst longer than MAX_COUNT carries one more header inside the range.
        first_data.unwrap_or(self.words.len())..self.words.len()
    }

    /// Non-incrementing write: every word goes to `mthd` (e.g. inline data streams).
    pub fn method_non_inc(&mut self, subc: u32, mthd: u32, data: &[u32]) -> Range<usize> {
        self.open_inc = None;
        let start = self.words.len();
        for chunk in data.chunks(MAX_COUNT) {
            self.words.push(header(
                SEC_OP_NON_INC_METHOD,
                chunk.len() as u32,
                subc,
                mthd,
            ));
            self.words.extend_from_slice(chunk);
        }
        self.data_range(start)
    }

    /// First word to `mthd`, the rest to `mthd + 4`.
    pub fn method_one_inc(&mut self, subc: u32, mthd: u32, data: &[u32]) -> Result<Range<usize>> {
        if data.is_empty() || data.len() > MAX_COUNT {
            return Err(HcqError::Unsupported(format!(
                "ONE_INC with {} data words",
                data.len()
            )));
        }
        self.open_inc = None;
        let start = self.words.len();
        self.words
            .push(header(SEC_OP_ONE_INC, data.len() as u32, subc, mthd));
        self.words.extend_from_slice(data);
        Ok(start + 1..self.words.len())
    }

    /// Immediate method: the value lives in the header (< 0x2000), no data word, no patch slot.
    pub fn immd(&mut self, subc: u32, mthd: u32, value: u32) -> Result<()> {
        if value > MAX_IMMEDIATE {
            return Err(HcqError::Unsupported(format!(
                "immediate 0x{value:x} for method 0x{mthd:x} does not fit 13 bits"
            )));
        }
        self.open_inc = None;
        self.words
            .push(header(SEC_OP_IMMD_DATA_METHOD, value, subc, mthd));
        Ok(())
    }

    /// Bind `class` on `subc` (SET_OBJECT, method 0 of every class).
    pub fn set_object(&mut self, subc: u32, class: u32) -> Range<usize> {
        self.method(subc, crate::classes::NVC86F_SET_OBJECT, &[class])
    }

    /// Append raw words (already encoded elsewhere); closes any open header.
    pub fn extend_raw(&mut self, words: &[u32]) {
        self.open_inc = None;
        self.words.extend_from_slice(words);
    }

    fn count_at(&self, h: usize) -> usize {
        ((self.words[h] >> 16) & 0x1FFF) as usize
    }

    fn mthd_at(&self, h: usize) -> u32 {
        (self.words[h] & 0xFFF) << 2
    }

    fn data_range(&self, start: usize) -> Range<usize> {
        // Only meaningful for a single chunk; callers with > MAX_COUNT words get the whole span.
        (start + 1).min(self.words.len())..self.words.len()
    }
}

/// One method write as the GPU sees it after decoding the headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodWrite {
    pub subc: u32,
    /// Method byte offset.
    pub mthd: u32,
    pub value: u32,
    /// Word index of the value in the pushbuffer (None for immediates).
    pub word: Option<usize>,
}

/// Decode a pushbuffer into method writes; errors name the word index of a bad header.
pub fn decode(words: &[u32]) -> Result<Vec<MethodWrite>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let h = words[i];
        let op = h >> 29;
        let count = ((h >> 16) & 0x1FFF) as usize;
        let subc = (h >> 13) & 7;
        let mthd = (h & 0xFFF) << 2;
        match op {
            SEC_OP_IMMD_DATA_METHOD => {
                out.push(MethodWrite {
                    subc,
                    mthd,
                    value: count as u32,
                    word: None,
                });
                i += 1;
                continue;
            }
            SEC_OP_END_PB_SEGMENT => break,
            SEC_OP_INC_METHOD | SEC_OP_NON_INC_METHOD | SEC_OP_ONE_INC => {}
            _ => {
                return Err(HcqError::Unsupported(format!(
                    "pushbuffer word {i}: header 0x{h:08x} has unknown SEC_OP {op}"
                )))
            }
        }
        if i + 1 + count > words.len() {
            return Err(HcqError::Unsupported(format!(
                "pushbuffer word {i}: header 0x{h:08x} wants {count} data words, {} left",
                words.len() - i - 1
            )));
        }
        for k in 0..count {
            let step = match op {
                SEC_OP_INC_METHOD => k as u32,
                SEC_OP_ONE_INC => (k > 0) as u32,
                _ => 0,
            };
            out.push(MethodWrite {
                subc,
                mthd: mthd + 4 * step,
                value: words[i + 1 + k],
                word: Some(i + 1 + k),
            });
        }
        i += 1 + count;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_matches_tinygrad_formula() {
        // tinygrad nvmethod: (2 << 28) | (size << 16) | (subc << 13) | (mthd >> 2)
        assert_eq!(
            header(SEC_OP_INC_METHOD, 5, 0, 0x5C),
            (2 << 28) | (5 << 16) | 0x17
        );
        assert_eq!(header(SEC_OP_INC_METHOD, 1, 1, 0x2B4), 0x2001_20AD);
    }

    #[test]
    fn consecutive_methods_merge() {
        let mut pb = PushBuf::new();
        let a = pb.method(0, 0x5C, &[1, 2]);
        let b = pb.method(0, 0x64, &[3, 4, 5]);
        assert_eq!(pb.words(), &[header(1, 5, 0, 0x5C), 1, 2, 3, 4, 5]);
        assert_eq!((a, b), (1..3, 3..6));
        // Different subchannel or non-adjacent method: new header.
        pb.method(1, 0x70, &[6]);
        pb.method(1, 0x80, &[7]);
        assert_eq!(pb.len(), 10);
        let w = decode(pb.words()).unwrap();
        let got: Vec<(u32, u32, u32)> = w.iter().map(|m| (m.subc, m.mthd, m.value)).collect();
        assert_eq!(
            got,
            vec![
                (0, 0x5C, 1),
                (0, 0x60, 2),
                (0, 0x64, 3),
                (0, 0x68, 4),
                (0, 0x6C, 5),
                (1, 0x70, 6),
                (1, 0x80, 7)
            ]
        );
    }

    #[test]
    fn immediate_breaks_merge_and_checks_width() {
        let mut pb = PushBuf::new();
        pb.method(1, 0x100, &[1]);
        pb.immd(1, 0x104, 0x1FFF).unwrap();
        pb.method(1, 0x108, &[2]);
        assert!(pb.immd(1, 0x104, 0x2000).is_err());
        let w = decode(pb.words()).unwrap();
        assert_eq!(
            w[1],
            MethodWrite {
                subc: 1,
                mthd: 0x104,
                value: 0x1FFF,
                word: None
            }
        );
        assert_eq!(w[2].mthd, 0x108);
        assert_eq!(pb.len(), 5);
    }

    #[test]
    fn non_inc_and_one_inc_decode() {
        let mut pb = PushBuf::new();
        pb.method_non_inc(4, 0x200, &[1, 2, 3]);
        pb.method_one_inc(4, 0x300, &[4, 5, 6]).unwrap();
        let m: Vec<u32> = decode(pb.words()).unwrap().iter().map(|w| w.mthd).collect();
        assert_eq!(m, vec![0x200, 0x200, 0x200, 0x300, 0x304, 0x304]);
    }

    #[test]
    fn long_non_inc_streams_split_at_count_limit() {
        let mut pb = PushBuf::new();
        let data: Vec<u32> = (0..(MAX_COUNT as u32 + 10)).collect();
        let r = pb.method_non_inc(1, 0x320, &data);
        assert_eq!(r.len(), data.len() + 1, "one extra header inside the range");
        let w = decode(pb.words()).unwrap();
        assert_eq!(w.len(), data.len());
        assert!(w
            .iter()
            .enumerate()
            .all(|(i, m)| m.mthd == 0x320 && m.value == i as u32));
    }

    #[test]
    fn decode_rejects_truncation() {
        let e = decode(&[header(1, 4, 0, 0x5C), 1]).unwrap_err();
        assert!(e.to_string().contains("wants 4 data words"), "{e}");
        assert!(decode(&[0]).is_err());
    }
}
