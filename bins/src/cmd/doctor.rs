//! `kernlab doctor`: which device nodes, interface, classes, driver and backends this machine has.
//! Never fails because a GPU is missing: it says so and exits 0.

use super::*;
use argh::FromArgs;
use hcq::rm::classes::class_name;
use hcq::rm::RmIface;
use hcq::Iface;
use kernlab::bench::bank0;
use kernlab::json::Json;
use std::path::Path;

/// which device nodes, interface, classes, driver and backends this machine has.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "doctor")]
pub struct Args {
    /// print JSON instead of text
    #[argh(switch)]
    pub json: bool,
    /// also run a kernel on nv and on cuda that copies its constant bank 0 out, and show the
    /// driver words each path puts there side by side
    #[argh(switch)]
    pub bank0: bool,
}

/// Desktop (RM/UVM) nodes, then Tegra (nvgpu/nvmap) nodes.
const RM_NODES: [&str; 3] = ["/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia0"];
const TEGRA_NODES: [&str; 5] = [
    "/dev/nvmap",
    "/dev/nvhost-ctrl-gpu",
    "/dev/nvgpu/igpu0/ctrl",
    "/dev/nvgpu/igpu0/as",
    "/dev/nvgpu/igpu0/channel",
];

struct Node {
    path: String,
    exists: bool,
    /// open(O_RDWR) succeeded (permissions, driver answering).
    usable: bool,
}

fn probe(path: &str) -> Node {
    let exists = Path::new(path).exists();
    let usable = exists
        && std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .is_ok();
    Node {
        path: path.to_string(),
        exists,
        usable,
    }
}

fn nodes() -> Vec<Node> {
    let mut paths: Vec<String> = RM_NODES.iter().map(|s| s.to_string()).collect();
    for n in 1..16 {
        let p = format!("/dev/nvidia{n}");
        if Path::new(&p).exists() {
            paths.push(p);
        }
    }
    paths.extend(TEGRA_NODES.iter().map(|s| s.to_string()));
    paths.iter().map(|p| probe(p)).collect()
}

/// dlopen("libcuda.so.1"): found, or the loader's reason.
fn cuda_driver() -> Result<(), String> {
    let name = c"libcuda.so.1";
    // SAFETY: dlopen with a NUL-terminated name; the handle is closed right away.
    let h = unsafe { libc::dlopen(name.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    if h.is_null() {
        // SAFETY: dlerror returns a NUL-terminated string or null.
        let e = unsafe { libc::dlerror() };
        let msg = if e.is_null() {
            "not found".to_string()
        } else {
            // SAFETY: non-null dlerror result is a valid C string until the next dl call.
            unsafe { std::ffi::CStr::from_ptr(e) }
                .to_string_lossy()
                .into_owned()
        };
        return Err(msg);
    }
    // SAFETY: h came from dlopen above.
    unsafe { libc::dlclose(h) };
    Ok(())
}

fn class_label(c: u32) -> String {
    match class_name(c) {
        Some(n) => format!("0x{c:04x} {n}"),
        None => format!("0x{c:04x}"),
    }
}

pub fn run(args: Args) -> Result<(), Error> {
    let nodes = nodes();
    let has = |p: &str| nodes.iter().any(|n| n.path == p && n.exists);
    let iface = if has("/dev/nvidiactl") {
        "rm"
    } else if TEGRA_NODES.iter().any(|p| has(p)) {
        "tegra"
    } else {
        "none"
    };
    let nv = if iface == "rm" {
        Some(RmIface::open())
    } else {
        None
    };
    let cuda = cuda_driver();

    if args.json {
        let mut j = Json::obj().set("interface", iface);
        j.insert(
            "nodes",
            Json::Arr(
                nodes
                    .iter()
                    .map(|n| {
                        Json::obj()
                            .set("path", n.path.as_str())
                            .set("exists", n.exists)
                            .set("usable", n.usable)
                    })
                    .collect(),
            ),
        );
        let nv_j = match &nv {
            None => Json::obj()
                .set("ok", false)
                .set("error", "no /dev/nvidiactl: not a desktop NVIDIA driver"),
            Some(Err(e)) => Json::obj().set("ok", false).set("error", e.to_string()),
            Some(Ok(rm)) => {
                let i = rm.info();
                Json::obj()
                    .set("ok", true)
                    .set("gpu", i.name.as_str())
                    .set("node", rm.device_node())
                    .set("driver_version", i.driver_version.as_str())
                    .set("arch", i.arch())
                    .set("sm_count", i.num_sms)
                    .set("vram_b", i.vram_b)
                    .set("gpfifo_class", i.classes.gpfifo)
                    .set("compute_class", i.classes.compute)
                    .set("copy_class", i.classes.copy)
                    .set(
                        "classes",
                        Json::Arr(i.all_classes.iter().map(|&c| Json::from(c)).collect()),
                    )
            }
        };
        j.insert("nv", nv_j);
        j.insert(
            "cuda",
            match &cuda {
                Ok(()) => Json::obj().set("libcuda", "found"),
                Err(e) => Json::obj()
                    .set("libcuda", "not found")
                    .set("error", e.as_str()),
            },
        );
        j.insert("tegra", hcq::tegra::probe_report());
        if args.bank0 {
            drop(nv);
            j.insert("bank0", bank0::json(&bank0::dump_both()));
        }
        println!("{}", j.to_string_pretty());
        return Ok(());
    }

    println!("device nodes:");
    for n in &nodes {
        let state = match (n.exists, n.usable) {
            (false, _) => "absent",
            (true, false) => "present, NOT usable (open failed: permissions or driver)",
            (true, true) => "present, usable",
        };
        println!("  {:<28} {state}", n.path);
    }
    match iface {
        "rm" => println!("interface: rm (desktop NVIDIA driver: RM + UVM)"),
        "tegra" => println!("interface: tegra (nvgpu/nvmap)"),
        _ => println!(
            "interface: none: no NVIDIA device on this machine (no /dev/nvidiactl and no Tegra nodes); the cpu backend still runs"
        ),
    }
    match &nv {
        None => println!("backend nv (rm): not available (no /dev/nvidiactl)"),
        Some(Err(e)) => println!("backend nv (rm): does not initialise: {e}"),
        Some(Ok(rm)) => {
            let i = rm.info();
            println!("backend nv (rm): initialises");
            println!("  gpu:     {} ({})", i.name, rm.device_node());
            println!("  driver:  {}", i.driver_version);
            println!(
                "  arch:    {}, {} SMs, {} MiB VRAM",
                i.arch(),
                i.num_sms,
                i.vram_b >> 20
            );
            println!(
                "  classes: channel {}, compute {}, copy {}",
                class_label(i.classes.gpfifo),
                class_label(i.classes.compute),
                class_label(i.classes.copy)
            );
            let all: Vec<String> = i.all_classes.iter().map(|c| format!("{c:04x}")).collect();
            println!("  all {} classes: {}", all.len(), all.join(" "));
        }
    }
    match &cuda {
        Ok(()) => println!("backend cuda: libcuda.so.1 found"),
        Err(e) => println!("backend cuda: libcuda.so.1 not found ({e})"),
    }
    for line in hcq::tegra::probe_report() {
        println!("{line}");
    }
    println!("backend cpu: always available");
    if args.bank0 {
        drop(nv);
        print!("{}", bank0::render(&bank0::dump_both()));
    }
    Ok(())
}
