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

/// What the server does with a document's new text: compile it (against its rack params) and
/// put its diagnostics in LSP terms, by file. (`cli/benches/lsp.rs` times it.)
pub fn check(
    uri: lsp_types::Uri,
    text: String,
    rack_params: Option<(std::path::PathBuf, String)>,
) -> (document::Document, Vec<(lsp_types::Uri, Vec<lsp_types::Diagnostic>)>) {
    let doc = document::Document::new(uri, text, rack_params);
    let diagnostics = doc.diagnostics();
    (doc, diagnostics)
}

/// Serve over stdio until the client says `exit`.
pub fn run() -> Result<(), String> {
    let (connection, io) = lsp_server::Connection::stdio();
    let caps = serde_json::to_value(server::capabilities()).map_err(|e| e.to_string())?;
    let init = connection.initialize(caps).map_err(|e| e.to_string())?;
    server::Server::new(connection, &init).run()?;
    io.join().map_err(|e| e.to_string())
}
