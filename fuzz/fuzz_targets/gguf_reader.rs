//! Any bytes into the GGUF reader: it must return Ok or Err, never panic, hang or allocate
//! beyond the input's size. On Ok, every tensor's data slice must have its declared size.
#![no_main]

use kernlab::gguf::GgufFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(f) = GgufFile::from_bytes(data.to_vec(), "fuzz.gguf") {
        for t in &f.tensors {
            assert_eq!(f.tensor_data(t).len() as u64, t.size_b);
        }
        let _ = f.architecture();
        let _ = f.get_str_array("tokenizer.ggml.tokens");
    }
});
