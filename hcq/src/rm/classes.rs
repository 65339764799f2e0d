//! RM class numbers (g_allclasses.h, class/cl*.h; rm-hcq.md §1.1) and choosing the channel,
//! compute and copy classes from the list the GPU reports.

use crate::error::{HcqError, Result};
use crate::iface::Classes;

pub const NV01_ROOT_CLIENT: u32 = 0x41;
pub const NV01_DEVICE_0: u32 = 0x80;
pub const NV20_SUBDEVICE_0: u32 = 0x2080;
pub const NV01_MEMORY_VIRTUAL: u32 = 0x70;
pub const NV01_MEMORY_LOCAL_USER: u32 = 0x40;
pub const NV01_MEMORY_SYSTEM: u32 = 0x3E;
pub const NV01_MEMORY_SYSTEM_OS_DESCRIPTOR: u32 = 0x71;
pub const FERMI_VASPACE_A: u32 = 0x90F1;
pub const KEPLER_CHANNEL_GROUP_A: u32 = 0xA06C;
pub const FERMI_CONTEXT_SHARE_A: u32 = 0x9067;
pub const GT200_DEBUGGER: u32 = 0x83DE;

pub const VOLTA_USERMODE_A: u32 = 0xC361;
pub const TURING_USERMODE_A: u32 = 0xC461;
pub const AMPERE_USERMODE_A: u32 = 0xC561;
pub const HOPPER_USERMODE_A: u32 = 0xC661;

// Engine classes (channel, compute, copy) and choosing them live in `crate::classes`, shared with
// every interface; this module adds the RM object classes and the usermode doorbell.
pub use crate::classes::{
    ADA_COMPUTE_A, AMPERE_CHANNEL_GPFIFO_A, AMPERE_COMPUTE_A, AMPERE_COMPUTE_B, AMPERE_DMA_COPY_A,
    AMPERE_DMA_COPY_B, HOPPER_CHANNEL_GPFIFO_A, HOPPER_COMPUTE_A, HOPPER_DMA_COPY_A,
};

const USERMODE_CLASSES: [u32; 4] = [
    HOPPER_USERMODE_A,
    AMPERE_USERMODE_A,
    TURING_USERMODE_A,
    VOLTA_USERMODE_A,
];

/// The classes to use: (channel/compute/copy, usermode doorbell class).
pub fn pick_classes(found: &[u32]) -> Result<(Classes, u32)> {
    let classes = crate::classes::pick_classes(found)?;
    let usermode = USERMODE_CLASSES
        .iter()
        .copied()
        .find(|c| found.contains(c))
        .ok_or_else(|| HcqError::UnsupportedGpu {
            what: "usermode doorbell class (kernlab knows 0xc661, 0xc561, 0xc461, 0xc361)".into(),
            found: found.to_vec(),
        })?;
    Ok((classes, usermode))
}

pub fn class_name(class: u32) -> Option<&'static str> {
    Some(match class {
        HOPPER_CHANNEL_GPFIFO_A => "HOPPER_CHANNEL_GPFIFO_A",
        AMPERE_CHANNEL_GPFIFO_A => "AMPERE_CHANNEL_GPFIFO_A",
        HOPPER_COMPUTE_A => "HOPPER_COMPUTE_A",
        ADA_COMPUTE_A => "ADA_COMPUTE_A",
        AMPERE_COMPUTE_B => "AMPERE_COMPUTE_B",
        AMPERE_COMPUTE_A => "AMPERE_COMPUTE_A",
        HOPPER_DMA_COPY_A => "HOPPER_DMA_COPY_A",
        AMPERE_DMA_COPY_B => "AMPERE_DMA_COPY_B",
        AMPERE_DMA_COPY_A => "AMPERE_DMA_COPY_A",
        HOPPER_USERMODE_A => "HOPPER_USERMODE_A",
        AMPERE_USERMODE_A => "AMPERE_USERMODE_A",
        TURING_USERMODE_A => "TURING_USERMODE_A",
        VOLTA_USERMODE_A => "VOLTA_USERMODE_A",
        _ => return None,
    })
}

/// SM version implied by the newest compute class (when NV2080_CTRL_CMD_GR_GET_INFO is refused):
/// HOPPER_COMPUTE_A → 0x900, ADA_COMPUTE_A → 0x809, AMPERE_COMPUTE_B → 0x806, AMPERE_COMPUTE_A → 0x800.
pub fn sm_version_of_class(found: &[u32]) -> u32 {
    for (class, sm) in [
        (HOPPER_COMPUTE_A, 0x900),
        (ADA_COMPUTE_A, 0x809),
        (AMPERE_COMPUTE_B, 0x806),
        (AMPERE_COMPUTE_A, 0x800),
    ] {
        if found.contains(&class) {
            return sm;
        }
    }
    0
}
