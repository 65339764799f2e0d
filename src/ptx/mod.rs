//! The hand-written PTX kernels (embedded from ptx/) and the toolchain that turns them into cubins.
