//! The GPU backends behind one trait: cuda (driver API) and nv (hcq).
