//! Cubins on disk: `~/.cache/kernlab/cubin/<entry>-<arch>-<hash>.cubin` beside the assembler's
//! log (`.log`), keyed by a hash of the PTX text, the arch and the tool's version, so a changed
//! kernel, target or toolchain never reuses a stale cubin.

use std::path::PathBuf;

/// The cache folder: $KERNLAB_CACHE_DIR, else $XDG_CACHE_HOME/kernlab/cubin, else
/// $HOME/.cache/kernlab/cubin; None when none of them is set.
pub fn dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("KERNLAB_CACHE_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return Some(PathBuf::from(d).join("kernlab").join("cubin"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/kernlab/cubin"))
}

/// FNV-1a 64 over the key parts, separated so ("ab","c") and ("a","bc") differ.
pub fn key(ptx: &str, arch: &str, tool_version: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [ptx, arch, tool_version] {
        for &b in part.as_bytes().iter().chain(&[0xffu8]) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

fn path(entry: &str, arch: &str, key: u64, ext: &str) -> Option<PathBuf> {
    dir().map(|d| d.join(format!("{entry}-{arch}-{key:016x}.{ext}")))
}

/// A cached cubin and its log, if both are there.
pub fn load(entry: &str, arch: &str, key: u64) -> Option<(Vec<u8>, String)> {
    let cubin = std::fs::read(path(entry, arch, key, "cubin")?).ok()?;
    let log = std::fs::read_to_string(path(entry, arch, key, "log")?).unwrap_or_default();
    if cubin.starts_with(b"\x7fELF") {
        Some((cubin, log))
    } else {
        None
    }
}

/// Store a cubin and its log; a cache that cannot be written is skipped (it only saves time).
pub fn store(entry: &str, arch: &str, key: u64, cubin: &[u8], log: &str) {
    let (Some(c), Some(l)) = (
        path(entry, arch, key, "cubin"),
        path(entry, arch, key, "log"),
    ) else {
        return;
    };
    if let Some(parent) = c.parent() {
        if std::fs::create_dir_all(parent).is_err() {
            return;
        }
    }
    // Write under a temporary name, then rename, so a reader never sees half a file.
    let tmp = c.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::write(&tmp, cubin).is_ok() && std::fs::rename(&tmp, &c).is_ok() {
        let _ = std::fs::write(l, log);
    } else {
        let _ = std::fs::remove_file(&tmp);
    }
}
