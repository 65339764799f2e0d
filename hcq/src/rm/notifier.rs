//! The channel error notifier: RM writes an NvNotification (nvgputypes.h, 16 B) at index
//! NV_CHANNELGPFIFO_NOTIFICATION_TYPE_ERROR (0) when robust-channel recovery kills the channel;
//! `info32` is the RC code (nverror.h, the same number as the Xid in dmesg). rm-hcq.md §7.

use crate::iface::ChannelFault;

/// Byte offsets inside NvNotification: timeStamp u64 @0, info32 @8, info16 @0xC, status u16 @0xE.
pub const NOTIFICATION_SIZE_B: usize = 16;
const INFO32_OFF: usize = 8;
const INFO16_OFF: usize = 0xC;
const STATUS_OFF: usize = 0xE;

/// The RC codes (nverror.h) kernlab names; others print as their number.
pub fn rc_code_name(code: u32) -> &'static str {
    match code {
        8 => "ROBUST_CHANNEL_FIFO_ERROR_IDLE_TIMEOUT (channel timed out)",
        13 => "ROBUST_CHANNEL_GR_EXCEPTION (SM exception: illegal instruction, misaligned or out-of-range address)",
        31 => "ROBUST_CHANNEL_FIFO_ERROR_MMU_ERR_FLT (GPU page fault: access to an unmapped address)",
        43 => "ROBUST_CHANNEL_RESETCHANNEL_VERIF_ERROR (channel reset)",
        45 => "ROBUST_CHANNEL_PREEMPTIVE_REMOVAL (channel removed by the driver)",
        68 => "ROBUST_CHANNEL_NVDEC0_ERROR",
        69 => "ROBUST_CHANNEL_GR_CLASS_ERROR (bad method or method data)",
        109 => "ROBUST_CHANNEL_CTXSW_TIMEOUT_ERROR (context switch timeout)",
        _ => "unknown RC code (see nverror.h)",
    }
}

/// Decode notifier entry 0 from the notifier memory. None while `status` is 0 (no error yet).
pub fn decode_error_notifier(mem: &[u8]) -> Option<ChannelFault> {
    let entry = mem.get(..NOTIFICATION_SIZE_B)?;
    let status = u16::from_le_bytes([entry[STATUS_OFF], entry[STATUS_OFF + 1]]);
    if status == 0 {
        return None;
    }
    let code = u32::from_le_bytes([
        entry[INFO32_OFF],
        entry[INFO32_OFF + 1],
        entry[INFO32_OFF + 2],
        entry[INFO32_OFF + 3],
    ]);
    let info16 = u16::from_le_bytes([entry[INFO16_OFF], entry[INFO16_OFF + 1]]);
    Some(ChannelFault {
        code,
        what: format!(
            "{} [notifier status 0x{status:04x}, info16 0x{info16:04x}]",
            rc_code_name(code)
        ),
    })
}
