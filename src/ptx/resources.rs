//! `ptxas -v` output parsed per kernel: registers, shared memory, stack, spills, constant banks.

/// What the assembler reports for one kernel.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceUsage {
    pub kernel: String,
    pub registers: u32,
    pub shared_b: u32,
    pub stack_frame_b: u32,
    pub spill_stores_b: u32,
    pub spill_loads_b: u32,
    /// (bank, bytes) for each `N bytes cmem[K]` (sm_90 builds often print none).
    pub cmem: Vec<(u32, u32)>,
}

impl ResourceUsage {
    pub fn spills(&self) -> bool {
        self.spill_stores_b > 0 || self.spill_loads_b > 0
    }
}

fn number_before(text: &str, unit: &str) -> Option<u32> {
    let at = text.find(unit)?;
    text[..at].split_whitespace().last()?.parse().ok()
}

/// Parse the info lines of `ptxas -v` (or the driver's verbose link log) into one entry per kernel.
pub fn parse_ptxas_log(log: &str) -> Vec<ResourceUsage> {
    let mut out: Vec<ResourceUsage> = Vec::new();
    let mut current: Option<usize> = None;
    for line in log.lines() {
        if let Some(rest) = line.split("Function properties for ").nth(1) {
            let name = rest.trim().to_string();
            current = Some(match out.iter().position(|u| u.kernel == name) {
                Some(i) => i,
                None => {
                    out.push(ResourceUsage {
                        kernel: name,
                        ..Default::default()
                    });
                    out.len() - 1
                }
            });
            continue;
        }
        let Some(i) = current else { continue };
        let u = &mut out[i];
        if line.contains("stack frame") {
            u.stack_frame_b = number_before(line, "bytes stack frame").unwrap_or(0);
            u.spill_stores_b = number_before(line, "bytes spill stores").unwrap_or(0);
            u.spill_loads_b = number_before(line, "bytes spill loads").unwrap_or(0);
        } else if line.contains("Used") && line.contains("registers") {
            u.registers = number_before(line, "registers").unwrap_or(0);
            u.shared_b = number_before(line, "bytes smem").unwrap_or(0);
            for part in line.split(',') {
                if let Some(at) = part.find("bytes cmem[") {
                    let bytes = part[..at].trim().parse().unwrap_or(0);
                    let bank = part[at + 11..]
                        .trim_end_matches(']')
                        .trim()
                        .trim_end_matches(']')
                        .parse()
                        .unwrap_or(0);
                    u.cmem.push((bank, bytes));
                }
            }
        }
    }
    out
}
