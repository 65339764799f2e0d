//! Cubin loader: an ELF64 EM_CUDA (190) file from ptxas. Builds one loadable image (code,
//! constant banks, device globals), lists the relocations to apply once the image's GPU address
//! is known, and reads each kernel's attributes from `.nv.info` / `.nv.info.<kernel>`
//! (EIATTR records, numbering as cuobjdump prints it; rm-hcq.md §6).

use crate::error::{HcqError, Result};
use goblin::elf::{section_header as sh, Elf};

pub const EM_CUDA: u16 = 190;
/// Sections are placed at this alignment in the image (tinygrad's force_section_align); it also
/// satisfies the 64-byte constant-buffer alignment QMD V4 needs.
pub const SECTION_ALIGN_B: u64 = 128;

/// EIFMT_* record formats.
pub const EIFMT_NVAL: u8 = 0x01;
pub const EIFMT_BVAL: u8 = 0x02;
pub const EIFMT_HVAL: u8 = 0x03;
pub const EIFMT_SVAL: u8 = 0x04;

/// EIATTR_* ids used here (cuobjdump names).
pub const EIATTR_MAX_THREADS: u8 = 0x05;
pub const EIATTR_PARAM_CBANK: u8 = 0x0A;
pub const EIATTR_REQNTID: u8 = 0x10;
pub const EIATTR_FRAME_SIZE: u8 = 0x11;
pub const EIATTR_MIN_STACK_SIZE: u8 = 0x12;
pub const EIATTR_KPARAM_INFO: u8 = 0x17;
pub const EIATTR_CBANK_PARAM_SIZE: u8 = 0x19;
pub const EIATTR_MAXREG_COUNT: u8 = 0x1B;
pub const EIATTR_EXIT_INSTR_OFFSETS: u8 = 0x1C;
pub const EIATTR_MAX_STACK_SIZE: u8 = 0x23;
pub const EIATTR_REGCOUNT: u8 = 0x2F;
pub const EIATTR_NUM_BARRIERS: u8 = 0x4C;
pub const EIATTR_CTA_PER_CLUSTER: u8 = 0x3D;
pub const EIATTR_EXPLICIT_CLUSTER: u8 = 0x3E;

/// R_CUDA_* relocation types handled.
pub const R_CUDA_32: u32 = 0x01;
pub const R_CUDA_64: u32 = 0x02;
pub const R_CUDA_ABS32_LO_32: u32 = 0x38;
pub const R_CUDA_ABS32_HI_32: u32 = 0x39;

/// One `.nv.info` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfoRecord {
    pub format: u8,
    pub attr: u8,
    /// Inline value for NVAL/BVAL/HVAL.
    pub value: u16,
    /// Payload for SVAL.
    pub data: Vec<u8>,
}

/// A kernel parameter as EIATTR_KPARAM_INFO describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamInfo {
    pub ordinal: u16,
    /// Byte offset from the start of the parameter area.
    pub offset_b: u16,
    pub size_b: u16,
}

/// A relocation to apply when the image's GPU address is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reloc {
    /// Where to write, as an image offset.
    pub image_off: u64,
    pub kind: u32,
    /// The symbol's image offset (its GPU VA is image VA + this).
    pub sym_image_off: u64,
    pub addend: i64,
    pub sym_name: String,
}

/// What a kernel needs for a launch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelInfo {
    pub name: String,
    /// `.text.<name>` in the image.
    pub text_off: u64,
    pub text_size_b: u64,
    pub regs: u32,
    /// Where parameters start in constant bank 0 (0x160 on sm_8x, 0x210 on sm_90).
    pub param_base: u32,
    pub param_size_b: u32,
    pub params: Vec<ParamInfo>,
    /// `.nv.shared.<name>` size (static shared memory, as ptxas sized the section).
    pub shared_b: u64,
    pub min_stack_b: u32,
    pub frame_b: u32,
    pub max_stack_b: u32,
    pub num_barriers: u32,
    pub max_threads: Option<[u32; 3]>,
    pub reqntid: Option<[u32; 3]>,
    pub exit_offsets: Vec<u32>,
    /// `.nv.constant0.<name>`: the bank-0 image (driver area + zeroed parameters).
    pub cbuf0: Vec<u8>,
    /// Every record of `.nv.info.<name>`, for tools and for attributes not decoded here.
    pub records: Vec<InfoRecord>,
}

/// A module-level constant bank (`.nv.constantN`, N ≠ 0) placed in the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConstBank {
    pub bank: u8,
    pub image_off: u64,
    pub size_b: u64,
}

#[derive(Debug, Clone)]
pub struct Cubin {
    /// sm number from e_flags (90 for sm_90, 87 for sm_87).
    pub sm: u32,
    /// Unrelocated image; `relocated(gpu_va)` gives the bytes to upload.
    pub image: Vec<u8>,
    pub relocs: Vec<Reloc>,
    pub kernels: Vec<KernelInfo>,
    pub banks: Vec<ConstBank>,
    /// (section name, image offset, size) of everything placed.
    pub placed: Vec<(String, u64, u64)>,
}

fn err<T>(m: impl Into<String>) -> Result<T> {
    Err(HcqError::Cubin(m.into()))
}

impl Cubin {
    /// Parse; every problem is an HcqError::Cubin naming the section/record, never a panic.
    pub fn parse(bytes: &[u8]) -> Result<Cubin> {
        // goblin is defensive, but a malformed file must not be able to take the process down.
        match std::panic::catch_unwind(|| Cubin::parse_inner(bytes)) {
            Ok(r) => r,
            Err(_) => err("the ELF parser panicked on this file (malformed cubin)"),
        }
    }

    fn parse_inner(bytes: &[u8]) -> Result<Cubin> {
        let elf =
            Elf::parse(bytes).map_err(|e| HcqError::Cubin(format!("not a valid ELF: {e}")))?;
        if !elf.is_64 {
            return err("ELF32 file; cubins are ELF64");
        }
        if elf.header.e_machine != EM_CUDA {
            return err(format!(
                "e_machine is {}, not EM_CUDA (190)",
                elf.header.e_machine
            ));
        }
        let sm = (elf.header.e_flags >> 8) & 0xFF;
        let name_of = |i: usize| -> &str {
            elf.section_headers
                .get(i)
                .and_then(|s| elf.shdr_strtab.get_at(s.sh_name))
                .unwrap_or("")
        };
        let data_of = |i: usize| -> Result<&[u8]> {
            let s = &elf.section_headers[i];
            if s.sh_type == sh::SHT_NOBITS {
                return Ok(&[]);
            }
            let (off, size) = (s.sh_offset as usize, s.sh_size as usize);
            off.checked_add(size).and_then(|end| bytes.get(off..end)).ok_or_else(|| {
                HcqError::Cubin(format!(
                    "section {} ({}) at 0x{off:x}+0x{size:x} runs past the end of the file (0x{:x} B)",
                    i,
                    name_of(i),
                    bytes.len()
                ))
            })
        };

        // 1. Place loadable sections: code, constant banks, device globals.
        let mut image = Vec::new();
        let mut where_: Vec<Option<u64>> = vec![None; elf.section_headers.len()];
        let mut placed = Vec::new();
        for (i, s) in elf.section_headers.iter().enumerate() {
            let name = name_of(i);
            let loadable = s.sh_flags & sh::SHF_ALLOC as u64 != 0
                && (s.sh_type == sh::SHT_PROGBITS
                    || (s.sh_type == sh::SHT_NOBITS && name.starts_with(".nv.global")));
            if !loadable {
                continue;
            }
            if s.sh_size > 1 << 30 {
                return err(format!("section {name} claims 0x{:x} B", s.sh_size));
            }
            let off = if s.sh_addr != 0 {
                s.sh_addr
            } else {
                (image.len() as u64).next_multiple_of(SECTION_ALIGN_B.max(s.sh_addralign.min(4096)))
            };
            let end = off
                .checked_add(s.sh_size)
                .filter(|&e| e < 1 << 31)
                .ok_or_else(|| {
                    HcqError::Cubin(format!(
                        "section {name} at 0x{off:x} + 0x{:x} is out of range",
                        s.sh_size
                    ))
                })?;
            if image.len() < end as usize {
                image.resize(end as usize, 0);
            }
            let d = data_of(i)?;
            image[off as usize..off as usize + d.len()].copy_from_slice(d);
            where_[i] = Some(off);
            placed.push((name.to_string(), off, s.sh_size));
        }

        // 2. Relocations (into placed sections only; .debug_frame etc. are not loaded).
        let mut relocs = Vec::new();
        for (ri, rs) in &elf.shdr_relocs {
            let target = elf
                .section_headers
                .get(*ri)
                .map(|s| s.sh_info as usize)
                .unwrap_or(usize::MAX);
            let Some(target_off) = where_.get(target).copied().flatten() else {
                continue;
            };
            for r in rs.iter() {
                let sym = elf.syms.get(r.r_sym).ok_or_else(|| {
                    HcqError::Cubin(format!(
                        "relocation in {} names symbol {} which does not exist",
                        name_of(*ri),
                        r.r_sym
                    ))
                })?;
                let sym_name = elf.strtab.get_at(sym.st_name).unwrap_or("?").to_string();
                let sym_sec = sym.st_shndx;
                let Some(sec_off) = where_.get(sym_sec).copied().flatten() else {
                    return err(format!(
                        "relocation in {} against '{sym_name}' in section {} ({}) which is not loaded",
                        name_of(*ri),
                        sym_sec,
                        name_of(sym_sec)
                    ));
                };
                if !matches!(
                    r.r_type,
                    R_CUDA_32 | R_CUDA_64 | R_CUDA_ABS32_LO_32 | R_CUDA_ABS32_HI_32
                ) {
                    return err(format!(
                        "relocation type 0x{:x} in {} (against '{sym_name}') is not supported",
                        r.r_type,
                        name_of(*ri)
                    ));
                }
                relocs.push(Reloc {
                    image_off: target_off + r.r_offset,
                    kind: r.r_type,
                    sym_image_off: sec_off + sym.st_value,
                    // REL entries: the implicit addend of CUDA relocations is 0 (the bytes in place
                    // are instruction bits), as tinygrad assumes.
                    addend: r.r_addend.unwrap_or(0),
                    sym_name,
                });
            }
        }
        for r in &relocs {
            let w = if r.kind == R_CUDA_64 {
                8
            } else if r.kind == R_CUDA_32 {
                4
            } else {
                8
            };
            if r.image_off + w > image.len() as u64 {
                return err(format!(
                    "relocation for '{}' at image 0x{:x} is past the image",
                    r.sym_name, r.image_off
                ));
            }
        }

        // 3. Module-level attributes (.nv.info) keyed by function symbol.
        let mut global_recs: Vec<InfoRecord> = Vec::new();
        let mut banks = Vec::new();
        for (i, _) in elf.section_headers.iter().enumerate() {
            let name = name_of(i);
            if name == ".nv.info" {
                global_recs = parse_info(data_of(i)?, name)?;
            }
            if let Some(n) = name
                .strip_prefix(".nv.constant")
                .and_then(|n| n.parse::<u8>().ok())
            {
                if n != 0 {
                    if let Some(off) = where_[i] {
                        banks.push(ConstBank {
                            bank: n,
                            image_off: off,
                            size_b: elf.section_headers[i].sh_size,
                        });
                    }
                }
            }
        }
        let sym_name = |idx: u32| -> Option<String> {
            elf.syms
                .get(idx as usize)
                .and_then(|s| elf.strtab.get_at(s.st_name))
                .map(|s| s.to_string())
        };
        let per_fn = |attr: u8, kname: &str| -> Result<Option<u32>> {
            for r in global_recs
                .iter()
                .filter(|r| r.attr == attr && r.format == EIFMT_SVAL)
            {
                let (sym, v) = (
                    u32_at(&r.data, 0, ".nv.info")?,
                    u32_at(&r.data, 4, ".nv.info")?,
                );
                if sym_name(sym).as_deref() == Some(kname) {
                    return Ok(Some(v));
                }
            }
            Ok(None)
        };

        // 4. Kernels: every .text.<k> with a .nv.info.<k>.
        let mut kernels = Vec::new();
        for (i, s) in elf.section_headers.iter().enumerate() {
            let Some(k) = name_of(i).strip_prefix(".text.") else {
                continue;
            };
            let find = |prefix: &str| {
                (0..elf.section_headers.len()).find(|&j| name_of(j) == format!("{prefix}{k}"))
            };
            let Some(info_idx) = find(".nv.info.") else {
                continue;
            };
            let recs = parse_info(data_of(info_idx)?, name_of(info_idx))?;
            let sval = |a: u8| recs.iter().find(|r| r.attr == a && r.format == EIFMT_SVAL);
            let hval = |a: u8| {
                recs.iter()
                    .find(|r| r.attr == a && r.format != EIFMT_SVAL)
                    .map(|r| r.value as u32)
            };
            let xyz = |a: u8| -> Result<Option<[u32; 3]>> {
                match sval(a) {
                    Some(r) => Ok(Some([
                        u32_at(&r.data, 0, k)?,
                        u32_at(&r.data, 4, k)?,
                        u32_at(&r.data, 8, k)?,
                    ])),
                    None => Ok(None),
                }
            };
            let (param_base, param_size) = match sval(EIATTR_PARAM_CBANK) {
                // {u32 symbol of .nv.constant0.<k>, u16 offset, u16 size}
                Some(r) => (u16_at(&r.data, 4, k)? as u32, u16_at(&r.data, 6, k)? as u32),
                // ptxas omits the record for a kernel without parameters (seen on the H100 with
                // ptxas 13.0 for `.entry empty()`): the bank then holds only driver words, and
                // the parameter area starts where it would (0x210 on sm_90, 0x160 before).
                None if !recs.iter().any(|r| r.attr == EIATTR_KPARAM_INFO) => {
                    (if sm >= 90 { 0x210 } else { 0x160 }, 0)
                }
                None => {
                    return err(format!(
                        "kernel {k}: .nv.info.{k} has parameters but no EIATTR_PARAM_CBANK"
                    ))
                }
            };
            let mut params = Vec::new();
            for r in recs
                .iter()
                .filter(|r| r.attr == EIATTR_KPARAM_INFO && r.format == EIFMT_SVAL)
            {
                // {u32 index, u16 ordinal, u16 offset, u32 flags: size in bits 31:18}
                let flags = u32_at(&r.data, 8, k)?;
                params.push(ParamInfo {
                    ordinal: u16_at(&r.data, 4, k)?,
                    offset_b: u16_at(&r.data, 6, k)?,
                    size_b: (flags >> 18) as u16,
                });
            }
            params.sort_by_key(|p| p.ordinal);
            let exit_offsets = match sval(EIATTR_EXIT_INSTR_OFFSETS) {
                Some(r) => (0..r.data.len() / 4)
                    .map(|j| u32_at(&r.data, 4 * j, k))
                    .collect::<Result<_>>()?,
                None => Vec::new(),
            };
            let cbuf0 = match find(".nv.constant0.") {
                Some(j) => data_of(j)?.to_vec(),
                None => vec![0; (param_base + param_size) as usize],
            };
            if cbuf0.len() < (param_base + param_size) as usize {
                return err(format!(
                    "kernel {k}: .nv.constant0.{k} is 0x{:x} B but parameters end at 0x{:x}",
                    cbuf0.len(),
                    param_base + param_size
                ));
            }
            let regs = match per_fn(EIATTR_REGCOUNT, k)? {
                Some(r) => r,
                // Older cubins carry it in sh_info 31:24 of the text section (tinygrad reads it there).
                None => s.sh_info >> 24,
            };
            kernels.push(KernelInfo {
                name: k.to_string(),
                text_off: where_[i]
                    .ok_or_else(|| HcqError::Cubin(format!(".text.{k} is not loadable")))?,
                text_size_b: s.sh_size,
                regs,
                param_base,
                param_size_b: param_size,
                params,
                shared_b: find(".nv.shared.")
                    .map(|j| elf.section_headers[j].sh_size)
                    .unwrap_or(0),
                min_stack_b: per_fn(EIATTR_MIN_STACK_SIZE, k)?.unwrap_or(0),
                frame_b: per_fn(EIATTR_FRAME_SIZE, k)?.unwrap_or(0),
                max_stack_b: per_fn(EIATTR_MAX_STACK_SIZE, k)?.unwrap_or(0),
                num_barriers: hval(EIATTR_NUM_BARRIERS).unwrap_or(0),
                max_threads: xyz(EIATTR_MAX_THREADS)?,
                reqntid: xyz(EIATTR_REQNTID)?,
                exit_offsets,
                cbuf0,
                records: recs,
            });
        }
        if kernels.is_empty() {
            return err("no kernels (no .text.<name> section with a matching .nv.info.<name>)");
        }
        Ok(Cubin {
            sm,
            image,
            relocs,
            kernels,
            banks,
            placed,
        })
    }

    pub fn kernel(&self, name: &str) -> Result<&KernelInfo> {
        self.kernels.iter().find(|k| k.name == name).ok_or_else(|| {
            let have: Vec<&str> = self.kernels.iter().map(|k| k.name.as_str()).collect();
            HcqError::Cubin(format!(
                "no kernel '{name}' (the cubin has {})",
                have.join(", ")
            ))
        })
    }

    /// The image with every relocation applied for an upload at `image_gpu_va`.
    pub fn relocated(&self, image_gpu_va: u64) -> Result<Vec<u8>> {
        let mut img = self.image.clone();
        for r in &self.relocs {
            let v = image_gpu_va
                .wrapping_add(r.sym_image_off)
                .wrapping_add(r.addend as u64);
            let at = r.image_off as usize;
            match r.kind {
                R_CUDA_64 => img[at..at + 8].copy_from_slice(&v.to_le_bytes()),
                R_CUDA_32 => img[at..at + 4].copy_from_slice(&(v as u32).to_le_bytes()),
                // The 32-bit immediate sits in the upper half of the 64-bit instruction word.
                R_CUDA_ABS32_LO_32 => {
                    img[at + 4..at + 8].copy_from_slice(&(v as u32).to_le_bytes())
                }
                R_CUDA_ABS32_HI_32 => {
                    img[at + 4..at + 8].copy_from_slice(&((v >> 32) as u32).to_le_bytes())
                }
                k => {
                    return err(format!(
                        "relocation type 0x{k:x} for '{}' is not supported",
                        r.sym_name
                    ))
                }
            }
        }
        Ok(img)
    }
}

fn u32_at(d: &[u8], off: usize, what: &str) -> Result<u32> {
    d.get(off..off + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| {
            HcqError::Cubin(format!(
                "{what}: attribute payload of {} B has no u32 at {off}",
                d.len()
            ))
        })
}

fn u16_at(d: &[u8], off: usize, what: &str) -> Result<u16> {
    d.get(off..off + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .ok_or_else(|| {
            HcqError::Cubin(format!(
                "{what}: attribute payload of {} B has no u16 at {off}",
                d.len()
            ))
        })
}

/// Split a `.nv.info*` section into records {u8 format, u8 attr, u16 size-or-value, payload}.
pub fn parse_info(d: &[u8], section: &str) -> Result<Vec<InfoRecord>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < d.len() {
        let Some(h) = d.get(i..i + 4) else {
            return err(format!("{section}: truncated record header at 0x{i:x}"));
        };
        let (format, attr, value) = (h[0], h[1], u16::from_le_bytes([h[2], h[3]]));
        i += 4;
        let data = match format {
            EIFMT_SVAL => {
                let n = value as usize;
                let p = d.get(i..i + n).ok_or_else(|| {
                    HcqError::Cubin(format!(
                        "{section}: attribute 0x{attr:02x} at 0x{:x} wants {n} B, {} left",
                        i - 4,
                        d.len() - i
                    ))
                })?;
                i += n;
                p.to_vec()
            }
            EIFMT_NVAL | EIFMT_BVAL | EIFMT_HVAL => Vec::new(),
            f => {
                return err(format!(
                    "{section}: record at 0x{:x} has unknown format 0x{f:02x}",
                    i - 4
                ))
            }
        };
        out.push(InfoRecord {
            format,
            attr,
            value,
            data,
        });
    }
    Ok(out)
}
