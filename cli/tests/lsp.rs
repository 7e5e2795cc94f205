//! `convoxc lsp` driven over stdio as an editor drives it: initialize, didOpen, didChange,
//! hover, completion, definition, references, documentSymbol, codeAction, shutdown, exit —
//! asserting the exact answers.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

struct Client {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next: i64,
    /// Notifications received while waiting for responses.
    notifications: Vec<Value>,
}

impl Client {
    fn start(init: Value) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_convoxc"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut c = Client {
            child,
            stdin,
            stdout,
            next: 1,
            notifications: Vec::new(),
        };
        let caps = c.request(
            "initialize",
            json!({"processId": null, "rootUri": null, "capabilities": {}, "initializationOptions": init}),
        );
        assert_eq!(caps["capabilities"]["textDocumentSync"], json!(1), "{caps}");
        c.notify("initialized", json!({}));
        c
    }

    fn send(&mut self, v: Value) {
        let body = v.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn read(&mut self) -> Value {
        let mut len = 0;
        loop {
            let mut line = String::new();
            assert!(
                self.stdout.read_line(&mut line).unwrap() > 0,
                "the server closed stdout"
            );
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(n) = line.strip_prefix("Content-Length: ") {
                len = n.parse().unwrap();
            }
        }
        let mut body = vec![0; len];
        self.stdout.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next;
        self.next += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let m = self.read();
            if m.get("id") == Some(&json!(id)) {
                assert!(m.get("error").is_none(), "{method}: {m}");
                return m["result"].clone();
            }
            self.notifications.push(m);
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        loop {
            let pos = self
                .notifications
                .iter()
                .position(|n| n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri);
            if let Some(i) = pos {
                let n = self.notifications.remove(i);
                return n["params"]["diagnostics"].as_array().unwrap().clone();
            }
            let m = self.read();
            self.notifications.push(m);
        }
    }

    fn stop(mut self) {
        let r = self.request("shutdown", Value::Null);
        assert_eq!(r, Value::Null);
        self.notify("exit", Value::Null);
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status}");
    }
}

/// (code, severity, start line, start column, end line, end column, first line of the message)
fn brief(d: &Value) -> (String, i64, i64, i64, i64, i64, String) {
    let r = &d["range"];
    (
        d["code"].as_str().unwrap().to_string(),
        d["severity"].as_i64().unwrap(),
        r["start"]["line"].as_i64().unwrap(),
        r["start"]["character"].as_i64().unwrap(),
        r["end"]["line"].as_i64().unwrap(),
        r["end"]["character"].as_i64().unwrap(),
        d["message"].as_str().unwrap().lines().next().unwrap().to_string(),
    )
}

fn pos(line: u32, character: u32) -> Value {
    json!({"line": line, "character": character})
}

const MANIFEST: &str = "\
services:
  web:
    image: nginx
    port: 3000
    links:
      - wrker
  worker:
    image: busybox
    resources:
      - database
  api: {image: \"😀${TAG}\", prot: 80}
resources:
  database:
    type: postgres
timers:
  nightly:
    schedule: \"0 3 * * *\"
    command: bin/nightly
    service: worker
";

#[test]
fn an_editor_session() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("convox.yml");
    std::fs::write(&path, MANIFEST).unwrap();
    let uri = format!("file://{}", path.display());
    let mut c = Client::start(json!({}));
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": MANIFEST}}),
    );
    // the compiler's diagnostics, where `validate` puts them: through `${TAG}` (unset: given at
    // deploy) and past an emoji (two UTF-16 units)
    let found: Vec<_> = c.diagnostics(&uri).iter().map(brief).collect();
    let d = |code: &str, sev, l0, c0, l1, c1, m: &str| (code.to_string(), sev, l0, c0, l1, c1, m.to_string());
    assert_eq!(
        found,
        [
            d("unknown-reference", 1, 5, 8, 5, 13, "no such service: wrker"),
            d(
                "unknown-key",
                1,
                10,
                27,
                10,
                31,
                "unknown key `prot` in services.<name>"
            ),
            d(
                "secure-default",
                3,
                12,
                2,
                12,
                10,
                "a new database is encrypted and requires TLS: its clients must connect with TLS (libpq's default \
                 sslmode=prefer does; node-postgres needs `ssl`, mysql clients --ssl-mode=REQUIRED)"
            ),
            d(
                "engine-version",
                2,
                12,
                2,
                12,
                10,
                "postgres 12, convox's default version, is past RDS standard support and runs in paid RDS Extended Support"
            ),
        ]
    );
    let doc = json!({"uri": uri});
    let range = |l0: u32, c0: u32, l1: u32, c1: u32| json!({"start": pos(l0, c0), "end": pos(l1, c1)});

    let h = c.request(
        "textDocument/hover",
        json!({"textDocument": doc, "position": pos(3, 5)}),
    );
    assert_eq!(h["range"], range(3, 4, 3, 8));
    let text = h["contents"]["value"].as_str().unwrap();
    assert!(
        text.starts_with(
            "**services.web.port**\n\nThe container port served through the rack's Application Load Balancer"
        ),
        "{text}"
    );
    let h = c.request(
        "textDocument/hover",
        json!({"textDocument": doc, "position": pos(9, 10)}),
    );
    assert_eq!(
        h,
        json!({"contents": {"kind": "markdown", "value": "**database**: the resource (postgres) defined on line 13"},
               "range": range(9, 8, 9, 16)})
    );

    let at = |r: Value| json!({"uri": uri, "range": r});
    let def = c.request(
        "textDocument/definition",
        json!({"textDocument": doc, "position": pos(18, 14)}),
    );
    assert_eq!(def, at(range(6, 2, 6, 8)));
    let refs = c.request(
        "textDocument/references",
        json!({"textDocument": doc, "position": pos(12, 4), "context": {"includeDeclaration": true}}),
    );
    assert_eq!(refs, json!([at(range(9, 8, 9, 16)), at(range(12, 2, 12, 10))]));

    let symbols = c.request("textDocument/documentSymbol", json!({"textDocument": doc}));
    let listed: Vec<(String, String, Value)> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().into(),
                s["detail"].as_str().unwrap().into(),
                s["range"].clone(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("web".into(), "service".into(), range(1, 2, 5, 13)),
            ("worker".into(), "service".into(), range(6, 2, 9, 16)),
            ("api".into(), "service".into(), range(10, 2, 10, 36)),
            ("database".into(), "resource".into(), range(12, 2, 13, 18)),
            ("nightly".into(), "timer".into(), range(15, 2, 18, 19)),
        ]
    );

    let actions = c.request(
        "textDocument/codeAction",
        json!({"textDocument": doc, "range": range(5, 8, 5, 13), "context": {"diagnostics": []}}),
    );
    assert_eq!(actions.as_array().unwrap().len(), 1, "{actions}");
    assert_eq!(actions[0]["title"], "Change `wrker` to `worker`");
    assert_eq!(actions[0]["kind"], "quickfix");
    assert_eq!(
        actions[0]["edit"]["changes"][uri.as_str()],
        json!([{"newText": "worker", "range": range(5, 8, 5, 13)}])
    );

    // typing a new key in web: the file does not parse for a moment, completion still works
    let typing = MANIFEST.replace("    port: 3000\n", "    port: 3000\n    he\n");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": typing}]}),
    );
    let found: Vec<_> = c.diagnostics(&uri).iter().map(brief).collect();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "yaml-syntax");
    assert_eq!((found[0].2, found[0].3), (4, 4));
    // the problem in words, with none of the parser's own snippet
    assert_eq!(found[0].6, "invalid YAML: simple key expected ':'");
    let labels = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|i| i["label"].as_str().unwrap().to_string())
            .collect()
    };
    let keys = c.request(
        "textDocument/completion",
        json!({"textDocument": doc, "position": pos(4, 6)}),
    );
    let keys = labels(&keys);
    assert!(
        keys.contains(&"health".to_string()) && keys.contains(&"scale".to_string()),
        "{keys:?}"
    );
    // those written already are not offered again
    assert!(
        !keys.iter().any(|k| ["image", "port", "links"].contains(&k.as_str())),
        "{keys:?}"
    );
    let links = c.request(
        "textDocument/completion",
        json!({"textDocument": doc, "position": pos(6, 8)}),
    );
    assert_eq!(labels(&links), ["worker", "api"]);
    let types = c.request(
        "textDocument/completion",
        json!({"textDocument": doc, "position": pos(14, 10)}),
    );
    assert_eq!(
        labels(&types),
        ["efs", "mariadb", "memcached", "mysql", "postgres", "redis", "valkey"]
    );

    // the fix typed in: the reference diagnostic goes
    let fixed = MANIFEST.replace("wrker", "worker");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": fixed}]}),
    );
    let codes: Vec<String> = c.diagnostics(&uri).iter().map(|d| brief(d).0).collect();
    assert_eq!(
        codes,
        ["unknown-reference", "unknown-key", "secure-default", "engine-version"]
    );
    assert!(c.notifications.is_empty() || !c.notifications.iter().any(|n| n["params"]["uri"] == uri));
    // an option name of the resource's type
    let options = fixed.replace("    type: postgres\n", "    type: postgres\n    options:\n      st\n");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 4}, "contentChanges": [{"text": options}]}),
    );
    c.diagnostics(&uri);
    let o = c.request(
        "textDocument/completion",
        json!({"textDocument": doc, "position": pos(15, 8)}),
    );
    assert!(labels(&o).contains(&"storage".to_string()), "{:?}", labels(&o));
    c.stop();
}

/// The rack params beside the manifest (`convox.rack.yml`) are checked with it: the app against
/// the rack, and the params file's own problems published on that file.
#[test]
fn rack_params_beside_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("convox.yml");
    let text = "services:\n  web:\n    image: nginx\n    port: 3000\n";
    std::fs::write(&path, text).unwrap();
    std::fs::write(dir.path().join("convox.rack.yml"), "InternalOnly: Yes\n").unwrap();
    let uri = format!("file://{}", path.display());
    let params_uri = format!("file://{}", dir.path().join("convox.rack.yml").display());
    let mut c = Client::start(json!({}));
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}),
    );
    let app: Vec<_> = c.diagnostics(&uri).iter().map(brief).collect();
    assert_eq!(
        app,
        [(
            "rack-support".to_string(),
            1,
            1,
            2,
            1,
            5,
            "rack only supports internal services".to_string()
        )]
    );
    assert_eq!(c.diagnostics(&params_uri), Vec::<Value>::new());
    // a typo in the params file, saved: said on that file (and the app is checked without them)
    std::fs::write(dir.path().join("convox.rack.yml"), "InternalOnly: Yes\nInteral: Yes\n").unwrap();
    c.notify("textDocument/didSave", json!({"textDocument": {"uri": uri}}));
    assert_eq!(c.diagnostics(&uri), Vec::<Value>::new());
    let params: Vec<_> = c.diagnostics(&params_uri).iter().map(brief).collect();
    assert_eq!(
        params,
        [(
            "rack-param".to_string(),
            1,
            1,
            0,
            1,
            7,
            "the rack has no parameter `Interal`".to_string()
        )]
    );
    c.stop();
}

/// A value that comes from `${VAR}` is pointed at where it is written (the reference), as
/// `validate` points at it: a `supplied-value` note, since the rack supplies it at deploy.
#[test]
fn an_interpolated_value_is_pointed_at_its_reference() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("convox.yml");
    let text = "services:\n  web:\n    image: nginx\n    port: ${PORT}\n";
    std::fs::write(&path, text).unwrap();
    let uri = format!("file://{}", path.display());
    let mut c = Client::start(json!({}));
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}),
    );
    let found: Vec<_> = c.diagnostics(&uri).iter().map(brief).collect();
    assert_eq!(
        found,
        [(
            "supplied-value".to_string(),
            3,
            3,
            10,
            3,
            17,
            "the value comes from ${PORT}, which the rack supplies at deploy: it is checked then".to_string()
        )]
    );
    c.stop();
}
