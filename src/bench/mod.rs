//! Benchmarks: bandwidth, matmul, latency, decode; timing, tables and JSON.
