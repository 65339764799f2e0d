//! PTX -> cubin, in order of preference: ptxas (on PATH, under $CUDA_HOME/bin, or in the pip
//! package nvidia-cuda-nvcc at site-packages/nvidia/cu13/bin), libnvJitLink (dlopen), then the
//! driver's cuLink* (which needs a live context). Results are cached on disk.

use super::cache;
use super::registry::KernelSpec;
use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The tool that assembled a cubin.
#[derive(Debug, Clone, PartialEq)]
pub enum Tool {
    Ptxas { path: PathBuf, version: String },
    NvJitLink { version: String },
    DriverLink,
}

impl Tool {
    pub fn describe(&self) -> String {
        match self {
            Tool::Ptxas { path, version } => format!("ptxas {version} ({})", path.display()),
            Tool::NvJitLink { version } => format!("libnvJitLink {version}"),
            Tool::DriverLink => "driver cuLink".to_string(),
        }
    }

    fn version(&self) -> String {
        match self {
            Tool::Ptxas { version, .. } | Tool::NvJitLink { version } => version.clone(),
            Tool::DriverLink => "driver".into(),
        }
    }
}

/// A cubin, the assembler's verbose log, the tool, and whether it came from the disk cache.
#[derive(Debug, Clone)]
pub struct Assembled {
    pub cubin: Vec<u8>,
    pub log: String,
    pub tool: Tool,
    pub cached: bool,
}

fn is_exe(p: &Path) -> bool {
    p.is_file()
}

/// Where the pip package puts ptxas: <site-packages>/nvidia/cu13/bin/ptxas (cu12 too).
fn pip_ptxas() -> Option<PathBuf> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import site,sys; print('\\n'.join(site.getsitepackages()+[site.getusersitepackages()]))",
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    for dir in text.lines() {
        for cu in ["cu13", "cu12", "cuda_nvcc"] {
            let p = Path::new(dir.trim())
                .join("nvidia")
                .join(cu)
                .join("bin/ptxas");
            if is_exe(&p) {
                return Some(p);
            }
        }
    }
    None
}

/// Find ptxas: $KERNLAB_PTXAS, PATH, $CUDA_HOME/bin, /usr/local/cuda/bin, the pip package.
pub fn find_ptxas() -> Option<PathBuf> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            if let Some(p) = std::env::var_os("KERNLAB_PTXAS") {
                return Some(PathBuf::from(p)).filter(|p| is_exe(p));
            }
            let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
                .map(|p| std::env::split_paths(&p).collect())
                .unwrap_or_default();
            for var in ["CUDA_HOME", "CUDA_PATH"] {
                if let Some(h) = std::env::var_os(var) {
                    dirs.push(PathBuf::from(h).join("bin"));
                }
            }
            dirs.push(PathBuf::from("/usr/local/cuda/bin"));
            dirs.into_iter()
                .map(|d| d.join("ptxas"))
                .find(|p| is_exe(p))
                .or_else(pip_ptxas)
        })
        .clone()
}

/// "13.5.37" from `ptxas --version` ("... release 13.5, V13.5.37").
pub fn ptxas_version(path: &Path) -> Result<String> {
    let out = Command::new(path)
        .arg("--version")
        .output()
        .map_err(|e| Error::io(path, e))?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .find_map(|w| w.strip_prefix('V'))
        .map(|v| v.trim().to_string())
        .ok_or_else(|| {
            Error::Ptx(format!(
                "{}: no version in --version output",
                path.display()
            ))
        })
}

/// Check an arch name: sm_ followed by digits.
pub fn check_arch(arch: &str) -> Result<()> {
    match arch.strip_prefix("sm_") {
        Some(d) if !d.is_empty() && d.chars().all(|c| c.is_ascii_alphanumeric()) => Ok(()),
        _ => Err(Error::Usage(format!(
            "arch '{arch}': expected sm_NN, e.g. sm_87 or sm_90"
        ))),
    }
}

/// Assemble with the ptxas at `path` (verbose, so the log has the resource lines).
pub fn ptxas(path: &Path, ptx: &str, arch: &str, name: &str) -> Result<(Vec<u8>, String)> {
    check_arch(arch)?;
    // One folder per call: concurrent assemblies (threads, tests) never share files.
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "kernlab-ptxas-{}-{call}-{name}-{arch}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let src = dir.join(format!("{name}-{arch}.ptx"));
    let dst = dir.join(format!("{name}-{arch}.cubin"));
    std::fs::write(&src, ptx).map_err(|e| Error::io(&src, e))?;
    let out = Command::new(path)
        .arg("-v")
        .arg(format!("-arch={arch}"))
        .arg(&src)
        .arg("-o")
        .arg(&dst)
        .output()
        .map_err(|e| Error::io(path, e))?;
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let cubin = std::fs::read(&dst);
    let _ = std::fs::remove_dir_all(&dir);
    if !out.status.success() {
        let errors: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("error") || l.contains("fatal"))
            .collect();
        return Err(Error::Ptx(format!(
            "ptxas {name} for {arch} failed: {}",
            errors.join(" | ")
        )));
    }
    let cubin = cubin.map_err(|e| Error::io(&dst, e))?;
    Ok((cubin, log))
}

/// The driver's own assembler as a closure: (PTX text, kernel name) -> (cubin, info log).
pub type DriverLink<'a> = &'a dyn Fn(&str, &str) -> Result<(Vec<u8>, String)>;

/// Assemble `spec` for `arch` with the best tool found, using the disk cache. `driver_link`
/// is the last resort (the cuda backend passes its context's linker when `arch` is its device's).
pub fn assemble(
    spec: &KernelSpec,
    arch: &str,
    driver_link: Option<DriverLink>,
) -> Result<Assembled> {
    assemble_text(&spec.ptx_for(arch)?, spec.entry, arch, driver_link)
}

/// Assemble PTX text already lowered for `arch` (e.g. [`KernelSpec::ptx_for`] with a backend's
/// own rewrite on top), entry `name`, as [`assemble`] does.
pub fn assemble_text(
    ptx: &str,
    name: &str,
    arch: &str,
    driver_link: Option<DriverLink>,
) -> Result<Assembled> {
    check_arch(arch)?;
    if let Some(path) = find_ptxas() {
        let tool = Tool::Ptxas {
            version: ptxas_version(&path)?,
            path: path.clone(),
        };
        return cached(ptx, arch, name, tool, |ptx| ptxas(&path, ptx, arch, name));
    }
    if let Some(j) = super::nvjitlink::open() {
        let tool = Tool::NvJitLink {
            version: j.version(),
        };
        return cached(ptx, arch, name, tool, |ptx| j.link(ptx, arch, name));
    }
    if let Some(link) = driver_link {
        return cached(ptx, arch, name, Tool::DriverLink, |ptx| link(ptx, name));
    }
    Err(Error::Ptx(format!(
        "no PTX assembler for {name}: ptxas not on PATH, CUDA_HOME or the pip package \
         (python3 -m pip install nvidia-cuda-nvcc), no libnvJitLink, no CUDA driver"
    )))
}

fn cached(
    ptx: &str,
    arch: &str,
    name: &str,
    tool: Tool,
    build: impl FnOnce(&str) -> Result<(Vec<u8>, String)>,
) -> Result<Assembled> {
    let key = cache::key(ptx, arch, &tool.version());
    if let Some((cubin, log)) = cache::load(name, arch, key) {
        return Ok(Assembled {
            cubin,
            log,
            tool,
            cached: true,
        });
    }
    let (cubin, log) = build(ptx)?;
    cache::store(name, arch, key, &cubin, &log);
    Ok(Assembled {
        cubin,
        log,
        tool,
        cached: false,
    })
}
