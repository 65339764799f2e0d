//! RmIface pieces that run without a GPU: opening on a machine without the driver, class
//! picking, error-notifier decoding, VA/page policy.

use hcq::rm::classes::*;
use hcq::rm::notifier::decode_error_notifier;
use hcq::rm::{RmIface, RmOptions};
use hcq::HcqError;

#[test]
fn open_without_driver_is_no_device() {
    if std::path::Path::new("/dev/nvidiactl").exists() {
        println!("skipped: this machine has /dev/nvidiactl");
        return;
    }
    match RmIface::open_with(RmOptions::default()) {
        Err(HcqError::NoDevice(m)) => {
            assert!(m.contains("/dev/nvidiactl"), "message names the node: {m}");
            let line = HcqError::NoDevice(m).to_string();
            assert!(line.starts_with("no device: "));
            assert!(!line.contains('\n'));
        }
        Err(e) => panic!("expected NoDevice, got {e}"),
        Ok(_) => panic!("opened an RM device on a machine without /dev/nvidiactl"),
    }
}

/// The class list RM reported on the H100 (580.159.04), from `kernlab doctor` there.
const H100_CLASSES: [u32; 103] = [
    0x0100, 0x0101, 0x0002, 0x0080, 0x0005, 0x0078, 0x007e, 0x0079, 0x0081, 0x003e, 0x0071, 0x0000,
    0x0041, 0x0001, 0x2080, 0xc639, 0xc638, 0xc640, 0xc637, 0x000f, 0x906f, 0x90cc, 0x83de, 0xc863,
    0x0090, 0xb1cc, 0xb2cc, 0xc763, 0x900e, 0x0020, 0x0092, 0x90ce, 0x00f3, 0x0076, 0x00b1, 0x0082,
    0x0083, 0x00c2, 0x003f, 0x0004, 0x2081, 0x2082, 0x208f, 0x30f1, 0x00db, 0x402c, 0x9010, 0xa0bc,
    0xa0bd, 0x0050, 0xcbca, 0x90cd, 0x00f1, 0x00e0, 0x0042, 0x00f8, 0x00fb, 0x00f9, 0x00fe, 0x00fd,
    0x00da, 0xc574, 0xc365, 0xc56f, 0xc561, 0x9067, 0x902d, 0x90f1, 0x844c, 0x90e7, 0x90e6, 0x9074,
    0x9096, 0xc076, 0xcb97, 0xc86f, 0xcbc0, 0xc8b5, 0xcba2, 0xc661, 0xa06c, 0xa080, 0xa140, 0xc369,
    0x0060, 0x0040, 0x0070, 0x007d, 0x5080, 0x50a0, 0x503b, 0x503c, 0xa081, 0xa084, 0xb8b0, 0xb8d1,
    0xb8fa, 0xcb33, 0x00de, 0xc46f, 0xc461, 0xc36f, 0xc361,
];

#[test]
fn picks_hopper_classes_from_the_h100_list() {
    let (c, usermode) = pick_classes(&H100_CLASSES).unwrap();
    assert_eq!(c.gpfifo, HOPPER_CHANNEL_GPFIFO_A);
    assert_eq!(c.compute, HOPPER_COMPUTE_A);
    assert_eq!(c.copy, HOPPER_DMA_COPY_A);
    assert_eq!(usermode, HOPPER_USERMODE_A);
    assert_eq!(sm_version_of_class(&H100_CLASSES), 0x900);
}

#[test]
fn picks_ada_and_ampere_classes() {
    let ada = [
        NV01_ROOT_CLIENT,
        AMPERE_CHANNEL_GPFIFO_A,
        ADA_COMPUTE_A,
        AMPERE_DMA_COPY_B,
        AMPERE_USERMODE_A,
    ];
    let (c, u) = pick_classes(&ada).unwrap();
    assert_eq!(
        (c.gpfifo, c.compute, c.copy, u),
        (0xC56F, 0xC9C0, 0xC7B5, 0xC561)
    );
    let ga100 = [
        AMPERE_CHANNEL_GPFIFO_A,
        AMPERE_COMPUTE_A,
        AMPERE_DMA_COPY_A,
        AMPERE_USERMODE_A,
    ];
    let (c, _) = pick_classes(&ga100).unwrap();
    assert_eq!((c.compute, c.copy), (0xC6C0, 0xC6B5));
    assert_eq!(sm_version_of_class(&ga100), 0x800);
}

#[test]
fn unsupported_gpu_names_what_was_found() {
    // A Turing GPU: TURING_COMPUTE_A 0xC5C0, no Ampere+ compute class.
    let turing = [0xC46F, 0xC5C0, 0xC5B5, TURING_USERMODE_A];
    let e = pick_classes(&turing).unwrap_err();
    let line = e.to_string();
    assert!(matches!(e, HcqError::UnsupportedGpu { .. }));
    assert!(line.contains("GPFIFO channel class"), "{line}");
    assert!(line.contains("0xc5c0"), "lists the classes found: {line}");
    assert!(!line.contains('\n'));
}

fn notification(code: u32, info16: u16, status: u16) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[0..8].copy_from_slice(&0x1234_5678u64.to_le_bytes());
    b[8..12].copy_from_slice(&code.to_le_bytes());
    b[12..14].copy_from_slice(&info16.to_le_bytes());
    b[14..16].copy_from_slice(&status.to_le_bytes());
    b
}

#[test]
fn error_notifier_decoding() {
    assert_eq!(
        decode_error_notifier(&[0u8; 16]),
        None,
        "status 0 = no error"
    );
    // What the H100 wrote for the faulting kernel: info32 31, info16 1, status 0xffff.
    let f = decode_error_notifier(&notification(31, 1, 0xffff)).unwrap();
    assert_eq!(f.code, 31);
    assert!(f.what.contains("MMU_ERR_FLT"), "{}", f.what);
    assert!(f.what.contains("0xffff"));
    let f = decode_error_notifier(&notification(13, 0, 0x8000)).unwrap();
    assert!(f.what.starts_with("ROBUST_CHANNEL_GR_EXCEPTION"));
    assert!(decode_error_notifier(&notification(43, 0, 1))
        .unwrap()
        .what
        .contains("RESETCHANNEL"));
    assert!(decode_error_notifier(&notification(45, 0, 1))
        .unwrap()
        .what
        .contains("PREEMPTIVE_REMOVAL"));
    assert!(decode_error_notifier(&notification(999, 0, 1))
        .unwrap()
        .what
        .contains("unknown RC code"));
    assert_eq!(
        decode_error_notifier(&[1u8; 8]),
        None,
        "short buffer is no fault, not a panic"
    );
}

#[test]
fn vram_page_policy() {
    use hcq::rm::memory::{round_up, vram_page_size};
    // 2 MiB pages for every VRAM buffer, small ones too (measured faster in decode).
    assert_eq!(vram_page_size(4096), 0x20_0000);
    assert_eq!(vram_page_size((8 << 20) - 1), 0x20_0000);
    assert_eq!(vram_page_size(8 << 20), 0x20_0000);
    assert_eq!(round_up(1, 0x1000), 0x1000);
    assert_eq!(round_up(0x2001, 0x1000), 0x3000);
}
