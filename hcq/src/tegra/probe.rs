//! `kernlab doctor` lines for Tegra: which nodes exist, their permissions, whether this user
//! may open them, the L4T release, the GPU characteristics, and a verdict.
pub fn probe_report() -> Vec<String> {
    Vec::new()
}
pub fn l4t_release(_p: &str) -> Option<String> {
    None
}
