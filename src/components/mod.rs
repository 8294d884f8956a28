//! The panel's parts, one component per file.

pub mod panel;
