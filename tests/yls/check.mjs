#!/usr/bin/env node
// Drives yaml-language-server (the version pinned in package.json) over stdio with
// schema/convox.schema.json, as VS Code and Neovim users get it, and prints one JSON line per
// file on stdout:
//
//   {"file": PATH, "errors": ["LINE:COL message", ...], "warnings": N}
//
// `errors` are the diagnostics of severity 1 (Error); `warnings` counts the others (Warning,
// Information, Hint). yaml-language-server 1.x turns every Warning it computes into an Error
// before publishing, so a schema mark meant as a warning shows as an error in the editor.
//
// Usage: node tests/yls/check.mjs [--schema FILE] FILE_OR_DIR...
//   (a directory stands for its *.yml and *.yaml files, sorted)

import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const PER_FILE_TIMEOUT_MS = 60_000;
const PARALLEL = 8;
const OVERALL_TIMEOUT_MS = 10 * 60_000;

function die(message) {
  process.stderr.write(`check.mjs: ${message}\n`);
  process.exit(2);
}

// ---- arguments ---------------------------------------------------------------------------------

let schemaPath = resolve(here, '../../schema/convox.schema.json');
const inputs = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--schema') {
    schemaPath = resolve(argv[++i] ?? die('--schema needs a file'));
  } else {
    inputs.push(resolve(argv[i]));
  }
}
if (inputs.length === 0) die('no files given');
const files = inputs.flatMap((p) =>
  statSync(p).isDirectory()
    ? readdirSync(p)
        .filter((n) => /\.ya?ml$/.test(n))
        .sort()
        .map((n) => join(p, n))
    : [p],
);
const schemaUri = pathToFileURL(schemaPath).href;

// ---- LSP over stdio ----------------------------------------------------------------------------

const serverBin = join(here, 'node_modules/yaml-language-server/bin/yaml-language-server');
const server = spawn(process.execPath, [serverBin, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
let serverStderr = '';
server.stderr.on('data', (d) => (serverStderr += d));
server.on('exit', (code, signal) => {
  if (!shuttingDown) die(`yaml-language-server exited (${code ?? signal}):\n${serverStderr}`);
});
let shuttingDown = false;

function send(message) {
  const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...message }), 'utf8');
  server.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
  server.stdin.write(body);
}

let nextId = 1;
const pending = new Map(); // request id -> resolve
function request(method, params) {
  const id = nextId++;
  send({ id, method, params });
  return new Promise((ok, fail) => pending.set(id, { ok, fail }));
}
const notify = (method, params) => send({ method, params });

// settings the server pulls with workspace/configuration, by section
const settings = {
  yaml: {
    validate: true,
    hover: false,
    completion: false,
    format: { enable: false },
    schemaStore: { enable: false }, // no network: only our schema
    kubernetesCRDStore: { enable: false },
    schemas: { [schemaUri]: ['*.yml', '*.yaml'] },
  },
  http: { proxy: '', proxyStrictSSL: false },
  '[yaml]': {},
  editor: {},
};

const diagnosticWaiters = new Map(); // uri -> resolve(diagnostics)
function onMessage(m) {
  if (m.id !== undefined && m.method === undefined) {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (p) m.error ? p.fail(new Error(JSON.stringify(m.error))) : p.ok(m.result);
    return;
  }
  if (m.method === 'textDocument/publishDiagnostics') {
    const w = diagnosticWaiters.get(m.params.uri);
    if (w) {
      diagnosticWaiters.delete(m.params.uri);
      w(m.params.diagnostics);
    }
    return;
  }
  if (m.id !== undefined) {
    // a request from the server
    let result = null;
    if (m.method === 'workspace/configuration') {
      result = (m.params.items ?? []).map((item) => settings[item.section] ?? null);
    }
    send({ id: m.id, result });
  }
}

let buffer = Buffer.alloc(0);
server.stdout.on('data', (chunk) => {
  buffer = Buffer.concat([buffer, chunk]);
  for (;;) {
    const headerEnd = buffer.indexOf('\r\n\r\n');
    if (headerEnd < 0) return;
    const header = buffer.subarray(0, headerEnd).toString('ascii');
    const length = Number(/Content-Length: *(\d+)/i.exec(header)?.[1]);
    if (!Number.isFinite(length)) die(`bad LSP header: ${header}`);
    if (buffer.length < headerEnd + 4 + length) return;
    const body = buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8');
    buffer = buffer.subarray(headerEnd + 4 + length);
    onMessage(JSON.parse(body));
  }
});

let version = 0;
/** Open a document, wait for its first diagnostics, close it. */
function diagnose(uri, text) {
  const got = new Promise((ok, fail) => {
    const timer = setTimeout(() => {
      diagnosticWaiters.delete(uri);
      fail(new Error(`no diagnostics for ${uri} within ${PER_FILE_TIMEOUT_MS} ms`));
    }, PER_FILE_TIMEOUT_MS);
    diagnosticWaiters.set(uri, (d) => {
      clearTimeout(timer);
      ok(d);
    });
  });
  notify('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: ++version, text } });
  return got.finally(() => notify('textDocument/didClose', { textDocument: { uri } }));
}

// ---- run ---------------------------------------------------------------------------------------

setTimeout(() => {
  server.kill();
  die(`no answer within ${OVERALL_TIMEOUT_MS / 1000} s:\n${serverStderr}`);
}, OVERALL_TIMEOUT_MS).unref();

await request('initialize', {
  processId: process.pid,
  rootUri: null,
  workspaceFolders: null,
  capabilities: {
    workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: false } },
    textDocument: { publishDiagnostics: { relatedInformation: false } },
  },
  initializationOptions: {},
});
notify('initialized', {});
notify('workspace/didChangeConfiguration', { settings: {} });

// The settings are applied asynchronously: wait until a probe document gets the schema's
// verdict on an unknown top-level key (proof that the schema is associated and loaded).
const probeUri = pathToFileURL(join(here, 'probe-convox.yml')).href;
for (let attempt = 0; ; attempt++) {
  const d = await diagnose(probeUri, 'convoxc-yls-probe: 1\n');
  if (d.some((x) => /convoxc-yls-probe/.test(x.message))) break;
  if (attempt >= 100) die(`the schema was never applied to the probe document: ${JSON.stringify(d)}`);
  await new Promise((r) => setTimeout(r, 100));
}

const results = new Array(files.length);
let next = 0;
async function worker() {
  while (next < files.length) {
    const i = next++;
    const file = files[i];
    const diagnostics = await diagnose(pathToFileURL(file).href, readFileSync(file, 'utf8'));
    const errors = diagnostics
      .filter((d) => (d.severity ?? 1) === 1)
      .map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1} ${d.message}`);
    results[i] = { file, errors, warnings: diagnostics.length - errors.length };
  }
}
await Promise.all(Array.from({ length: PARALLEL }, worker));
for (const r of results) process.stdout.write(JSON.stringify(r) + '\n');

shuttingDown = true;
await request('shutdown', null);
notify('exit', null);
