//! `kernlab doctor` lines for Tegra: which nodes exist, their permissions, whether this user
//! may open them (the `video` group), the L4T release, the GPU characteristics, and a verdict.

use super::open::{CTRL_NODES, NVMAP_NODE};
use super::sys::{RealSys, TegraSys};
use super::uapi::*;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

/// "R36 (release), REVISION: 4.3, GCID: ..." → "L4T R36.4.3".
pub fn parse_l4t_release(text: &str) -> Option<String> {
    let line = text.lines().find(|l| l.contains("REVISION"))?;
    let major = line.split_whitespace().find(|w| w.starts_with('R'))?;
    let rev = line.split("REVISION:").nth(1)?.split(',').next()?.trim();
    Some(format!("L4T {major}.{rev}"))
}

/// The L4T release from `/etc/nv_tegra_release` (None if absent or unparsable).
pub fn l4t_release(path: &str) -> Option<String> {
    parse_l4t_release(&std::fs::read_to_string(path).ok()?)
}

/// The gid of group `name` from an /etc/group text.
fn group_gid(group_text: &str, name: &str) -> Option<u32> {
    group_text.lines().find_map(|l| {
        let mut f = l.split(':');
        (f.next()? == name).then_some(())?;
        f.nth(1)?.parse().ok()
    })
}

fn my_groups() -> Vec<u32> {
    // SAFETY: getgroups with a buffer of the size it reported.
    unsafe {
        let n = libc::getgroups(0, std::ptr::null_mut());
        if n <= 0 {
            return vec![libc::getegid()];
        }
        let mut v = vec![0 as libc::gid_t; n as usize];
        let m = libc::getgroups(n, v.as_mut_ptr());
        v.truncate(m.max(0) as usize);
        v.push(libc::getegid());
        v
    }
}

/// Doctor lines for the real machine.
pub fn probe_report() -> Vec<String> {
    probe_report_at(Path::new("/"))
}

/// Doctor lines with every path under `root` (tests pass a directory of stand-in files).
pub fn probe_report_at(root: &Path) -> Vec<String> {
    let at = |p: &str| root.join(p.trim_start_matches('/'));
    let mut lines = Vec::new();
    let group_text = std::fs::read_to_string(at("/etc/group")).unwrap_or_default();
    let video_gid = group_gid(&group_text, "video");
    let in_video = video_gid.is_some_and(|g| my_groups().contains(&g));
    let mut openable = Vec::new();
    for node in [NVMAP_NODE, CTRL_NODES[0], CTRL_NODES[1]] {
        let p = at(node);
        match std::fs::metadata(&p) {
            Err(_) => lines.push(format!("tegra: {node}: absent")),
            Ok(m) => {
                let can = std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(&p)
                    .is_ok();
                if can {
                    openable.push(node);
                }
                lines.push(format!(
                    "tegra: {node}: present, mode {:o}, gid {}{}, {}",
                    m.permissions().mode() & 0o7777,
                    m.gid(),
                    if Some(m.gid()) == video_gid {
                        " (video)"
                    } else {
                        ""
                    },
                    if can {
                        "opens read-write"
                    } else {
                        "cannot open read-write"
                    }
                ));
            }
        }
    }
    lines.push(match video_gid {
        None => "tegra: no 'video' group in /etc/group".to_string(),
        Some(g) if in_video => format!("tegra: this user is in group video ({g})"),
        Some(g) => format!(
            "tegra: this user is NOT in group video ({g}): sudo usermod -aG video $USER, then log in again"
        ),
    });
    let l4t = l4t_release(at("/etc/nv_tegra_release").to_str().unwrap_or(""));
    lines.push(format!(
        "tegra: L4T release: {}",
        l4t.as_deref()
            .unwrap_or("unknown (/etc/nv_tegra_release absent)")
    ));
    let ctrl = CTRL_NODES.iter().find(|n| openable.contains(n));
    let mut chars_ok = false;
    if let Some(ctrl) = ctrl {
        match query_characteristics(at(ctrl).to_str().unwrap_or("")) {
            Ok(c) => {
                chars_ok = true;
                lines.push(format!(
                    "tegra: GPU {} arch 0x{:x} impl 0x{:x} sm_version 0x{:x} gpcs {} tpc/gpc {} compute 0x{:x} copy 0x{:x} gpfifo 0x{:x} io_coherent {} usermode_submit {}",
                    c.chipname_str(),
                    c.arch,
                    c.r#impl,
                    c.sm_arch_sm_version,
                    c.num_gpc,
                    c.num_tpc_per_gpc,
                    c.compute_class,
                    c.dma_copy_class,
                    c.gpfifo_class,
                    c.flags & NVGPU_GPU_FLAGS_SUPPORT_IO_COHERENCE != 0,
                    c.flags & NVGPU_GPU_FLAGS_SUPPORT_USERMODE_SUBMIT != 0
                ));
            }
            Err(e) => lines.push(format!("tegra: GET_CHARACTERISTICS on {ctrl} failed: {e}")),
        }
    }
    let nvmap_ok = openable.contains(&NVMAP_NODE);
    let any_ctrl = CTRL_NODES.iter().any(|n| at(n).exists());
    lines.push(format!(
        "tegra: verdict: {}",
        if chars_ok && nvmap_ok {
            "ready for --iface tegra (never run on hardware yet: send `--trace` logs)"
        } else if !any_ctrl {
            "not a Jetson (no nvgpu control node)"
        } else if ctrl.is_none() || !nvmap_ok {
            "Tegra nodes present but not openable: add this user to group video"
        } else {
            "Tegra nodes open but the GPU did not answer GET_CHARACTERISTICS"
        }
    ));
    lines
}

fn query_characteristics(ctrl: &str) -> crate::Result<NvgpuGpuCharacteristics> {
    let mut sys = RealSys;
    let fd = sys.open(ctrl)?;
    let mut c: NvgpuGpuCharacteristics = bytemuck::Zeroable::zeroed();
    let mut get = NvgpuGpuGetCharacteristics {
        gpu_characteristics_buf_size: std::mem::size_of::<NvgpuGpuCharacteristics>() as u64,
        gpu_characteristics_buf_addr: &mut c as *mut _ as u64,
    };
    let r = sys.ioctl(
        fd,
        "NVGPU_GPU_IOCTL_GET_CHARACTERISTICS",
        NVGPU_GPU_IOCTL_GET_CHARACTERISTICS,
        &mut get,
    );
    sys.close(fd);
    r.map(|_| c)
}
