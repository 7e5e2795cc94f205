//! The language server, `convoxc lsp`: thin handlers over the compiler. `server` (the loop over
//! stdio, lsp-server's transport), `document` (an open file, compiled; diagnostics in LSP terms),
//! `position` (UTF-16 columns), `context` (where the cursor is, from indentation), `schema` (the
//! schema's texts), `features` (hover, completion, definition, references, symbols, code
//! actions), `files` (URIs, the rack-params file).

mod context;
mod document;
mod features;
mod files;
mod position;
mod schema;
mod server;

#[allow(unused_imports)] // for the benchmark (cli/benches/lsp.rs), which includes this module
pub use document::check;
pub use server::run;
