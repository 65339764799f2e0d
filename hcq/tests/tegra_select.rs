//! `--iface` selection with injected device nodes, and the doctor lines over a directory of
//! stand-in files (no Jetson here).

use hcq::select::{detect, IfaceChoice, IfaceKind};
use hcq::tegra::probe::{parse_l4t_release, probe_report_at};
use hcq::HcqError;

#[test]
fn auto_prefers_tegra_then_rm_and_names_what_it_looked_for() {
    let with = |nodes: &'static [&'static str]| move |p: &str| nodes.contains(&p);
    let auto = IfaceChoice::Auto;
    assert_eq!(
        detect(auto, &with(&["/dev/nvhost-ctrl-gpu"])).unwrap(),
        IfaceKind::Tegra
    );
    assert_eq!(
        detect(auto, &with(&["/dev/nvgpu/igpu0"])).unwrap(),
        IfaceKind::Tegra
    );
    assert_eq!(
        detect(auto, &with(&["/dev/nvidiactl"])).unwrap(),
        IfaceKind::Rm
    );
    assert_eq!(
        detect(auto, &with(&["/dev/nvidiactl", "/dev/nvgpu/igpu0"])).unwrap(),
        IfaceKind::Tegra
    );
    match detect(auto, &with(&[])) {
        Err(HcqError::NoDevice(m)) => {
            for p in ["/dev/nvhost-ctrl-gpu", "/dev/nvgpu/igpu0", "/dev/nvidiactl"] {
                assert!(m.contains(p), "{m}");
            }
        }
        other => panic!("{other:?}"),
    }
    assert!(detect(IfaceChoice::Tegra, &with(&["/dev/nvidiactl"])).is_err());
    assert!(detect(IfaceChoice::Rm, &with(&["/dev/nvhost-ctrl-gpu"])).is_err());
    assert_eq!(
        detect(IfaceChoice::Rm, &with(&["/dev/nvidiactl"])).unwrap(),
        IfaceKind::Rm
    );
    assert_eq!("tegra".parse::<IfaceChoice>().unwrap(), IfaceChoice::Tegra);
    assert!("cuda".parse::<IfaceChoice>().is_err());
}

#[test]
fn l4t_release_line_is_parsed() {
    let text = "# R36 (release), REVISION: 4.3, GCID: 38968081, BOARD: generic, EABI: aarch64, DATE: Wed Jan  8 01:49:37 UTC 2025\n";
    assert_eq!(parse_l4t_release(text).as_deref(), Some("L4T R36.4.3"));
    assert_eq!(parse_l4t_release("garbage"), None);
}

#[test]
fn doctor_lines_over_stand_in_nodes() {
    let root = std::env::temp_dir().join(format!("kernlab-tegra-probe-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("dev")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    let lines = probe_report_at(&root);
    assert!(
        lines.iter().any(|l| l == "tegra: /dev/nvmap: absent"),
        "{lines:#?}"
    );
    assert!(lines.last().unwrap().contains("not a Jetson"), "{lines:#?}");

    std::fs::write(root.join("dev/nvmap"), b"").unwrap();
    std::fs::write(root.join("dev/nvhost-ctrl-gpu"), b"").unwrap();
    std::fs::write(
        root.join("etc/nv_tegra_release"),
        "# R36 (release), REVISION: 4.3, GCID: 1, BOARD: generic\n",
    )
    .unwrap();
    std::fs::write(root.join("etc/group"), "root:x:0:\nvideo:x:44:someone\n").unwrap();
    let lines = probe_report_at(&root);
    let text = lines.join("\n");
    assert!(text.contains("tegra: /dev/nvmap: present, mode"), "{text}");
    assert!(text.contains("tegra: L4T release: L4T R36.4.3"), "{text}");
    assert!(text.contains("group video (44)"), "{text}");
    // A regular file answers the ioctl with ENOTTY: reported, not a panic.
    assert!(
        text.contains("GET_CHARACTERISTICS on /dev/nvhost-ctrl-gpu failed"),
        "{text}"
    );
    assert!(
        lines.last().unwrap().starts_with("tegra: verdict: "),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&root);
}
