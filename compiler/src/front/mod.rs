//! The front end: source text → IR and diagnostics. convox's `${VAR}` interpolation (with an
//! offset map back to the file), YAML with spans, decoding each section of the manifest with
//! convox's defaults, the checks across sections, rack params, rack-resource options and the
//! JSON Schemas. It names the IR, never the back end.

pub mod check;
pub mod cidr;
pub mod cx;
pub mod decode;
pub mod interpolate;
pub mod keys;
mod load;
pub mod rack_params;
pub mod rack_resource;
pub mod schema;
pub mod yaml;
pub mod yaml_chunks;

pub use load::{Input, Loaded, load, load_cached, parse_env_file};
