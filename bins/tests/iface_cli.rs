//! `kernlab --iface auto|rm|tegra`: the nv backend opens the interface asked for, and says which
//! nodes it looked for when they are absent (this machine has no GPU).

use std::process::Command;

fn kernlab(args: &[&str]) -> (bool, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_kernlab"))
        .args(args)
        .output()
        .unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn iface_flag_selects_the_kernel_interface() {
    let (ok, err) = kernlab(&["--iface", "bogus", "doctor"]);
    assert!(!ok && err.contains("unknown interface 'bogus'"), "{err}");
    if std::path::Path::new("/dev/nvidiactl").exists()
        || std::path::Path::new("/dev/nvhost-ctrl-gpu").exists()
    {
        eprintln!("note: a GPU node exists here; the no-device messages are not checked");
        return;
    }
    let (ok, err) = kernlab(&["--iface", "tegra", "selftest", "--backend", "nv"]);
    assert!(
        !ok && err.contains("--iface tegra") && err.contains("/dev/nvhost-ctrl-gpu"),
        "{err}"
    );
    let (ok, err) = kernlab(&["--iface", "rm", "selftest", "--backend", "nv"]);
    assert!(
        !ok && err.contains("--iface rm") && err.contains("/dev/nvidiactl"),
        "{err}"
    );
    let (ok, err) = kernlab(&["selftest", "--backend", "nv"]);
    assert!(
        !ok && err.contains("/dev/nvidiactl") && err.contains("/dev/nvhost-ctrl-gpu"),
        "{err}"
    );
}
