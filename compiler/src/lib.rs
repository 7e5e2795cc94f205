//! convoxc's compiler: convox.yml (and rack params) → validated typed IR → CloudFormation.
//!
//! Three layers with one-way dependencies (ARCHITECTURE.md): `front` (source text → IR and
//! diagnostics), `ir` (the IR and the facts both sides read: parameter and option tables, the
//! naming rules), `back` (IR → CloudFormation). `front` and `back` never name each other; `ir`
//! names neither; `compile` runs one after the other. `diff` (what a change of templates will do)
//! stands beside `back` and may read its bundles. `source`, `diagnostic` and `names` are
//! the ground all three stand on.
//!
//! Architecture invariant: this crate does no I/O of its own (it is handed text), reads no
//! clock, uses no network and no AWS SDK. The same input always gives the same output.

pub mod back;
mod compile;
pub mod diagnostic;
pub mod diff;
pub mod front;
pub mod ir;
pub mod names;
pub mod source;

pub use compile::compile;
pub use diagnostic::{Code, Diagnostic, Located, Locations, Report, Severity};
pub use front::{Input, Loaded, load, load_cached, parse_env_file};
pub use source::{SourceFile, SourceId, Sources, Span};
