//! convoxc's compiler: convox.yml (and rack params) → validated typed IR → CloudFormation.
//!
//! Architecture invariant: this crate does no I/O of its own (it is handed text), reads no
//! clock, uses no network and no AWS SDK. The same input always gives the same output.

pub mod backend;
pub mod cidr;
pub mod cron;
pub mod cx;
pub mod decode;
pub mod diagnostic;
pub mod interpolate;
pub mod ir;
pub mod keys;
pub mod names;
pub mod nlb;
pub mod rack;
pub mod rack_resources;
pub mod resources;
pub mod schema;
pub mod source;
pub mod validate;
pub mod yaml;

mod load;

pub use diagnostic::{Code, Diagnostic, Located, Report, Severity};
pub use load::{Input, Loaded, Locations, load, parse_env_file};
pub use source::{SourceFile, SourceId, Sources, Span};
