//! Class numbers, method offsets and field encodings, named as in NVIDIA's open class headers
//! (open-gpu-doc classes/host/clc86f.h + clc56f.h, classes/compute/clcbc0.h + clc7c0.h,
//! classes/dma-copy/clc8b5.h + clc7b5.h). Offsets are byte offsets; the pushbuffer header
//! stores them >> 2.
//!
//! The host classes C56F and C86F share every method offset used here, so one set of
//! `NVC86F_*` names serves both; the same holds for compute C7C0/C9C0/CBC0 (CBC0 only removed
//! CHECK_QMD_VERSION, SET_SCG_CONTROL and SCG_HYSTERESIS_CONTROL, none of which we send) and for
//! copy C7B5/C8B5 (C8B5 only adds confidential-compute fields we leave 0).

use crate::error::{HcqError, Result};
use crate::iface::Classes;
use crate::qmd::QmdVersion;

// ---- class ids (cl*.h) ----
pub const AMPERE_CHANNEL_GPFIFO_A: u32 = 0xC56F;
/// What Orin's ga10b reports (clc76f.h; host methods and GP entries as C56F).
pub const AMPERE_CHANNEL_GPFIFO_B: u32 = 0xC76F;
pub const HOPPER_CHANNEL_GPFIFO_A: u32 = 0xC86F;
pub const AMPERE_COMPUTE_A: u32 = 0xC6C0;
pub const AMPERE_COMPUTE_B: u32 = 0xC7C0;
pub const ADA_COMPUTE_A: u32 = 0xC9C0;
pub const HOPPER_COMPUTE_A: u32 = 0xCBC0;
pub const AMPERE_DMA_COPY_A: u32 = 0xC6B5;
pub const AMPERE_DMA_COPY_B: u32 = 0xC7B5;
pub const HOPPER_DMA_COPY_A: u32 = 0xC8B5;

// ---- subchannels (NVIDIA convention, as CUDA and tinygrad use them) ----
pub const SUBC_HOST: u32 = 0;
pub const SUBC_COMPUTE: u32 = 1;
pub const SUBC_COPY: u32 = 4;

// ---- host class (clc86f.h / clc56f.h) ----
pub const NVC86F_SET_OBJECT: u32 = 0x0000;
pub const NVC86F_NON_STALL_INTERRUPT: u32 = 0x0020;
pub const NVC86F_MEM_OP_A: u32 = 0x0028;
pub const NVC86F_MEM_OP_B: u32 = 0x002C;
pub const NVC86F_MEM_OP_C: u32 = 0x0030;
pub const NVC86F_MEM_OP_D: u32 = 0x0034;
/// MEM_OP_D OPERATION 31:27.
pub const NVC86F_MEM_OP_D_OPERATION_SHIFT: u32 = 27;
pub const NVC86F_MEM_OP_D_OPERATION_MEMBAR: u32 = 0x05;
pub const NVC86F_MEM_OP_D_OPERATION_L2_SYSMEM_INVALIDATE: u32 = 0x0E;
pub const NVC86F_MEM_OP_D_OPERATION_L2_FLUSH_DIRTY: u32 = 0x10;
pub const NVC86F_SEM_ADDR_LO: u32 = 0x005C;
pub const NVC86F_SEM_ADDR_HI: u32 = 0x0060;
pub const NVC86F_SEM_PAYLOAD_LO: u32 = 0x0064;
pub const NVC86F_SEM_PAYLOAD_HI: u32 = 0x0068;
pub const NVC86F_SEM_EXECUTE: u32 = 0x006C;
pub const NVC86F_WFI: u32 = 0x0078;
pub const NVC86F_WFI_SCOPE_ALL: u32 = 1;
/// SEM_EXECUTE OPERATION 2:0.
pub const NVC86F_SEM_EXECUTE_OPERATION_ACQUIRE: u32 = 0;
pub const NVC86F_SEM_EXECUTE_OPERATION_RELEASE: u32 = 1;
pub const NVC86F_SEM_EXECUTE_OPERATION_ACQ_STRICT_GEQ: u32 = 2;
pub const NVC86F_SEM_EXECUTE_OPERATION_ACQ_CIRC_GEQ: u32 = 3;
pub const NVC86F_SEM_EXECUTE_OPERATION_MASK: u32 = 0x7;
/// SEM_EXECUTE RELEASE_WFI 20:20 = EN.
pub const NVC86F_SEM_EXECUTE_RELEASE_WFI_EN: u32 = 1 << 20;
/// SEM_EXECUTE PAYLOAD_SIZE 24:24 = 64BIT.
pub const NVC86F_SEM_EXECUTE_PAYLOAD_SIZE_64BIT: u32 = 1 << 24;
/// SEM_EXECUTE RELEASE_TIMESTAMP 25:25 = EN (16-byte form: payload u64, ptimer ns u64).
pub const NVC86F_SEM_EXECUTE_RELEASE_TIMESTAMP_EN: u32 = 1 << 25;

/// Release with WFI, 64-bit payload and timestamp: 0x03100001 (rm-hcq.md §3).
pub const SEM_EXECUTE_SIGNAL: u32 = NVC86F_SEM_EXECUTE_OPERATION_RELEASE
    | NVC86F_SEM_EXECUTE_RELEASE_WFI_EN
    | NVC86F_SEM_EXECUTE_PAYLOAD_SIZE_64BIT
    | NVC86F_SEM_EXECUTE_RELEASE_TIMESTAMP_EN;
/// Acquire, circular >= on a 64-bit payload: 0x01000003.
pub const SEM_EXECUTE_WAIT: u32 =
    NVC86F_SEM_EXECUTE_OPERATION_ACQ_CIRC_GEQ | NVC86F_SEM_EXECUTE_PAYLOAD_SIZE_64BIT;
const _: () = assert!(SEM_EXECUTE_SIGNAL == 0x0310_0001);
const _: () = assert!(SEM_EXECUTE_WAIT == 0x0100_0003);

// ---- compute class (clcbc0.h; same offsets in clc7c0.h / clc9c0.h) ----
pub const NVCBC0_SET_OBJECT: u32 = 0x0000;
pub const NVCBC0_NO_OPERATION: u32 = 0x0100;
pub const NVCBC0_WAIT_FOR_IDLE: u32 = 0x0110;
pub const NVCBC0_SET_SHADER_SHARED_MEMORY_WINDOW_A: u32 = 0x02A0;
pub const NVCBC0_SET_SHADER_SHARED_MEMORY_WINDOW_B: u32 = 0x02A4;
pub const NVCBC0_SEND_PCAS_A: u32 = 0x02B4;
pub const NVCBC0_SEND_SIGNALING_PCAS2_B: u32 = 0x02C0;
/// SEND_SIGNALING_PCAS2_B PCAS_ACTION 3:0.
pub const NVCBC0_SEND_SIGNALING_PCAS2_B_PCAS_ACTION_INVALIDATE: u32 = 1;
pub const NVCBC0_SEND_SIGNALING_PCAS2_B_PCAS_ACTION_SCHEDULE: u32 = 2;
pub const NVCBC0_SEND_SIGNALING_PCAS2_B_PCAS_ACTION_INVALIDATE_COPY_SCHEDULE: u32 = 3;
pub const NVCBC0_SEND_SIGNALING_PCAS2_B_PCAS_ACTION_PREFETCH_SCHEDULE: u32 = 9;
pub const NVCBC0_SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_A: u32 = 0x02E4;
pub const NVCBC0_SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_B: u32 = 0x02E8;
pub const NVCBC0_SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_C: u32 = 0x02EC;
pub const NVCBC0_SET_SHADER_LOCAL_MEMORY_A: u32 = 0x0790;
pub const NVCBC0_SET_SHADER_LOCAL_MEMORY_B: u32 = 0x0794;
pub const NVCBC0_SET_SHADER_LOCAL_MEMORY_WINDOW_A: u32 = 0x07B0;
pub const NVCBC0_SET_SHADER_LOCAL_MEMORY_WINDOW_B: u32 = 0x07B4;
pub const NVCBC0_INVALIDATE_SHADER_CACHES_NO_WFI: u32 = 0x1698;
/// INVALIDATE_SHADER_CACHES_NO_WFI: INSTRUCTION 0:0, GLOBAL_DATA 4:4, CONSTANT 12:12.
pub const NVCBC0_INVALIDATE_SHADER_CACHES_NO_WFI_INSTRUCTION_TRUE: u32 = 1 << 0;
pub const NVCBC0_INVALIDATE_SHADER_CACHES_NO_WFI_GLOBAL_DATA_TRUE: u32 = 1 << 4;
pub const NVCBC0_INVALIDATE_SHADER_CACHES_NO_WFI_CONSTANT_TRUE: u32 = 1 << 12;

// ---- copy class (clc8b5.h; same offsets in clc7b5.h) ----
pub const NVC8B5_SET_OBJECT: u32 = 0x0000;
pub const NVC8B5_SET_SEMAPHORE_A: u32 = 0x0240;
pub const NVC8B5_SET_SEMAPHORE_B: u32 = 0x0244;
pub const NVC8B5_SET_SEMAPHORE_PAYLOAD: u32 = 0x0248;
pub const NVC8B5_SET_SEMAPHORE_PAYLOAD_UPPER: u32 = 0x024C;
pub const NVC8B5_LAUNCH_DMA: u32 = 0x0300;
pub const NVC8B5_OFFSET_IN_UPPER: u32 = 0x0400;
pub const NVC8B5_OFFSET_IN_LOWER: u32 = 0x0404;
pub const NVC8B5_OFFSET_OUT_UPPER: u32 = 0x0408;
pub const NVC8B5_OFFSET_OUT_LOWER: u32 = 0x040C;
pub const NVC8B5_LINE_LENGTH_IN: u32 = 0x0418;
pub const NVC8B5_LINE_COUNT: u32 = 0x041C;

/// LAUNCH_DMA bit fields (clc8b5.h NVC8B5_LAUNCH_DMA_*).
pub mod launch_dma {
    pub const DATA_TRANSFER_TYPE_NONE: u32 = 0;
    pub const DATA_TRANSFER_TYPE_PIPELINED: u32 = 1;
    pub const DATA_TRANSFER_TYPE_NON_PIPELINED: u32 = 2;
    pub const DATA_TRANSFER_TYPE_MASK: u32 = 0x3;
    pub const FLUSH_ENABLE_TRUE: u32 = 1 << 2;
    /// SEMAPHORE_TYPE 4:3.
    pub const SEMAPHORE_TYPE_SHIFT: u32 = 3;
    pub const SEMAPHORE_TYPE_NONE: u32 = 0;
    pub const SEMAPHORE_TYPE_RELEASE_ONE_WORD_SEMAPHORE: u32 = 1;
    pub const SEMAPHORE_TYPE_RELEASE_FOUR_WORD_SEMAPHORE: u32 = 2;
    pub const SRC_MEMORY_LAYOUT_PITCH: u32 = 1 << 7;
    pub const DST_MEMORY_LAYOUT_PITCH: u32 = 1 << 8;
    pub const MULTI_LINE_ENABLE_TRUE: u32 = 1 << 9;
    pub const SRC_TYPE_PHYSICAL: u32 = 1 << 12;
    pub const DST_TYPE_PHYSICAL: u32 = 1 << 13;
    pub const SEMAPHORE_PAYLOAD_SIZE_64_BIT: u32 = 1 << 27;

    pub const fn semaphore_type(launch: u32) -> u32 {
        (launch >> SEMAPHORE_TYPE_SHIFT) & 0x3
    }
    pub const fn data_transfer_type(launch: u32) -> u32 {
        launch & DATA_TRANSFER_TYPE_MASK
    }

    /// tinygrad's linear copy: NON_PIPELINED | SRC_PITCH | DST_PITCH.
    pub const LINEAR_COPY: u32 =
        DATA_TRANSFER_TYPE_NON_PIPELINED | SRC_MEMORY_LAYOUT_PITCH | DST_MEMORY_LAYOUT_PITCH;
    const _: () = assert!(LINEAR_COPY == 0x182);
    /// FLUSH | FOUR_WORD semaphore (payload + ptimer timestamp at +8).
    pub const SEMAPHORE_FOUR_WORD: u32 =
        FLUSH_ENABLE_TRUE | (SEMAPHORE_TYPE_RELEASE_FOUR_WORD_SEMAPHORE << SEMAPHORE_TYPE_SHIFT);
    const _: () = assert!(SEMAPHORE_FOUR_WORD == 0x14);
}

/// Choose gpfifo/compute/copy classes from the list the GPU reports: Hopper > Ada > Ampere.
pub fn pick_classes(reported: &[u32]) -> Result<Classes> {
    let has = |c: &u32| reported.contains(c);
    let first = |want: &[u32], what: &str| -> Result<u32> {
        want.iter()
            .copied()
            .find(has)
            .ok_or_else(|| HcqError::UnsupportedGpu {
                what: format!(
                    "{what} class (wanted one of {})",
                    want.iter()
                        .map(|c| format!("0x{c:04x}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                found: reported.to_vec(),
            })
    };
    Ok(Classes {
        gpfifo: first(
            &[
                HOPPER_CHANNEL_GPFIFO_A,
                AMPERE_CHANNEL_GPFIFO_B,
                AMPERE_CHANNEL_GPFIFO_A,
            ],
            "GPFIFO channel",
        )?,
        compute: first(
            &[
                HOPPER_COMPUTE_A,
                ADA_COMPUTE_A,
                AMPERE_COMPUTE_B,
                AMPERE_COMPUTE_A,
            ],
            "compute",
        )?,
        copy: first(
            &[HOPPER_DMA_COPY_A, AMPERE_DMA_COPY_B, AMPERE_DMA_COPY_A],
            "DMA copy",
        )?,
    })
}

/// The QMD layout a compute class takes: V04_00 on Hopper, V03_00 on Ampere/Ada (and Orin).
pub fn qmd_version_for(compute_class: u32) -> QmdVersion {
    if compute_class >= HOPPER_COMPUTE_A {
        QmdVersion::V4
    } else {
        QmdVersion::V3
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_hopper_over_ampere() {
        let c = pick_classes(&[0xC56F, 0xC86F, 0xCBC0, 0xC8B5, 0xC661]).unwrap();
        assert_eq!(
            c,
            Classes {
                gpfifo: 0xC86F,
                compute: 0xCBC0,
                copy: 0xC8B5
            }
        );
        let orin = pick_classes(&[0xC56F, 0xC7C0, 0xC7B5]).unwrap();
        assert_eq!(
            orin,
            Classes {
                gpfifo: 0xC56F,
                compute: 0xC7C0,
                copy: 0xC7B5
            }
        );
        // Orin's ga10b reports AMPERE_CHANNEL_GPFIFO_B.
        let ga10b = pick_classes(&[0xC76F, 0xC7C0, 0xC7B5]).unwrap();
        assert_eq!(ga10b.gpfifo, AMPERE_CHANNEL_GPFIFO_B);
        let ada = pick_classes(&[0xC56F, 0xC9C0, 0xC7C0, 0xC7B5]).unwrap();
        assert_eq!(ada.compute, ADA_COMPUTE_A);
    }

    #[test]
    fn unsupported_names_what_was_found() {
        let e = pick_classes(&[0xC56F, 0xB197]).unwrap_err();
        match &e {
            HcqError::UnsupportedGpu { what, found } => {
                assert!(what.contains("compute"), "{what}");
                assert_eq!(found, &vec![0xC56F, 0xB197]);
            }
            other => panic!("wrong error {other:?}"),
        }
        assert!(e.to_string().contains("0xb197"));
    }

    #[test]
    fn qmd_versions() {
        assert_eq!(qmd_version_for(HOPPER_COMPUTE_A), QmdVersion::V4);
        assert_eq!(qmd_version_for(AMPERE_COMPUTE_B), QmdVersion::V3);
        assert_eq!(qmd_version_for(ADA_COMPUTE_A), QmdVersion::V3);
        assert_eq!(qmd_version_for(AMPERE_COMPUTE_A), QmdVersion::V3);
    }
}
