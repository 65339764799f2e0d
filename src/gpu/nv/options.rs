//! The choices the device measurements settle, read once from the environment so one device
//! call can compare them without rebuilding. Defaults are what is documented in docs/nvb.md.

use crate::gpu::backend::CapSizing;
use crate::{Error, Result};
use hcq::qmd::Field;
use hcq::{MemPlace, QmdVersion};

/// How the kernels of a prebuilt replay are kept in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayOrder {
    /// `Pdl` where the QMD has latches (V4, Hopper: measured fastest and checked there, see
    /// docs/nvb.md), `ComputeWfi` elsewhere (V3: Ampere/Ada/Orin, where chain and pdl have not
    /// run on hardware).
    Auto,
    /// NVCBC0_WAIT_FOR_IDLE between launches: each kernel starts after the previous one ends
    /// (the order a CUDA graph built by stream capture has).
    ComputeWfi,
    /// Each QMD names the next as its dependent (DEPENDENT_QMD0, action QMD_SCHEDULE): the
    /// hardware starts kernel i+1 when kernel i completes, with no pushbuffer method between
    /// them; the last QMD's release semaphore tells the channel the chain is done.
    Chain,
    /// Chain plus Hopper's programmatic dependent launch (QMD V4 only): kernel i+1 is
    /// scheduled once the last CTA of kernel i has launched, and waits in its own
    /// `griddepcontrol.wait` for kernel i to complete (the latch kernel i arrives at). Its
    /// launch and whatever it does before the wait (address math, weight loads) overlap the tail
    /// of kernel i. Every kernel of the replay must execute `griddepcontrol.wait` before it
    /// touches what an earlier kernel wrote (the decode kernels do).
    Pdl,
    /// No wait between launches: the kernels may overlap. Only for measuring the launch rate
    /// of independent kernels; not the default.
    Overlap,
    /// Pdl's latches without the chain (QMD V4 only): every QMD is launched from the pushbuffer
    /// as in `Overlap`, so the front end queues them all at once, and kernel i+1's
    /// `griddepcontrol.wait` waits for the latch kernel i arrives at. On the H100 it orders
    /// grids that are not each other's dependents (llama1b-q6k 32/32 against the CPU) and is
    /// no faster than Pdl (0.769 vs 0.764 ms, session 5): a measurement knob.
    Latch,
}

/// The SM's shared-memory / L1 split a launch asks for (QMD TARGET/MAX_SM_CONFIG_SHARED_MEM_SIZE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carveout {
    /// The largest carve-out (228 KiB on Hopper, 100 KiB on Ampere): shared memory never limits
    /// the CTAs per SM, but L1 shrinks to what is left.
    Max,
    /// The smallest carve-out that holds one CTA (tinygrad's choice).
    Min,
    /// The smallest carve-out that holds as many CTAs as the SM's thread and register limits
    /// allow: full occupancy with the rest left to L1 (what a CUDA launch with no carve-out
    /// preference gets).
    Fit,
    /// The same carve-out (KiB, rounded up to one the QMD can ask for, and never below what one
    /// CTA needs) for every launch: kernels of one replay share the SM's split, so a dependent
    /// grid's CTAs can sit beside the previous grid's without the SM reconfiguring, and what
    /// shared memory does not take is L1.
    Fixed(u32),
}

/// The memory barrier at the end of each grid of a replay (QMD CWD_MEMBAR_TYPE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GridMembar {
    /// L1_NONE after every grid of a replay but the last whose kernel releases its own writes
    /// (`ptx::release`: a GPU-scope release fence before every `ret`, or no global writes);
    /// L1_MEMBAR with CWD_MEMBAR_TASK_CHASING_ENABLE (QMD V4) after the others; L1_SYSMEMBAR
    /// after the last, so the host sees everything once the replay's signal lands. The default.
    /// Chasing is what a CUDA graph's kernel nodes carry (session 6's dump of CUDA's own QMDs,
    /// docs/nvb.md); on the H100 it kept every decode correct and cut llama1b from 0.754 to
    /// 0.731 ms/token, qwen3-0.6b 0.660 -> 0.620, qwen3-1.7b 1.189 -> 1.144 (session 7's
    /// probe10), where L1_MEMBAR without it changed nothing (session 5's probe4). A QMD V3 GPU
    /// has no such field and gets plain L1_MEMBAR.
    Chased,
    /// L1_NONE after every grid of a replay but the last whose kernel releases its own writes
    /// (`ptx::release`: a GPU-scope release fence before every `ret`, or no global writes),
    /// L1_SYSMEMBAR after the others and the last: the default of sessions 5 and 6 (`released`).
    /// The barrier costs 0.35 µs per grid on the H100 (100-kernel replay of the empty kernel,
    /// which writes nothing: 0.70 -> 0.35 µs per kernel). The decode kernels write and carry no
    /// fence unless `exit_fence` adds one (the fence cost more than the barrier, see
    /// `ptx::release`), so their replays keep it.
    NoneWhereReleased,
    /// L1_SYSMEMBAR after every grid (tinygrad's choice).
    Sys,
    /// L1_MEMBAR (GPU scope) after every grid of a replay but the last, which keeps
    /// L1_SYSMEMBAR so the host sees everything once the replay's signal lands: the kernels
    /// in between only feed other kernels.
    GpuBetween,
    /// L1_NONE after every grid of a replay but the last, whatever the kernel: a measurement
    /// knob, not safe — a kernel whose stores are still in flight when it ends can feed the
    /// next grid stale values (seen on the H100, see `NoneWhereReleased`).
    NoneBetween,
}

/// The default carve-out in KiB (see `NvOptions::default`).
pub const DEFAULT_CARVEOUT_KIB: u32 = 164;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NvOptions {
    /// Where the launch arena (bank 0, pushbuffers, QMDs) lives: `DeviceMapped` (VRAM through
    /// BAR1; the GPU reads it locally) or `Host` (system memory; the GPU reads it over PCIe).
    pub arena_place: MemPlace,
    pub replay_order: ReplayOrder,
    /// Slots of the launch arena (submissions in flight at most).
    pub arena_slots: usize,
    /// Bytes of the Host staging buffer for uploads/downloads.
    pub staging_b: u64,
    /// Give up waiting on the GPU after this long without progress.
    pub timeout_ms: u64,
    /// QMD target/max SM shared-memory carve-out.
    pub carveout: Carveout,
    /// How a launch's cap on its blocks per SM sizes its shared memory (`KERNLAB_CAP_SHARED`).
    pub cap_sizing: CapSizing,
    /// Follow each semaphore release with NON_STALL_INTERRUPT (only needed by a sleeping
    /// waiter; the backend polls).
    pub release_irq: bool,
    /// A lone launch signals the timeline from its QMD's release semaphore (on grid completion,
    /// no host WFI) instead of a host semaphore release; the next submission then acquires it.
    pub qmd_signal: bool,
    /// A lone launch writes only the 64-byte lines of its QMD that differ from what its slot last
    /// held (as bank 0 and the pushbuffer are), instead of the whole QMD
    /// (KERNLAB_NV_QMD_WRITE=changed|whole). Whether the GPU leaves a lone launch's QMD memory
    /// as written, and whether skipping the writes shortens the launch call (half of nv's
    /// empty round trip on the H100, session 11), is for the device to show
    /// (scripts/device/probe34.sh); off by default.
    pub qmd_changed_lines_only: bool,
    /// Copies signal the timeline from the copy engine itself (`hcq::signal::emit_copy_release`,
    /// a 64-bit four-word semaphore) instead of a host semaphore release after a WFI
    /// (KERNLAB_NV_COPY_SIGNAL=ce|host). rm-hcq.md left the copy engine's 64-bit payload
    /// unverified; this is the switch that lets the device settle it (scripts/device/probe34.sh).
    /// Off by default.
    pub copy_release_by_engine: bool,
    /// The timeline continues from here after setup (KERNLAB_NV_TIMELINE_START=N, decimal or
    /// 0x hex): just under 2^32 every 64-bit release and acquire crosses into the upper word
    /// within a few submissions. 0 (no restart) by default.
    pub timeline_start: u64,
    pub grid_membar: GridMembar,
    /// Add `fence.release.gpu` before every `ret` of each kernel that writes global memory
    /// (`ptx::release::fence_exits`; sm_90 and later, ignored before), so that under
    /// `grid_membar` auto its replays need no grid-end barrier (KERNLAB_NV_EXIT_FENCE=release|off).
    pub exit_fence: bool,
    /// Replays built while this is set give every grid a second QMD release (slot 1) with a
    /// timestamp and no barrier, into the replay's own buffer: when each grid completed inside
    /// the pipelined replay (`decode --timeline`). Off by default.
    pub grid_timestamps: bool,
    /// pdl replays: a kernel that waits on a latch leaves the cache invalidations to the latch
    /// acquire (LATCH_ACQUIRE_INVALIDATE_*, which `griddepcontrol.wait` performs) instead of
    /// also invalidating the texture header/sampler/data and shader data caches at its launch
    /// (KERNLAB_NV_INVALIDATE=latch|launch). A measurement knob; off by default.
    pub invalidate_at_latch_only: bool,
    /// QMD fields every launch sets on top of what hcq and the launch choose, for device
    /// experiments (KERNLAB_NV_QMD="OCCUPANCY_MAX_WARP=16,FREE_CTA_SLOTS_EMPTY_SM=1": header
    /// names without the NVCBC0_QMDV04_00_ / NVC6C0_QMDV03_00_ prefix). At most
    /// QMD_OVERRIDES_MAX; none by default.
    pub qmd_overrides: [Option<(Field, u64)>; QMD_OVERRIDES_MAX],
    /// 32-bit words of bank 0's driver area (in front of the parameters) every launch sets on
    /// top of hcq's, for device experiments: KERNLAB_NV_BANK0="0x208=0x0,0x20c=0x10000000"
    /// (byte offset=value). `kernlab doctor --bank0` shows what cuda puts there. At most
    /// BANK0_OVERRIDES_MAX; none by default.
    pub bank0_words: [Option<(u32, u32)>; BANK0_OVERRIDES_MAX],
}

/// How many bank-0 words KERNLAB_NV_BANK0 may set.
pub const BANK0_OVERRIDES_MAX: usize = 8;

/// The value environment variable `var` names among `choices`, None when it is unset; any other
/// value is a usage error listing the choices ("expected a, b or c").
fn env_choice<T: Copy>(var: &str, choices: &[(&str, T)]) -> Result<Option<T>> {
    let Ok(v) = std::env::var(var) else {
        return Ok(None);
    };
    if let Some(&(_, t)) = choices.iter().find(|(name, _)| *name == v) {
        return Ok(Some(t));
    }
    let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
    let (last, rest) = names.split_last().expect("at least one choice");
    Err(Error::Usage(format!(
        "{var}={v}: expected {} or {last}",
        rest.join(", ")
    )))
}

/// The comma-separated `key=value` items of environment variable `var` (value `v`), at most
/// `max` of them (`what` names them in the error).
fn env_list<'a>(var: &str, v: &'a str, max: usize, what: &str) -> Result<Vec<&'a str>> {
    let items: Vec<&str> = v
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if items.len() > max {
        return Err(Error::Usage(format!("{var}={v}: at most {max} {what}")));
    }
    Ok(items)
}

/// A decimal or 0x-hex integer.
fn parse_int(t: &str) -> Option<u64> {
    match t.trim().strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => t.trim().parse().ok(),
    }
}

/// KERNLAB_NV_BANK0's list: `offset=value` pairs (decimal or 0x hex), offsets 4-byte aligned.
pub fn parse_bank0_words(v: &str) -> Result<[Option<(u32, u32)>; BANK0_OVERRIDES_MAX]> {
    let mut out = [None; BANK0_OVERRIDES_MAX];
    let pairs = env_list("KERNLAB_NV_BANK0", v, BANK0_OVERRIDES_MAX, "words")?;
    let num = |t: &str| parse_int(t).and_then(|n| u32::try_from(n).ok());
    for (slot, pair) in out.iter_mut().zip(pairs) {
        let parsed = pair
            .split_once('=')
            .and_then(|(o, w)| Some((num(o)?, num(w)?)))
            .filter(|(o, _)| o % 4 == 0);
        *slot = Some(parsed.ok_or_else(|| {
            Error::Usage(format!(
                "KERNLAB_NV_BANK0: '{pair}' is not OFFSET=VALUE with a 4-byte aligned offset"
            ))
        })?);
    }
    Ok(out)
}

/// How many QMD fields KERNLAB_NV_QMD may set.
pub const QMD_OVERRIDES_MAX: usize = 4;

/// KERNLAB_NV_QMD's list: `NAME=value` pairs (value decimal or 0x hex), NAME a QMD field of
/// either version.
pub fn parse_qmd_overrides(v: &str) -> Result<[Option<(Field, u64)>; QMD_OVERRIDES_MAX]> {
    let mut out = [None; QMD_OVERRIDES_MAX];
    let pairs = env_list("KERNLAB_NV_QMD", v, QMD_OVERRIDES_MAX, "fields")?;
    for (slot, pair) in out.iter_mut().zip(pairs) {
        let bad = || Error::Usage(format!("KERNLAB_NV_QMD: '{pair}' is not FIELD=value"));
        let (name, value) = pair.split_once('=').ok_or_else(bad)?;
        let value = parse_int(value).ok_or_else(bad)?;
        let name = name.trim();
        let field = Field::from_header_short(QmdVersion::V4, name)
            .or_else(|| Field::from_header_short(QmdVersion::V3, name))
            .ok_or_else(|| {
                Error::Usage(format!(
                    "KERNLAB_NV_QMD: no QMD field {name} (use the header's name, e.g. OCCUPANCY_MAX_WARP)"
                ))
            })?;
        *slot = Some((field, value));
    }
    Ok(out)
}

impl Default for NvOptions {
    fn default() -> Self {
        NvOptions {
            arena_place: MemPlace::DeviceMapped,
            replay_order: ReplayOrder::Auto,
            arena_slots: 1024,
            staging_b: 64 << 20,
            timeout_ms: 20_000,
            // 164 KiB for every launch (the largest on V3 parts, 100 KiB, where 164 is not
            // offered): on the H100 decode measured llama1b-q6k 0.833 -> 0.781 ms/token,
            // qwen3-1.7b-q4km 1.239 -> 1.227, qwen3-0.6b-q8 0.667 -> 0.676 against `max` in one
            // call (docs/device-logs/s3/final3-speed.log; llama1b 0.865 -> 0.853 in val3.log).
            // Why is not settled: 100 and 132 KiB (more L1 still) were no better than `max` in
            // val3.log. nv matmul at 4096 gained too: fp16 wide tiles 136 -> 402 TFLOP/s, fp32
            // 19.3 -> 25.5 (docs/device-logs/s3/val4.log).
            carveout: Carveout::Fixed(DEFAULT_CARVEOUT_KIB),
            cap_sizing: CapSizing::Least,
            release_irq: false,
            qmd_signal: false,
            qmd_changed_lines_only: false,
            copy_release_by_engine: false,
            timeline_start: 0,
            grid_membar: GridMembar::Chased,
            exit_fence: false,
            grid_timestamps: false,
            invalidate_at_latch_only: false,
            qmd_overrides: [None; QMD_OVERRIDES_MAX],
            bank0_words: [None; BANK0_OVERRIDES_MAX],
        }
    }
}

impl ReplayOrder {
    /// `Auto` made concrete for a GPU whose QMDs are `qmd`.
    pub fn resolve(self, qmd: hcq::QmdVersion) -> ReplayOrder {
        match (self, qmd) {
            (ReplayOrder::Auto, hcq::QmdVersion::V4) => ReplayOrder::Pdl,
            (ReplayOrder::Auto, _) => ReplayOrder::ComputeWfi,
            (o, _) => o,
        }
    }
}

impl NvOptions {
    /// Defaults overridden by KERNLAB_NV_ARENA (vram|host), KERNLAB_NV_REPLAY
    /// (auto|wfi|chain|pdl|latch|overlap), KERNLAB_NV_TIMEOUT_MS, KERNLAB_NV_CARVEOUT (max|min|fit|KiB),
    /// KERNLAB_NV_IRQ (0|1), KERNLAB_NV_SIGNAL (host|qmd), KERNLAB_NV_QMD_WRITE (whole|changed), KERNLAB_NV_COPY_SIGNAL (host|ce), KERNLAB_NV_TIMELINE_START (N), KERNLAB_NV_MEMBAR (auto|chased|released|sys|gpu|none),
    /// KERNLAB_NV_EXIT_FENCE (release|off), KERNLAB_NV_INVALIDATE (launch|latch),
    /// KERNLAB_NV_QMD (FIELD=value,...), KERNLAB_NV_BANK0 (offset=value,...).
    pub fn from_env() -> Result<NvOptions> {
        let mut o = NvOptions {
            cap_sizing: CapSizing::from_env()?,
            ..NvOptions::default()
        };
        if let Some(p) = env_choice(
            "KERNLAB_NV_ARENA",
            &[("vram", MemPlace::DeviceMapped), ("host", MemPlace::Host)],
        )? {
            o.arena_place = p;
        }
        if let Some(r) = env_choice(
            "KERNLAB_NV_REPLAY",
            &[
                ("auto", ReplayOrder::Auto),
                ("wfi", ReplayOrder::ComputeWfi),
                ("chain", ReplayOrder::Chain),
                ("pdl", ReplayOrder::Pdl),
                ("latch", ReplayOrder::Latch),
                ("overlap", ReplayOrder::Overlap),
            ],
        )? {
            o.replay_order = r;
        }
        if let Ok(v) = std::env::var("KERNLAB_NV_CARVEOUT") {
            o.carveout = match v.as_str() {
                "max" => Carveout::Max,
                "min" => Carveout::Min,
                "fit" => Carveout::Fit,
                _ => match v.parse::<u32>() {
                    Ok(kib) if kib > 0 => Carveout::Fixed(kib),
                    _ => {
                        return Err(Error::Usage(format!(
                            "KERNLAB_NV_CARVEOUT={v}: expected max, min, fit or KiB (e.g. 132)"
                        )))
                    }
                },
            };
        }
        if let Some(q) = env_choice("KERNLAB_NV_SIGNAL", &[("host", false), ("qmd", true)])? {
            o.qmd_signal = q;
        }
        if let Some(q) = env_choice(
            "KERNLAB_NV_QMD_WRITE",
            &[("whole", false), ("changed", true)],
        )? {
            o.qmd_changed_lines_only = q;
        }
        if let Some(c) = env_choice("KERNLAB_NV_COPY_SIGNAL", &[("host", false), ("ce", true)])? {
            o.copy_release_by_engine = c;
        }
        if let Some(m) = env_choice(
            "KERNLAB_NV_MEMBAR",
            &[
                ("auto", GridMembar::Chased),
                ("chased", GridMembar::Chased),
                ("released", GridMembar::NoneWhereReleased),
                ("sys", GridMembar::Sys),
                ("gpu", GridMembar::GpuBetween),
                ("none", GridMembar::NoneBetween),
            ],
        )? {
            o.grid_membar = m;
        }
        if let Some(f) = env_choice(
            "KERNLAB_NV_EXIT_FENCE",
            &[("release", true), ("off", false)],
        )? {
            o.exit_fence = f;
        }
        if let Ok(v) = std::env::var("KERNLAB_NV_QMD") {
            o.qmd_overrides = parse_qmd_overrides(&v)?;
        }
        if let Ok(v) = std::env::var("KERNLAB_NV_BANK0") {
            o.bank0_words = parse_bank0_words(&v)?;
        }
        if let Some(l) = env_choice(
            "KERNLAB_NV_INVALIDATE",
            &[("launch", false), ("latch", true)],
        )? {
            o.invalidate_at_latch_only = l;
        }
        if let Some(i) = env_choice("KERNLAB_NV_IRQ", &[("0", false), ("1", true)])? {
            o.release_irq = i;
        }
        if let Ok(v) = std::env::var("KERNLAB_NV_TIMELINE_START") {
            let t = v.trim();
            let parsed = match t.strip_prefix("0x") {
                Some(h) => u64::from_str_radix(h, 16).ok(),
                None => t.parse().ok(),
            };
            o.timeline_start = parsed.ok_or_else(|| {
                Error::Usage(format!(
                    "KERNLAB_NV_TIMELINE_START={v}: expected a timeline value (decimal or 0x hex)"
                ))
            })?;
        }
        if let Ok(v) = std::env::var("KERNLAB_NV_TIMEOUT_MS") {
            o.timeout_ms = v.parse().ok().filter(|&t| t > 0).ok_or_else(|| {
                Error::Usage(format!(
                    "KERNLAB_NV_TIMEOUT_MS={v}: expected milliseconds > 0"
                ))
            })?;
        }
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::env_choice;

    #[test]
    fn env_choice_maps_names_and_lists_them_on_a_bad_value() {
        // A variable only this test touches.
        let var = "KERNLAB_TEST_ENV_CHOICE_ONLY";
        let choices = [("a", 1), ("b", 2), ("c", 3)];
        std::env::remove_var(var);
        assert_eq!(env_choice(var, &choices).unwrap(), None);
        std::env::set_var(var, "b");
        assert_eq!(env_choice(var, &choices).unwrap(), Some(2));
        std::env::set_var(var, "x");
        let e = env_choice(var, &choices).unwrap_err().to_string();
        assert!(
            e.contains("KERNLAB_TEST_ENV_CHOICE_ONLY=x: expected a, b or c"),
            "{e}"
        );
        std::env::remove_var(var);
    }
}
