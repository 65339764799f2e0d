//! Benchmarks: bandwidth, matmul, latency; the selftest; CPU references; timing, tables and JSON.

pub mod bank0;
pub mod bw;
pub mod kernels;
pub mod latency;
pub mod matmul;
pub mod reference;
pub mod report;
pub mod rng;
pub mod selftest;
pub mod table;
pub mod timing;
