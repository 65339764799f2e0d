//! The CPU reference decoder: the f32 oracle every GPU kernel is checked against.
