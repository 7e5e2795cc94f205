//! A real editor on `convoxc lsp`: Neovim, headless (Debian's `neovim` package, which `.ci/run`
//! installs), opens a convox.yml with its built-in LSP client started on the binary, waits for
//! the diagnostics the server publishes, asks for a completion, and writes what it got to a file.

use std::process::Command;

const MANIFEST: &str = "\
services:
  web:
    image: nginx
    port: 3000
    links:
      - wrker
  worker:
    image: busybox
    scael: 2
resources:
  database:
    type: postgres
timers:
  nightly:
    schedule: \"0 3 * * *\"
    command: bin/nightly
    service: 
";

/// Neovim 0.7's client API (Debian bookworm's): start_client + buf_attach_client.
const INIT: &str = r#"
local file, out = os.getenv("CONVOXC_FILE"), os.getenv("CONVOXC_OUT")
local client = vim.lsp.start_client({
  name = "convoxc",
  cmd = { os.getenv("CONVOXC_BIN"), "lsp" },
  root_dir = vim.fn.fnamemodify(file, ":h"),
})
vim.cmd("edit " .. file)
vim.lsp.buf_attach_client(0, client)
local lines = {}
local got = vim.wait(20000, function() return #vim.diagnostic.get(0) >= 2 end, 50)
if not got then table.insert(lines, "no diagnostics in time") end
local diags = vim.diagnostic.get(0)
table.sort(diags, function(a, b)
  if a.lnum ~= b.lnum then return a.lnum < b.lnum end
  if a.col ~= b.col then return a.col < b.col end
  return a.severity < b.severity
end)
for _, d in ipairs(diags) do
  table.insert(lines, string.format("diagnostic %d:%d-%d severity=%d %s: %s", d.lnum, d.col, d.end_col, d.severity,
    d.code or "", (d.message:gsub("\n.*", ""))))
end
-- the timer's `service: ` value (line 16, after the space)
local params = { textDocument = vim.lsp.util.make_text_document_params(), position = { line = 16, character = 13 } }
local res = vim.lsp.buf_request_sync(0, "textDocument/completion", params, 10000)
for _, r in pairs(res or {}) do
  for _, item in ipairs(r.result or {}) do table.insert(lines, "completion " .. item.label) end
end
vim.fn.writefile(lines, out)
vim.cmd("qa!")
"#;

#[test]
fn neovim_shows_the_diagnostics_and_completes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("convox.yml");
    std::fs::write(&file, MANIFEST).unwrap();
    let init = dir.path().join("init.lua");
    std::fs::write(&init, INIT).unwrap();
    let out = dir.path().join("seen.txt");
    let status = Command::new("nvim")
        .args(["--headless", "-n", "-i", "NONE", "-u"])
        .arg(&init)
        .env("CONVOXC_BIN", env!("CARGO_BIN_EXE_convoxc"))
        .env("CONVOXC_FILE", &file)
        .env("CONVOXC_OUT", &out)
        .env("XDG_CONFIG_HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path())
        .env("XDG_STATE_HOME", dir.path())
        .status()
        .expect("nvim runs (apt-get install neovim; .ci/run installs it)");
    assert!(status.success(), "nvim: {status}");
    let seen = std::fs::read_to_string(&out).expect("the editor wrote what it saw");
    assert_eq!(
        seen.lines().collect::<Vec<_>>(),
        [
            "diagnostic 5:8-13 severity=1 unknown-reference: no such service: wrker",
            "diagnostic 8:4-9 severity=1 unknown-key: unknown key `scael` in services.<name>",
            "diagnostic 10:2-10 severity=2 engine-version: postgres 12, convox's default version, is past RDS \
             standard support and runs in paid RDS Extended Support",
            "diagnostic 10:2-10 severity=3 secure-default: a new database is encrypted and requires TLS: its clients \
             must connect with TLS (libpq's default sslmode=prefer does; node-postgres needs `ssl`, mysql clients \
             --ssl-mode=REQUIRED)",
            "diagnostic 16:13-13 severity=1 wrong-type: timer `nightly` has an empty `service`",
            "completion web",
            "completion worker",
        ],
        "{seen}"
    );
}
