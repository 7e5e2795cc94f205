//! The IR: what will be deployed, every default resolved, deterministic to serialise; and the
//! facts both the front end and the back end read (the rack-param and resource-option tables,
//! the naming rules). It names neither side.

mod app;
pub mod aws;
pub mod naming;
pub mod rack;
pub mod rack_resource;
mod rack_table;
pub mod resource_options;

pub use app::*;
pub use rack::RackParams;
