//! What a launch path puts in constant bank 0 in front of the parameters: the `bank0_dump`
//! kernel copies every word of its own bank 0 to a buffer. nv fills those driver words itself
//! (hcq's program.rs); cuda's come from the CUDA driver. Side by side they show what nv leaves
//! out. On the H100 (session 5) cuda, like nv, leaves the 64-bit global-memory descriptor that
//! every LDG/STG reads on sm_90 (c[0x0][0x208]) at 0, and fills ~40 other words nv does not;
//! setting those on nv launches (KERNLAB_NV_BANK0) changed no timing.

use crate::gpu::{Arg, Backend, Launch};
use crate::{ptx, Error, Result};

/// Bytes of `bank0_dump`'s parameters (out: u64, n: u32, param_base: u32).
const PARAMS_B: u32 = 16;
/// What the output holds before the kernel runs: a word the kernel did not write shows as this.
pub const POISON: u32 = 0xDEAD_BEEF;

/// Bank 0 of one launch as the kernel saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bank0 {
    /// Where the parameters start (the cubin's PARAM_CBANK offset).
    pub param_base_b: u32,
    /// Word i is bank 0 at byte 4*i, through the end of the parameters.
    pub words: Vec<u32>,
}

impl Bank0 {
    /// The 32-bit word at byte offset `off_b`.
    pub fn word(&self, off_b: u32) -> Option<u32> {
        self.words.get(off_b as usize / 4).copied()
    }
}

/// Where the parameters start in bank 0 for `arch`, from the cubin ptxas makes of the kernel.
pub fn param_base_b(arch: &str) -> Result<u32> {
    let spec = ptx::kernel("bank0_dump")?;
    let asm = ptx::assemble(&spec, arch, None)?;
    let c = hcq::cubin::Cubin::parse(&asm.cubin)?;
    let k = c
        .kernels
        .iter()
        .find(|k| k.name == "bank0_dump")
        .ok_or_else(|| Error::Ptx("bank0_dump missing from its cubin".into()))?;
    if k.param_size_b != PARAMS_B {
        return Err(Error::Ptx(format!(
            "bank0_dump takes {} B of parameters, expected {PARAMS_B}",
            k.param_size_b
        )));
    }
    Ok(k.param_base)
}

/// Run `bank0_dump` once on `b` and read back its bank 0 (driver words and parameters).
pub fn dump(b: &mut dyn Backend) -> Result<Bank0> {
    let base = param_base_b(&b.info().arch.clone())?;
    let n = (base + PARAMS_B) / 4;
    if n > 1024 {
        return Err(Error::Unsupported(format!(
            "bank0_dump: parameter base 0x{base:x} needs {n} threads, a block holds 1024"
        )));
    }
    let id = b.load(&ptx::kernel("bank0_dump")?)?;
    let out = b.alloc(n as u64 * 4)?;
    let poison = vec![POISON; n as usize];
    b.upload(out, bytemuck::cast_slice(&poison))?;
    let l = Launch::linear(id, 1, n, vec![Arg::Buf(out), Arg::U32(n), Arg::U32(base)]);
    b.launch(&l)?;
    b.sync()?;
    let mut bytes = vec![0u8; n as usize * 4];
    b.download(out, &mut bytes)?;
    b.free(out)?;
    let words: Vec<u32> = bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    // The kernel's own parameters must read back as passed: otherwise the dump is not bank 0.
    let at = |i: u32| words[(base / 4 + i) as usize];
    let out_va = at(0) as u64 | (at(1) as u64) << 32;
    if out_va != out.gpu_va || at(2) != n || at(3) != base {
        return Err(Error::Unsupported(format!(
            "bank0_dump on {}: its parameters read back as out=0x{out_va:x} n={} base=0x{:x} \
             (passed 0x{:x}, {n}, 0x{base:x}): the dump is not bank 0",
            b.info().backend,
            at(2),
            at(3),
            out.gpu_va
        )));
    }
    Ok(Bank0 {
        param_base_b: base,
        words,
    })
}

/// Each backend's dump, or why there is none.
pub type Dumps = Vec<(&'static str, Result<Bank0>)>;

/// Run `bank0_dump` on nv and on cuda, each backend opened and dropped in turn.
pub fn dump_both() -> Dumps {
    use crate::gpu::{open, BackendKind};
    [("nv", BackendKind::Nv), ("cuda", BackendKind::Cuda)]
        .into_iter()
        .map(|(name, kind)| (name, open(kind).and_then(|mut o| dump(&mut *o.backend))))
        .collect()
}

/// The words that are not zero on some backend, one row per offset, `*` where they differ.
pub fn render(dumps: &Dumps) -> String {
    let mut s = String::from("constant bank 0 (driver words, then bank0_dump's parameters):\n");
    for (name, d) in dumps {
        if let Err(e) = d {
            s += &format!("  {name}: no dump: {e}\n");
        }
    }
    let ok: Vec<(&str, &Bank0)> = dumps
        .iter()
        .filter_map(|(n, d)| d.as_ref().ok().map(|b| (*n, b)))
        .collect();
    let Some(len) = ok.iter().map(|(_, b)| b.words.len()).max() else {
        return s;
    };
    s += &format!("  {:<8}", "offset");
    for (n, b) in &ok {
        s += &format!(" {:>12}", format!("{n} (p@0x{:x})", b.param_base_b));
    }
    s += "\n";
    for i in 0..len {
        let vals: Vec<Option<u32>> = ok.iter().map(|(_, b)| b.words.get(i).copied()).collect();
        if vals.iter().all(|v| *v == Some(0)) {
            continue;
        }
        s += &format!("  0x{:<6x}", i * 4);
        for v in &vals {
            s += &match v {
                Some(w) => format!(" {:>12}", format!("0x{w:08x}")),
                None => format!(" {:>12}", "-"),
            };
        }
        let differ = vals.windows(2).any(|w| w[0] != w[1]);
        s += if differ { "  *\n" } else { "\n" };
    }
    s += "  (rows where every backend has 0 are left out; * = the backends differ; the last four \
          words are the dump kernel's own parameters, whose out address differs by design)\n";
    s
}

/// `{"nv": {"param_base": .., "words": [..]} | {"error": ..}, "cuda": ...}`.
pub fn json(dumps: &Dumps) -> crate::json::Json {
    use crate::json::Json;
    let mut j = Json::obj();
    for (name, d) in dumps {
        j.insert(
            name,
            match d {
                Ok(b) => Json::obj().set("param_base", b.param_base_b).set(
                    "words",
                    Json::Arr(b.words.iter().map(|&w| Json::from(w)).collect()),
                ),
                Err(e) => Json::obj().set("error", e.to_string()),
            },
        );
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dump_of(words: &[u32]) -> Bank0 {
        Bank0 {
            param_base_b: 8,
            words: words.to_vec(),
        }
    }

    #[test]
    fn render_keeps_rows_nonzero_somewhere_and_marks_differences() {
        let d: Dumps = vec![
            ("nv", Ok(dump_of(&[0, 0, 5, 0]))),
            ("cuda", Ok(dump_of(&[0, 7, 5, 0]))),
        ];
        let s = render(&d);
        assert!(!s.contains("0x0      "), "{s}");
        assert!(
            s.contains("0x4      ") && s.contains("0x00000007  *"),
            "{s}"
        );
        assert!(s.contains("0x8      ") && s.contains("0x00000005\n"), "{s}");
        assert!(!s.contains("0xc "), "{s}");
    }

    #[test]
    fn a_backend_without_a_dump_says_why() {
        let d: Dumps = vec![
            ("nv", Err(Error::Unsupported("no /dev/nvidiactl".into()))),
            ("cuda", Ok(dump_of(&[1]))),
        ];
        let s = render(&d);
        assert!(
            s.contains("nv: no dump: unsupported: no /dev/nvidiactl"),
            "{s}"
        );
        assert!(s.contains("0x00000001"), "{s}");
        let j = json(&d).to_string_pretty();
        assert!(j.contains("\"error\"") && j.contains("\"words\""), "{j}");
    }
}
