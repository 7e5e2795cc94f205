//! Decoding: the spanned YAML tree of a manifest → IR, one file per section, with convox's
//! defaults (reference §1.6). Every problem is a diagnostic; decoding carries on after one.

mod app;
pub mod cron;
mod domains;
mod environment;
mod health;
pub mod nlb;
mod ports;
pub mod resource_options;
mod resources;
mod scale;
mod services;
mod timers;

pub use app::{Decoded, decode};
pub use environment::env_list;
