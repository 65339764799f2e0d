//! `--iface auto|rm|tegra`: which kernel interface the NV backend opens.

use crate::error::{HcqError, Result};

/// A kernel interface kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfaceKind {
    /// Desktop RM + UVM (/dev/nvidiactl).
    Rm,
    /// Tegra nvgpu + nvmap (Jetson).
    Tegra,
}

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfaceChoice {
    Auto,
    Rm,
    Tegra,
}

impl std::str::FromStr for IfaceChoice {
    type Err = HcqError;
    fn from_str(s: &str) -> Result<IfaceChoice> {
        match s {
            "auto" => Ok(IfaceChoice::Auto),
            "rm" => Ok(IfaceChoice::Rm),
            "tegra" => Ok(IfaceChoice::Tegra),
            _ => Err(HcqError::Unsupported(format!(
                "unknown interface '{s}' (expected auto, rm or tegra)"
            ))),
        }
    }
}

/// Nodes that mark a Tegra nvgpu GPU.
pub const TEGRA_MARKERS: [&str; 2] = ["/dev/nvhost-ctrl-gpu", "/dev/nvgpu/igpu0"];
/// The node that marks the desktop RM driver.
pub const RM_MARKER: &str = "/dev/nvidiactl";

/// Pick the interface: `auto` takes tegra when a Tegra node exists, else rm when /dev/nvidiactl
/// exists; an explicit choice needs its node. `exists` is injectable for tests.
pub fn detect(choice: IfaceChoice, exists: &dyn Fn(&str) -> bool) -> Result<IfaceKind> {
    let tegra = TEGRA_MARKERS.iter().any(|p| exists(p));
    let rm = exists(RM_MARKER);
    let looked = format!(
        "looked for {} (tegra) and {RM_MARKER} (rm)",
        TEGRA_MARKERS.join(", ")
    );
    match choice {
        IfaceChoice::Auto if tegra => Ok(IfaceKind::Tegra),
        IfaceChoice::Auto if rm => Ok(IfaceKind::Rm),
        IfaceChoice::Tegra if tegra => Ok(IfaceKind::Tegra),
        IfaceChoice::Rm if rm => Ok(IfaceKind::Rm),
        IfaceChoice::Auto => Err(HcqError::NoDevice(format!("no NVIDIA GPU node: {looked}"))),
        IfaceChoice::Tegra => Err(HcqError::NoDevice(format!(
            "--iface tegra: none of {} exists",
            TEGRA_MARKERS.join(", ")
        ))),
        IfaceChoice::Rm => Err(HcqError::NoDevice(format!(
            "--iface rm: {RM_MARKER} does not exist"
        ))),
    }
}

/// `detect` on this machine's /dev.
pub fn detect_here(choice: IfaceChoice) -> Result<IfaceKind> {
    detect(choice, &|p| std::path::Path::new(p).exists())
}
