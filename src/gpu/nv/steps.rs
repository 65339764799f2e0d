//! The host steps of a lone launch, timed when asked (`Backend::record_launch_steps`): what the
//! launch call spends before the doorbell, taken apart. Off by default, and then a flag test per
//! step.

use std::time::Instant;

/// The steps, in order (each ends at the next mark): a short name and what it covers.
pub const STEPS: [(&str, &str); 4] = [
    ("submit_build", "of empty_submit: build QMD + bank 0"),
    (
        "submit_slot",
        "of empty_submit: write bank 0 + QMD to the launch slot",
    ),
    (
        "submit_pushbuf",
        "of empty_submit: build and write the pushbuffer",
    ),
    (
        "submit_ring",
        "of empty_submit: GPFIFO entry, GP_PUT, doorbell",
    ),
];

/// Marks of the launch in progress and the finished launches' step times.
#[derive(Default)]
pub struct LaunchSteps {
    on: bool,
    marks: [Option<Instant>; 5],
    rows: Vec<[f64; 4]>,
}

impl LaunchSteps {
    pub fn set(&mut self, on: bool) {
        self.on = on;
        self.marks = [None; 5];
    }

    /// Mark `k` (0: the launch call starts, 4: the doorbell rang) of the launch in progress.
    pub fn mark(&mut self, k: usize) {
        if self.on {
            self.marks[k] = Some(Instant::now());
        }
    }

    /// The launch in progress is done: keep its step times if every mark was set.
    pub fn finish(&mut self) {
        if !self.on {
            return;
        }
        let m = std::mem::take(&mut self.marks);
        if let [Some(a), Some(b), Some(c), Some(d), Some(e)] = m {
            let ns = |x: Instant, y: Instant| y.duration_since(x).as_nanos() as f64;
            self.rows.push([ns(a, b), ns(b, c), ns(c, d), ns(d, e)]);
        }
    }

    /// Each step's name, description and times, launch by launch; clears them.
    pub fn take(&mut self) -> Vec<(&'static str, &'static str, Vec<f64>)> {
        let rows = std::mem::take(&mut self.rows);
        STEPS
            .iter()
            .enumerate()
            .map(|(k, &(name, what))| (name, what, rows.iter().map(|r| r[k]).collect()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_kept_only_when_on_and_whole() {
        let mut s = LaunchSteps::default();
        for k in 0..5 {
            s.mark(k);
        }
        s.finish();
        assert!(
            s.take().iter().all(|(_, _, v)| v.is_empty()),
            "off: nothing kept"
        );
        s.set(true);
        for k in 0..5 {
            s.mark(k);
        }
        s.finish();
        s.mark(0); // an unfinished launch (a submission that is not a launch) is dropped
        s.finish();
        let t = s.take();
        assert_eq!(t.len(), 4);
        assert!(t.iter().all(|(_, _, v)| v.len() == 1 && v[0] >= 0.0));
        assert!(s.take().iter().all(|(_, _, v)| v.is_empty()), "take clears");
    }
}
