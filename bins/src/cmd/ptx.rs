//! `kernlab ptx`: list the PTX kernels; with --arch, assemble them and report registers, shared memory, spills.

use super::*;
use argh::FromArgs;

/// list the PTX kernels; with --arch, assemble them and report registers, shared memory, spills.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "ptx")]
pub struct Args {
    /// target architecture: sm_87 or sm_90
    #[argh(option)]
    pub arch: Option<String>,
    /// print JSON instead of a table
    #[argh(switch)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<(), Error> {
    let specs = kernlab::ptx::kernels();
    let Some(arch) = args.arch else {
        let mut t =
            kernlab::bench::table::Table::new(&["kernel", "file", "variant", "dynamic smem B"]);
        let mut recs = Vec::new();
        for s in &specs {
            t.row(vec![
                s.entry.to_string(),
                s.file.file.to_string(),
                s.label(),
                s.dynamic_shared_b().to_string(),
            ]);
            recs.push(
                kernlab::json::Json::obj()
                    .set("kernel", s.entry)
                    .set("file", s.file.file)
                    .set("variant", s.label()),
            );
        }
        if args.json {
            print_json(&kernlab::json::Json::Arr(recs));
        } else {
            print!("{}", t.render());
        }
        return Ok(());
    };
    kernlab::ptx::toolchain::check_arch(&arch)?;
    let mut t = kernlab::bench::table::Table::new(&[
        "kernel",
        "regs",
        "smem B",
        "dyn smem B",
        "stack B",
        "spill st B",
        "spill ld B",
        "cmem",
        "cached",
    ]);
    let mut recs = Vec::new();
    let mut tool = String::new();
    let mut spills = Vec::new();
    for s in &specs {
        let asm = kernlab::ptx::assemble(s, &arch, None)?;
        tool = asm.tool.describe();
        let usage = kernlab::ptx::parse_ptxas_log(&asm.log);
        let u = usage
            .into_iter()
            .find(|u| u.kernel == s.entry)
            .unwrap_or_default();
        if u.spills() {
            spills.push(s.entry);
        }
        let cmem: Vec<String> = u
            .cmem
            .iter()
            .map(|(bank, b)| format!("{b}B@{bank}"))
            .collect();
        t.row(vec![
            s.entry.to_string(),
            u.registers.to_string(),
            u.shared_b.to_string(),
            s.dynamic_shared_b().to_string(),
            u.stack_frame_b.to_string(),
            u.spill_stores_b.to_string(),
            u.spill_loads_b.to_string(),
            if cmem.is_empty() {
                "-".into()
            } else {
                cmem.join(" ")
            },
            if asm.cached { "yes" } else { "no" }.to_string(),
        ]);
        recs.push(
            kernlab::json::Json::obj()
                .set("kernel", s.entry)
                .set("variant", s.label())
                .set("arch", arch.as_str())
                .set("registers", u.registers)
                .set("shared_b", u.shared_b)
                .set("dynamic_shared_b", s.dynamic_shared_b())
                .set("stack_frame_b", u.stack_frame_b)
                .set("spill_stores_b", u.spill_stores_b)
                .set("spill_loads_b", u.spill_loads_b)
                .set("cubin_b", asm.cubin.len())
                .set("tool", asm.tool.describe()),
        );
    }
    if args.json {
        print_json(&kernlab::json::Json::Arr(recs));
    } else {
        println!("{arch}, assembled with {tool}\n");
        print!("{}", t.render());
    }
    if !spills.is_empty() {
        return Err(Error::Ptx(format!(
            "{arch}: registers spill in {}",
            spills.join(", ")
        )));
    }
    Ok(())
}
