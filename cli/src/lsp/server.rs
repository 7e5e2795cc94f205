//! The server loop: `initialize`, then requests and notifications until `shutdown` and `exit`.
//! Documents are synced whole (each change sends the text); every open or change is compiled
//! at once and its diagnostics published. A request that fails answers with an error; the
//! server keeps running.

use super::document::{Document, check};
use super::features;
use super::files::{path_of, rack_params_for};
use convoxc_compiler::front::yaml_chunks::ParseCache;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeConfiguration, DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    CodeActionRequest, Completion, DocumentSymbolRequest, GotoDefinition, HoverRequest, References, Request as _,
};
use lsp_types::{
    CodeActionProviderCapability, CompletionOptions, HoverProviderCapability, OneOf, PublishDiagnosticsParams,
    ServerCapabilities, TextDocumentSyncCapability, TextDocumentSyncKind, Uri,
};
use serde_json::Value;
use std::collections::HashMap;

pub struct Server {
    connection: Connection,
    /// By URI.
    documents: HashMap<String, Document>,
    /// Each open document's parsed pieces, by URI.
    caches: HashMap<String, ParseCache>,
    /// `rackParams` from the client's initialization options or settings: a path, relative to
    /// each manifest's folder.
    rack_params: Option<String>,
}

/// Serve over stdio until the client says `exit`.
pub fn run() -> Result<(), String> {
    let (connection, io) = lsp_server::Connection::stdio();
    let caps = serde_json::to_value(capabilities()).map_err(|e| e.to_string())?;
    let init = connection.initialize(caps).map_err(|e| e.to_string())?;
    Server::new(connection, &init).run()?;
    io.join().map_err(|e| e.to_string())
}

fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![" ".into(), "-".into(), ":".into()]),
            ..Default::default()
        }),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        ..Default::default()
    }
}

/// The messages without the changes that a later change of the same document replaces before
/// any request comes between them.
fn superseded(batch: Vec<Message>) -> Vec<Message> {
    let changed = |m: &Message| match m {
        Message::Notification(n) if n.method == DidChangeTextDocument::METHOD => n
            .params
            .pointer("/textDocument/uri")
            .and_then(Value::as_str)
            .map(str::to_string),
        _ => None,
    };
    let mut keep = vec![true; batch.len()];
    for i in 0..batch.len() {
        let Some(uri) = changed(&batch[i]) else { continue };
        for later in &batch[i + 1..] {
            if matches!(later, Message::Request(_)) {
                break;
            }
            if changed(later).as_deref() == Some(uri.as_str()) {
                keep[i] = false;
                break;
            }
        }
    }
    batch
        .into_iter()
        .zip(keep)
        .filter_map(|(m, k)| k.then_some(m))
        .collect()
}

/// `rackParams` in initialization options or settings (`{"convoxc": {"rackParams": …}}` too).
fn rack_params_setting(v: &Value) -> Option<String> {
    v.get("rackParams")
        .or_else(|| v.pointer("/convoxc/rackParams"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

impl Server {
    pub fn new(connection: Connection, init: &Value) -> Self {
        Server {
            connection,
            documents: HashMap::new(),
            caches: HashMap::new(),
            rack_params: init.get("initializationOptions").and_then(rack_params_setting),
        }
    }

    pub fn run(mut self) -> Result<(), String> {
        while let Ok(first) = self.connection.receiver.recv() {
            // what has arrived meanwhile: a change that a later change of the same document
            // replaces before any request is never compiled (typing outruns a large file)
            let mut batch = vec![first];
            while let Ok(m) = self.connection.receiver.try_recv() {
                batch.push(m);
            }
            for message in superseded(batch) {
                if self.handle(message)? {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// One message; true once the client has shut the server down.
    fn handle(&mut self, message: Message) -> Result<bool, String> {
        {
            match message {
                Message::Request(req) => {
                    if self.connection.handle_shutdown(&req).map_err(|e| e.to_string())? {
                        return Ok(true);
                    }
                    let response = self.request(&req);
                    self.send(response.into());
                }
                Message::Notification(n) => self.notification(n),
                Message::Response(_) => {}
            }
        }
        Ok(false)
    }

    fn send(&self, m: Message) {
        let _ = self.connection.sender.send(m);
    }

    fn open(&mut self, uri: Uri, text: String) {
        let rack_params = path_of(&uri)
            .and_then(|p| rack_params_for(&p, self.rack_params.as_deref()))
            .and_then(|p| std::fs::read_to_string(&p).ok().map(|t| (p, t)));
        let cache = self.caches.entry(uri.as_str().to_string()).or_default();
        let (doc, published) = check(uri.clone(), text, rack_params, cache);
        for (uri, diagnostics) in published {
            let params = PublishDiagnosticsParams {
                uri,
                diagnostics,
                version: None,
            };
            self.send(Notification::new(PublishDiagnostics::METHOD.into(), params).into());
        }
        self.documents.insert(uri.as_str().to_string(), doc);
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(n.params) {
                    self.open(p.text_document.uri, p.text_document.text);
                }
            }
            DidChangeTextDocument::METHOD => {
                if let Ok(mut p) = serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(n.params)
                    && let Some(change) = p.content_changes.pop()
                {
                    self.open(p.text_document.uri, change.text);
                }
            }
            DidSaveTextDocument::METHOD => {
                // the rack-params file may have changed beside it: check again
                if let Ok(p) = serde_json::from_value::<lsp_types::DidSaveTextDocumentParams>(n.params)
                    && let Some(text) = self.documents.get(p.text_document.uri.as_str()).map(|d| d.text.clone())
                {
                    self.open(p.text_document.uri, text);
                }
            }
            DidCloseTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(n.params) {
                    self.documents.remove(p.text_document.uri.as_str());
                    self.caches.remove(p.text_document.uri.as_str());
                    let params = PublishDiagnosticsParams {
                        uri: p.text_document.uri,
                        diagnostics: Vec::new(),
                        version: None,
                    };
                    self.send(Notification::new(PublishDiagnostics::METHOD.into(), params).into());
                }
            }
            DidChangeConfiguration::METHOD => {
                if let Some(r) = n.params.get("settings").and_then(rack_params_setting) {
                    self.rack_params = Some(r);
                    let open: Vec<(Uri, String)> = self
                        .documents
                        .values()
                        .map(|d| (d.uri.clone(), d.text.clone()))
                        .collect();
                    for (uri, text) in open {
                        self.open(uri, text);
                    }
                }
            }
            _ => {}
        }
    }

    fn request(&self, req: &Request) -> Response {
        let id = req.id.clone();
        let params = req.params.clone();
        let result = match req.method.as_str() {
            HoverRequest::METHOD => self.at(params, |d, o, _| serde_json::to_value(features::hover(d, o))),
            Completion::METHOD => self.at(params, |d, o, _| serde_json::to_value(features::completion(d, o))),
            GotoDefinition::METHOD => self.at(params, |d, o, _| serde_json::to_value(features::definition(d, o))),
            References::METHOD => self.at(params, |d, o, p| {
                let with = p
                    .pointer("/context/includeDeclaration")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                serde_json::to_value(features::references(d, o, with))
            }),
            DocumentSymbolRequest::METHOD => self.document(params, |d, _| serde_json::to_value(features::symbols(d))),
            CodeActionRequest::METHOD => self.document(params, |d, p| {
                let range: lsp_types::Range =
                    serde_json::from_value(p.get("range").cloned().unwrap_or_default()).unwrap_or_default();
                let (start, end) = (d.index.offset(&d.text, range.start), d.index.offset(&d.text, range.end));
                serde_json::to_value(features::actions(d, start, end))
            }),
            _ => {
                return Response::new_err(
                    id,
                    ErrorCode::MethodNotFound as i32,
                    format!("no method {}", req.method),
                );
            }
        };
        match result {
            Ok(v) => Response::new_ok(id, v),
            Err(e) => Response::new_err(id, ErrorCode::InvalidParams as i32, e),
        }
    }

    /// A request about an open document (`textDocument.uri`).
    fn document(
        &self,
        params: Value,
        f: impl Fn(&Document, &Value) -> serde_json::Result<Value>,
    ) -> Result<Value, String> {
        let uri: Uri = serde_json::from_value(params.pointer("/textDocument/uri").cloned().unwrap_or_default())
            .map_err(|e| e.to_string())?;
        match self.documents.get(uri.as_str()) {
            Some(d) => f(d, &params).map_err(|e| e.to_string()),
            None => Ok(Value::Null),
        }
    }

    /// A request about a position in an open document.
    fn at(
        &self,
        params: Value,
        f: impl Fn(&Document, usize, &Value) -> serde_json::Result<Value>,
    ) -> Result<Value, String> {
        self.document(params, |d, p| {
            let pos: lsp_types::Position =
                serde_json::from_value(p.get("position").cloned().unwrap_or_default()).unwrap_or_default();
            f(d, d.index.offset(&d.text, pos), p)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_replaced_before_a_request_is_dropped() {
        let change = |uri: &str, text: &str| {
            Message::Notification(Notification::new(
                DidChangeTextDocument::METHOD.into(),
                serde_json::json!({"textDocument": {"uri": uri, "version": 1}, "contentChanges": [{"text": text}]}),
            ))
        };
        let hover = Message::Request(Request::new(
            1.into(),
            HoverRequest::METHOD.into(),
            serde_json::json!({}),
        ));
        let kept = superseded(vec![
            change("file:///a", "1"),
            change("file:///b", "x"),
            change("file:///a", "2"),
            hover,
            change("file:///a", "3"),
        ]);
        let texts: Vec<String> = kept
            .iter()
            .map(|m| match m {
                Message::Notification(n) => n.params.pointer("/contentChanges/0/text").unwrap().to_string(),
                _ => "request".into(),
            })
            .collect();
        assert_eq!(texts, ["\"x\"", "\"2\"", "request", "\"3\""]);
    }
}
