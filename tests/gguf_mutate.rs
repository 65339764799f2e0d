//! Mutation robustness: valid writer-made files, mutated thousands of ways from a fixed-seed
//! PRNG (bit flips, byte overwrites, truncation at every header byte, huge counts and lengths
//! spliced at every header offset). Every case must end in Ok or a clean `Error::Gguf`, fast,
//! and no single allocation may exceed a bound proportional to the file size (a counting global
//! allocator records the largest request).

mod gguf_util;

use gguf_util::*;
use kernlab::gguf::{GgufFile, GgufWriter, Value};
use kernlab::{Error, GgmlType};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

struct MaxAlloc;
static LARGEST_ALLOC_B: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for MaxAlloc {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LARGEST_ALLOC_B.fetch_max(l.size(), Ordering::Relaxed);
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LARGEST_ALLOC_B.fetch_max(new, Ordering::Relaxed);
        System.realloc(p, l, new)
    }
}

#[global_allocator]
static GLOBAL: MaxAlloc = MaxAlloc;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn base_files() -> Vec<Vec<u8>> {
    let mut files = vec![];
    for (i, w) in [full_writer(None), full_writer(Some(64))]
        .into_iter()
        .enumerate()
    {
        let p = tmp_path(&format!("mut{i}.gguf"));
        w.write(&p).unwrap();
        files.push(std::fs::read(&p).unwrap());
    }
    // a tokenizer-like file: long string arrays, nested arrays, a couple of tensors
    let mut w = GgufWriter::new();
    w.add("general.architecture", Value::Str("qwen3".into()));
    let toks = (0..300).map(|i| Value::Str(format!("tok{i}"))).collect();
    w.add("tokenizer.ggml.tokens", Value::Arr(toks));
    w.add(
        "tokenizer.ggml.token_type",
        Value::Arr((0..300).map(Value::I32).collect()),
    );
    w.add(
        "x.nested",
        Value::Arr(vec![Value::Arr(vec![Value::Arr(vec![Value::U16(1)])])]),
    );
    w.add_tensor("a", &[32, 2], GgmlType::Q8_0, pattern(68, 1))
        .unwrap();
    w.add_tensor("b", &[8], GgmlType::F32, pattern(32, 2))
        .unwrap();
    let p = tmp_path("mut_tok.gguf");
    w.write(&p).unwrap();
    files.push(std::fs::read(&p).unwrap());
    files
}

/// Parse one mutated file; Ok results must be self-consistent.
fn check(bytes: Vec<u8>) -> bool {
    let len = bytes.len() as u64;
    match GgufFile::from_bytes(bytes, "m.gguf") {
        Ok(f) => {
            for t in &f.tensors {
                assert_eq!(f.tensor_data(t).len() as u64, t.size_b);
                assert!(f.data_offset + t.offset + t.size_b <= len);
            }
            true
        }
        Err(Error::Gguf { file, field, .. }) => {
            assert_eq!(file, "m.gguf");
            assert!(!field.is_empty());
            false
        }
        Err(e) => panic!("unexpected error kind: {e}"),
    }
}

#[test]
fn thousands_of_mutations_end_cleanly() {
    let start = Instant::now();
    let files = base_files();
    let max_len = files.iter().map(Vec::len).max().unwrap();
    for f in &files {
        assert!(check(f.clone()), "base files parse");
    }
    LARGEST_ALLOC_B.store(0, Ordering::Relaxed);
    let mut rng = Rng(0x6b65_726e_6c61_6221);
    let (mut cases, mut oks) = (0usize, 0usize);
    let mut run = |b: Vec<u8>| {
        cases += 1;
        oks += check(b) as usize;
    };
    for base in &files {
        let header_end = GgufFile::from_bytes(base.clone(), "b").unwrap().data_offset as usize;
        // truncation at every byte of the header and infos, and a few inside the data
        for cut in 0..header_end + 64 {
            run(base[..cut.min(base.len())].to_vec());
        }
        // huge counts and lengths spliced at every header offset
        for at in 0..header_end.saturating_sub(8) {
            for v in [u64::MAX, 1 << 63, 1 << 32, base.len() as u64] {
                let mut b = base.clone();
                b[at..at + 8].copy_from_slice(&v.to_le_bytes());
                run(b);
            }
        }
        // random bit flips (mostly in the header, where the structure is)
        for _ in 0..1500 {
            let mut b = base.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(header_end);
                b[at] ^= 1 << rng.below(8);
            }
            run(b);
        }
        // random byte overwrites with 0xFF.., 0x00.. or noise
        for _ in 0..1000 {
            let mut b = base.clone();
            let at = rng.below(header_end);
            let n = (1 + rng.below(8)).min(b.len() - at);
            let fill = rng.below(3);
            for x in &mut b[at..at + n] {
                *x = match fill {
                    0 => 0xff,
                    1 => 0,
                    _ => rng.next() as u8,
                };
            }
            run(b);
        }
    }
    let elapsed = start.elapsed();
    let largest = LARGEST_ALLOC_B.load(Ordering::Relaxed);
    println!(
        "{cases} mutated files, {oks} parsed Ok, largest allocation {largest} B, {:.2} s",
        elapsed.as_secs_f64()
    );
    assert!(cases >= 5000, "{cases} cases");
    assert!(
        oks > 0 && oks < cases,
        "mutations both break and keep files"
    );
    // a Value is 32 bytes; the parser reserves at most remaining_bytes / min_elem_size elements
    assert!(
        largest <= 64 * max_len + 4096,
        "allocation of {largest} B for a {max_len}-byte file"
    );
    assert!(elapsed.as_secs_f64() < 10.0, "took {elapsed:?}");
}
