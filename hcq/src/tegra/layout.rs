//! The numbers of the working Orin port (tegra-nvgpu.md §3b), as checked, pure functions:
//! the GPU VA window, the shader windows that must be reserved before any buffer is mapped,
//! the size rule of the per-channel GPFIFO buffer, and the nvmap cache flags per placement.

use super::uapi::*;
use crate::error::{HcqError, Result};
use crate::iface::MemPlace;

pub const PAGE_B: u64 = 4096;

/// ALLOC_AS range: one PDE (2 MiB) above 0 up to 2^40 - 2 MiB; both ends PDE-aligned
/// ("aligned by PDE", nvgpu-ctrl.h:433). 40-bit VA on ga10b.
pub const VA_RANGE_START: u64 = 0x20_0000;
pub const VA_RANGE_END: u64 = (1 << 40) - 0x20_0000;
pub const PDE_ALIGN_B: u64 = 0x20_0000;
const _: () = assert!(VA_RANGE_END == 0xFF_FFE0_0000);
const _: () =
    assert!(VA_RANGE_START.is_multiple_of(PDE_ALIGN_B) && VA_RANGE_END.is_multiple_of(PDE_ALIGN_B));

/// Shader local-memory window (generic addresses here reach per-thread local memory).
pub const LOCAL_WINDOW_VA: u64 = 0xFD_0000_0000;
/// Shader shared-memory window.
pub const SHARED_WINDOW_VA: u64 = 0xFE_0000_0000;
pub const WINDOW_SIZE_B: u64 = 1 << 30;
/// Both windows, reserved with ALLOC_SPACE(FIXED_OFFSET) right after ALLOC_AS. Without this
/// the kernel's top-down allocator placed a buffer at 0xFE00200000 inside the shared window and
/// kernels faulted with hww_global_esr 4 (MISALIGNED_ADDR) (the P0 pitfall, §3b step 4).
pub const SHADER_WINDOWS: [(u64, u64); 2] = [
    (LOCAL_WINDOW_VA, WINDOW_SIZE_B),
    (SHARED_WINDOW_VA, WINDOW_SIZE_B),
];

/// Whether [va, va + size_b) overlaps a shader window.
pub fn overlaps_window(va: u64, size_b: u64) -> bool {
    SHADER_WINDOWS
        .iter()
        .any(|&(w, wsize)| va < w + wsize && w < va.saturating_add(size_b))
}

/// The USERD page: GP_GET at 0x88, GP_PUT at 0x8C (ram_userd_gp_{get,put}_w 34/35).
pub const USERD_SIZE_B: u64 = 4096;
/// The doorbell page is the ctrl fd's mmap (usermode region); the token goes to +0x90
/// (func_doorbell_r 0x30090 - func_cfg0 0x30000).
pub const DOORBELL_MAP_B: usize = 4096;
pub const DOORBELL_OFFSET: usize = 0x90;
/// The error notifier buffer (one `nvgpu_notification` at offset 0).
pub const NOTIFIER_SIZE_B: u64 = 4096;

/// The largest ring this interface creates. The kernel GPU-maps the WHOLE gpfifo dma-buf and a
/// 3 MB shared buffer froze an Orin at ALLOC_OBJ_CTX (§3b pitfalls), so ring buffers stay small:
/// 8192 entries = 64 KiB at most.
pub const MAX_GPFIFO_ENTRIES: u32 = 8192;
pub const MAX_GPFIFO_BUF_B: u64 = MAX_GPFIFO_ENTRIES as u64 * 8;

/// Size of the dedicated GPFIFO dma-buf for `entries` entries: entries × 8 B rounded up to
/// 4 KiB (the kernel wants ≥ max(4 KiB, entries × 8)). Entries must be a power of two ≥ 2
/// (USERMODE_SUPPORT, ioctl_channel.c) and at most `MAX_GPFIFO_ENTRIES` (and the kernel's
/// `max_gpfifo_entries` when it reports one).
pub fn gpfifo_buffer_size(entries: u32, kernel_max_entries: u32) -> Result<u64> {
    if entries < 2 || !entries.is_power_of_two() {
        return Err(HcqError::Unsupported(format!(
            "GPFIFO of {entries} entries: SETUP_BIND with USERMODE_SUPPORT needs a power of two >= 2"
        )));
    }
    let max = match kernel_max_entries {
        0 => MAX_GPFIFO_ENTRIES,
        k => k.min(MAX_GPFIFO_ENTRIES),
    };
    if entries > max {
        return Err(HcqError::Unsupported(format!(
            "GPFIFO of {entries} entries: at most {max} (the gpfifo dma-buf must stay small: a 3 MB one froze an Orin)"
        )));
    }
    let size_b = (entries as u64 * 8).next_multiple_of(PAGE_B);
    if size_b > MAX_GPFIFO_BUF_B {
        return Err(HcqError::Unsupported(format!(
            "GPFIFO buffer of {size_b} B exceeds {MAX_GPFIFO_BUF_B} B"
        )));
    }
    Ok(size_b)
}

/// nvmap cache attribute for a placement. Rings, USERD, notifiers, signals (Host) and
/// pushbuffers/QMDs/arguments (DeviceMapped, written by the CPU, read once by the GPU) are
/// write-combined; data buffers (Device) are inner-cacheable so CPU reads of results run at
/// cache speed (11.8 GB/s vs 0.7 GB/s WC, §4), relying on IO coherence or `sync_for_device`.
pub fn nvmap_flags_for(place: MemPlace) -> u32 {
    match place {
        MemPlace::Device => NVMAP_HANDLE_INNER_CACHEABLE,
        MemPlace::DeviceMapped | MemPlace::Host => NVMAP_HANDLE_WRITE_COMBINE,
    }
}

/// Whether a buffer with these nvmap flags is CPU-cached (then non-coherent systems need
/// NVMAP_IOC_CACHE maintenance).
pub fn cpu_cached(nvmap_flags: u32) -> bool {
    matches!(
        nvmap_flags & NVMAP_HANDLE_CACHE_FLAG,
        NVMAP_HANDLE_INNER_CACHEABLE | NVMAP_HANDLE_CACHEABLE
    )
}

/// ga10b has 2 SMs per TPC (Ampere GPC layout); GET_TPC_MASKS gives TPCs.
pub const SMS_PER_TPC: u32 = 2;

/// nvgpu's GPU id = arch + impl (gk20a.h NVGPU_GPUID_GA10B 0x17B = arch 0x170 + impl 0xB).
pub const NVGPU_GPUID_GA10B: u32 = 0x17B;

/// The SM version when `sm_arch_sm_version` is not a plausible 0xMmm value: from the GPU id.
pub fn sm_version_for(gpu_id: u32, reported: u32) -> Option<u32> {
    if (3..=12).contains(&(reported >> 8)) && reported >> 16 == 0 {
        return Some(reported);
    }
    match gpu_id {
        NVGPU_GPUID_GA10B => Some(0x807),
        0x15B => Some(0x702), // gv11b (Xavier)
        _ => None,
    }
}
