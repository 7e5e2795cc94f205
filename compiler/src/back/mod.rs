//! The back end: IR → CloudFormation. Logic (names, priorities, URLs, hashes, environment lists)
//! lives in the view models here, one file per stack kind, and reaches the minijinja templates in
//! `templates/` as plain values; the templates only lay out CloudFormation. Every rendered
//! fragment is parsed strictly (no duplicate keys) and each stack is written as JSON with sorted
//! keys, so output is byte-identical across runs. It names the IR, never the front end.

mod app;
mod build;
pub mod canon;
pub mod constraints;
pub mod eval;
mod group;
pub mod imports;
pub mod lifecycle;
pub mod limits;
mod options;
mod outline;
pub mod rack;
pub mod rack_resource;
mod render;
mod resource;
mod service;
mod template;
mod timer;
mod values;

pub use build::{GROUP_SIZE, build, check};
pub use options::{BuildOptions, Keep};
pub use render::RenderError;
pub use template::{Bundle, KEY_PREFIX, Template};
