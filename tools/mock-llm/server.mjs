#!/usr/bin/env node
// Mock LLM / MCP server for Warden's end-to-end tests. Built-in modules only.
//
// One TLS listener (http2.createSecureServer with allowHTTP1) serving HTTP/1.1
// and HTTP/2 with the same handlers. Answers in the wire formats the official
// SDKs parse: OpenAI chat completions + responses, Anthropic messages, Gemini
// generateContent / streamGenerateContent, Ollama /api/chat + /api/generate,
// and an MCP JSON-RPC endpoint. Behaviour is deterministic; see README.md.
//
// Usage: node server.mjs [--port 0] [--host 127.0.0.1] [--cert C --key K]
//                        [--ready-file PATH] [--delay-ms N]
// Prints one JSON line {"port":N,"cert":"/path","key":"/path","pid":P} on stdout
// when listening (and writes the same line to --ready-file, atomically).

import http2 from 'node:http2';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';

// ---------------------------------------------------------------- options
function parseArgs(argv) {
  const o = { port: 0, host: '127.0.0.1', cert: null, key: null, readyFile: null, delayMs: 0 };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i], v;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) { v = a.slice(eq + 1); a = a.slice(0, eq); }
    const next = () => (v !== undefined ? v : argv[++i]);
    switch (a) {
      case '--port': o.port = Number(next()); break;
      case '--host': o.host = next(); break;
      case '--cert': o.cert = next(); break;
      case '--key': o.key = next(); break;
      case '--ready-file': o.readyFile = next(); break;
      case '--delay-ms': o.delayMs = Number(next()); break;
      case '-h': case '--help':
        process.stdout.write('usage: server.mjs [--port N] [--host H] [--cert C --key K] [--ready-file F] [--delay-ms N]\n');
        process.exit(0);
      default:
        die(`unknown argument ${a}`);
    }
  }
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) die('bad --port');
  if (!!o.cert !== !!o.key) die('--cert and --key go together');
  return o;
}

function die(msg) {
  process.stderr.write(`mock-llm: ${msg}\n`);
  process.exit(2);
}

const opts = parseArgs(process.argv.slice(2));
let tmpDir = null;

function makeCert() {
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mock-llm-'));
  const cert = path.join(tmpDir, 'cert.pem'), key = path.join(tmpDir, 'key.pem');
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key,
      '-out', cert, '-days', '7', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    die(`openssl failed: ${(e.stderr || e.message).toString().trim().split('\n').pop()}`);
  }
  return { cert, key };
}

const tls = opts.cert ? { cert: opts.cert, key: opts.key } : makeCert();

function cleanup() {
  if (tmpDir) { try { fs.rmSync(tmpDir, { recursive: true, force: true }); } catch {} tmpDir = null; }
}
process.on('exit', cleanup);
for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(s, () => { cleanup(); process.exit(0); });

// ---------------------------------------------------------------- helpers
let seq = 0;
const now = () => Math.floor(Date.now() / 1000);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const approxTokens = (s) => Math.max(1, Math.ceil(String(s || '').length / 4));

// Split s into n nearly equal, non-empty pieces (fewer if s is shorter).
function splitN(s, n) {
  if (s.length <= 1) return [s];
  n = Math.min(n, s.length);
  const out = [], step = s.length / n;
  for (let i = 0; i < n; i++) out.push(s.slice(Math.round(i * step), Math.round((i + 1) * step)));
  return out;
}
// Text streams in pieces of up to 8 characters, at least 3 pieces.
function textPieces(s) { return splitN(s, Math.max(3, Math.ceil(s.length / 8))); }
// Tool-call arguments stream in 4 pieces, so the command itself is split.
function argPieces(s) { return splitN(s, 4); }

// Text of an OpenAI/Anthropic/Gemini-style content value.
function textOf(c) {
  if (c == null) return '';
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map(textOf).join('');
  if (typeof c === 'object') {
    if (typeof c.text === 'string') return c.text;
    if (typeof c.content === 'string' || Array.isArray(c.content)) return textOf(c.content);
    if (typeof c.output === 'string') return c.output;
    if (typeof c.result === 'string') return c.result;
    return JSON.stringify(c);
  }
  return String(c);
}

function commandFrom(userText) {
  const m = /RUN: ([^\r\n]*)/.exec(userText || '');
  return m ? m[1] : 'echo hello';
}

// Does a tool's JSON schema take a `command` argument (a shell tool)?
const takesCommand = (schema) => !!(schema && typeof schema === 'object' && schema.properties &&
  typeof schema.properties === 'object' && Object.prototype.hasOwnProperty.call(schema.properties, 'command'));

// conv = {tools: [names], shell: name of the first tool taking `command` | null,
//         toolResult: string|null, lastUser: string}
// -> {kind:'tool', name, args:{command}} | {kind:'text', text}
// The call goes to the first offered tool whose schema has a `command`
// property (Claude Code offers Agent, AskUserQuestion, ... before Bash), else
// to the first offered tool.
function decide(conv) {
  if (conv.toolResult != null) return { kind: 'text', text: 'Done: ' + conv.toolResult.slice(0, 200) };
  if (conv.tools.length) return { kind: 'tool', name: conv.shell || conv.tools[0], args: { command: commandFrom(conv.lastUser) } };
  return { kind: 'text', text: 'Hello from mock: ' + (conv.lastUser || '').slice(0, 100) };
}

class HttpError extends Error {
  constructor(status, message, type = 'invalid_request_error') { super(message); this.status = status; this.type = type; }
}

// Response writer: optional gzip (flushed per write so streams stay streams).
class Out {
  constructor(req, res, url) {
    this.req = req; this.res = res;
    const want = req.headers['x-mock-gzip'] === '1' || url.searchParams.get('gzip') === '1';
    const accepts = /\bgzip\b/i.test(req.headers['accept-encoding'] || '');
    this.gzip = want && accepts;
    const d = Number(req.headers['x-mock-delay-ms'] ?? opts.delayMs);
    this.delayMs = Number.isFinite(d) && d > 0 ? d : 0;
    this.z = null;
    this.streaming = false;
  }
  json(status, obj, extra = {}) { this.send(status, 'application/json', JSON.stringify(obj), extra); }
  send(status, ctype, body, extra = {}) {
    let buf = Buffer.from(body);
    const h = { 'content-type': ctype, ...extra };
    if (this.gzip) { buf = zlib.gzipSync(buf); h['content-encoding'] = 'gzip'; h['vary'] = 'accept-encoding'; }
    h['content-length'] = String(buf.length);
    this.res.writeHead(status, h);
    this.res.end(buf);
  }
  start(ctype, extra = {}) {
    this.streaming = true;
    const h = { 'content-type': ctype, 'cache-control': 'no-cache', ...extra };
    if (this.gzip) {
      h['content-encoding'] = 'gzip'; h['vary'] = 'accept-encoding';
      this.z = zlib.createGzip();
      this.z.on('data', (d) => this.res.write(d));
      this.z.on('end', () => this.res.end());
    }
    this.res.writeHead(200, h);
  }
  async write(s) {
    if (this.z) { this.z.write(s); await new Promise((r) => this.z.flush(zlib.constants.Z_SYNC_FLUSH, r)); }
    else this.res.write(s);
    if (this.delayMs) await sleep(this.delayMs);
  }
  end() { if (this.z) this.z.end(); else this.res.end(); }
  sseData(obj) { return this.write(`data: ${typeof obj === 'string' ? obj : JSON.stringify(obj)}\n\n`); }
  sseEvent(ev, obj) { return this.write(`event: ${ev}\ndata: ${JSON.stringify(obj)}\n\n`); }
}

// ---------------------------------------------------------------- OpenAI chat
function openaiChatConv(b) {
  const tools = [];
  let shell = null;
  for (const t of b.tools || []) if (t && t.function && t.function.name) {
    tools.push(t.function.name);
    if (!shell && takesCommand(t.function.parameters)) shell = t.function.name;
  }
  for (const f of b.functions || []) if (f && f.name) {
    tools.push(f.name);
    if (!shell && takesCommand(f.parameters)) shell = f.name;
  }
  let toolResult = null, lastUser = '';
  for (const m of b.messages || []) {
    if (m.role === 'tool' || m.role === 'function') toolResult = textOf(m.content);
    if (m.role === 'user') lastUser = textOf(m.content);
  }
  return { tools, shell, toolResult, lastUser };
}

async function openaiChat(b, out) {
  if (!Array.isArray(b.messages)) throw new HttpError(400, "'messages' is required");
  const conv = openaiChatConv(b), d = decide(conv), model = b.model || 'mock-model';
  const id = `chatcmpl-mock-${++seq}`, created = now();
  const pt = approxTokens(JSON.stringify(b.messages));
  const args = d.kind === 'tool' ? JSON.stringify(d.args) : null;
  const ct = approxTokens(d.kind === 'tool' ? args : d.text);
  const usage = { prompt_tokens: pt, completion_tokens: ct, total_tokens: pt + ct,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 } };
  const finish = d.kind === 'tool' ? 'tool_calls' : 'stop';
  if (!b.stream) {
    const message = d.kind === 'tool'
      ? { role: 'assistant', content: null, refusal: null, annotations: [],
          tool_calls: [{ id: 'call_mock_1', type: 'function', function: { name: d.name, arguments: args } }] }
      : { role: 'assistant', content: d.text, refusal: null, annotations: [] };
    return out.json(200, { id, object: 'chat.completion', created, model, system_fingerprint: 'fp_mock',
      service_tier: 'default', choices: [{ index: 0, message, logprobs: null, finish_reason: finish }], usage });
  }
  const includeUsage = !!(b.stream_options && b.stream_options.include_usage);
  const chunk = (delta, finish_reason = null) => ({ id, object: 'chat.completion.chunk', created, model,
    system_fingerprint: 'fp_mock', service_tier: 'default',
    choices: [{ index: 0, delta, logprobs: null, finish_reason }], ...(includeUsage ? { usage: null } : {}) });
  out.start('text/event-stream; charset=utf-8');
  if (d.kind === 'tool') {
    await out.sseData(chunk({ role: 'assistant', content: null, refusal: null,
      tool_calls: [{ index: 0, id: 'call_mock_1', type: 'function', function: { name: d.name, arguments: '' } }] }));
    for (const p of argPieces(args)) await out.sseData(chunk({ tool_calls: [{ index: 0, function: { arguments: p } }] }));
  } else {
    await out.sseData(chunk({ role: 'assistant', content: '', refusal: null }));
    for (const p of textPieces(d.text)) await out.sseData(chunk({ content: p }));
  }
  await out.sseData(chunk({}, finish));
  if (includeUsage) await out.sseData({ id, object: 'chat.completion.chunk', created, model,
    system_fingerprint: 'fp_mock', service_tier: 'default', choices: [], usage });
  await out.sseData('[DONE]');
  out.end();
}

// ---------------------------------------------------------------- OpenAI responses
function openaiResponsesConv(b) {
  const tools = [];
  let shell = null;
  for (const t of b.tools || []) {
    const f = t && t.type === 'function' && t.name ? t : t && t.function && t.function.name ? t.function : null;
    if (!f) continue;
    tools.push(f.name);
    if (!shell && takesCommand(f.parameters)) shell = f.name;
  }
  let toolResult = null, lastUser = '';
  if (typeof b.input === 'string') lastUser = b.input;
  else for (const it of b.input || []) {
    if (it.type === 'function_call_output' || it.type === 'custom_tool_call_output') toolResult = textOf(it.output);
    else if (it.role === 'user') lastUser = textOf(it.content);
  }
  return { tools, shell, toolResult, lastUser };
}

async function openaiResponses(b, out) {
  if (b.input == null) throw new HttpError(400, "'input' is required");
  const conv = openaiResponsesConv(b), d = decide(conv), model = b.model || 'mock-model';
  const n = ++seq, id = `resp_mock_${n}`, created_at = now();
  const it = approxTokens(JSON.stringify(b.input));
  const args = d.kind === 'tool' ? JSON.stringify(d.args) : null;
  const ot = approxTokens(d.kind === 'tool' ? args : d.text);
  const usage = { input_tokens: it, input_tokens_details: { cached_tokens: 0 }, output_tokens: ot,
    output_tokens_details: { reasoning_tokens: 0 }, total_tokens: it + ot };
  const itemId = d.kind === 'tool' ? `fc_mock_${n}` : `msg_mock_${n}`;
  const doneItem = d.kind === 'tool'
    ? { type: 'function_call', id: itemId, call_id: 'call_mock_1', name: d.name, arguments: args, status: 'completed' }
    : { type: 'message', id: itemId, status: 'completed', role: 'assistant',
        content: [{ type: 'output_text', text: d.text, annotations: [], logprobs: [] }] };
  const resp = (status, output, u) => ({ id, object: 'response', created_at, status, background: false, error: null,
    incomplete_details: null, instructions: b.instructions ?? null, max_output_tokens: b.max_output_tokens ?? null,
    model, output, parallel_tool_calls: b.parallel_tool_calls ?? true, previous_response_id: b.previous_response_id ?? null,
    reasoning: { effort: null, summary: null }, store: b.store ?? true, temperature: b.temperature ?? 1,
    text: { format: { type: 'text' } }, tool_choice: b.tool_choice ?? 'auto', tools: b.tools || [],
    top_p: b.top_p ?? 1, truncation: 'disabled', usage: u, user: null, metadata: b.metadata || {} });
  if (!b.stream) return out.json(200, resp('completed', [doneItem], usage));
  let sn = 0;
  const ev = (type, o) => out.sseEvent(type, { type, sequence_number: sn++, ...o });
  out.start('text/event-stream; charset=utf-8');
  await ev('response.created', { response: resp('in_progress', [], null) });
  await ev('response.in_progress', { response: resp('in_progress', [], null) });
  if (d.kind === 'tool') {
    await ev('response.output_item.added', { output_index: 0,
      item: { ...doneItem, arguments: '', status: 'in_progress' } });
    for (const p of argPieces(args)) await ev('response.function_call_arguments.delta', { item_id: itemId, output_index: 0, delta: p });
    await ev('response.function_call_arguments.done', { item_id: itemId, output_index: 0, arguments: args });
  } else {
    await ev('response.output_item.added', { output_index: 0,
      item: { type: 'message', id: itemId, status: 'in_progress', role: 'assistant', content: [] } });
    const part0 = { type: 'output_text', text: '', annotations: [], logprobs: [] };
    await ev('response.content_part.added', { item_id: itemId, output_index: 0, content_index: 0, part: part0 });
    for (const p of textPieces(d.text)) await ev('response.output_text.delta', { item_id: itemId, output_index: 0, content_index: 0, delta: p, logprobs: [] });
    await ev('response.output_text.done', { item_id: itemId, output_index: 0, content_index: 0, text: d.text, logprobs: [] });
    await ev('response.content_part.done', { item_id: itemId, output_index: 0, content_index: 0, part: doneItem.content[0] });
  }
  await ev('response.output_item.done', { output_index: 0, item: doneItem });
  await ev('response.completed', { response: resp('completed', [doneItem], usage) });
  out.end();
}

// ---------------------------------------------------------------- Anthropic
function anthropicConv(b) {
  const offered = (b.tools || []).filter((t) => t && t.name);
  const tools = offered.map((t) => t.name);
  const shell = (offered.find((t) => takesCommand(t.input_schema)) || {}).name || null;
  let toolResult = null, lastUser = '';
  for (const m of b.messages || []) {
    if (m.role !== 'user') continue;
    if (typeof m.content === 'string') { lastUser = m.content; continue; }
    const texts = [];
    for (const blk of m.content || []) {
      if (blk.type === 'tool_result') toolResult = textOf(blk.content);
      else if (blk.type === 'text') texts.push(blk.text);
    }
    if (texts.length) lastUser = texts.join('\n');
  }
  return { tools, shell, toolResult, lastUser };
}

async function anthropicMessages(b, out) {
  if (!Array.isArray(b.messages)) throw new HttpError(400, 'messages: Field required');
  const conv = anthropicConv(b), d = decide(conv), model = b.model || 'mock-model';
  const id = `msg_mock_${++seq}`;
  const it = approxTokens(JSON.stringify(b.messages));
  const args = d.kind === 'tool' ? JSON.stringify(d.args) : null;
  const ot = approxTokens(d.kind === 'tool' ? args : d.text);
  const block = d.kind === 'tool'
    ? { type: 'tool_use', id: 'toolu_mock_1', name: d.name, input: d.args }
    : { type: 'text', text: d.text };
  const stop_reason = d.kind === 'tool' ? 'tool_use' : 'end_turn';
  const usage = (o) => ({ input_tokens: it, cache_creation_input_tokens: 0, cache_read_input_tokens: 0,
    output_tokens: o, service_tier: 'standard' });
  const msg = (content, sr, o) => ({ id, type: 'message', role: 'assistant', model, content,
    stop_reason: sr, stop_sequence: null, usage: usage(o) });
  if (!b.stream) return out.json(200, msg([block], stop_reason, ot), { 'request-id': `req_mock_${seq}` });
  out.start('text/event-stream; charset=utf-8', { 'request-id': `req_mock_${seq}` });
  await out.sseEvent('message_start', { type: 'message_start', message: msg([], null, 1) });
  if (d.kind === 'tool') {
    await out.sseEvent('content_block_start', { type: 'content_block_start', index: 0,
      content_block: { type: 'tool_use', id: 'toolu_mock_1', name: d.name, input: {} } });
    await out.sseEvent('ping', { type: 'ping' });
    for (const p of ['', ...argPieces(args)]) await out.sseEvent('content_block_delta',
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: p } });
  } else {
    await out.sseEvent('content_block_start', { type: 'content_block_start', index: 0,
      content_block: { type: 'text', text: '' } });
    await out.sseEvent('ping', { type: 'ping' });
    for (const p of textPieces(d.text)) await out.sseEvent('content_block_delta',
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: p } });
  }
  await out.sseEvent('content_block_stop', { type: 'content_block_stop', index: 0 });
  await out.sseEvent('message_delta', { type: 'message_delta', delta: { stop_reason, stop_sequence: null },
    usage: { output_tokens: ot } });
  await out.sseEvent('message_stop', { type: 'message_stop' });
  out.end();
}

// ---------------------------------------------------------------- Gemini
function geminiConv(b) {
  const tools = [];
  let shell = null;
  for (const t of b.tools || []) for (const f of (t.functionDeclarations || t.function_declarations || [])) if (f.name) {
    tools.push(f.name);
    if (!shell && (takesCommand(f.parameters) || takesCommand(f.parametersJsonSchema))) shell = f.name;
  }
  let toolResult = null, lastUser = '';
  for (const c of b.contents || []) {
    const texts = [];
    for (const p of c.parts || []) {
      const fr = p.functionResponse || p.function_response;
      if (fr) toolResult = textOf(fr.response);
      else if (typeof p.text === 'string') texts.push(p.text);
    }
    if ((c.role || 'user') === 'user' && texts.length) lastUser = texts.join('\n');
  }
  return { tools, shell, toolResult, lastUser };
}

async function gemini(model, method, b, out, url) {
  if (!Array.isArray(b.contents)) throw new HttpError(400, "contents is required", 'INVALID_ARGUMENT');
  const conv = geminiConv(b), d = decide(conv);
  const responseId = `mock-${++seq}`;
  const pt = approxTokens(JSON.stringify(b.contents));
  const ct = approxTokens(d.kind === 'tool' ? JSON.stringify(d.args) : d.text);
  const usageMetadata = { promptTokenCount: pt, candidatesTokenCount: ct, totalTokenCount: pt + ct };
  const cand = (parts, finishReason) => ({ content: { role: 'model', parts }, ...(finishReason ? { finishReason } : {}), index: 0 });
  const body = (parts, fin, usage) => ({ candidates: [cand(parts, fin)], ...(usage ? { usageMetadata } : {}),
    modelVersion: model, responseId });
  if (method === 'generateContent') {
    const parts = d.kind === 'tool' ? [{ functionCall: { name: d.name, args: d.args } }] : [{ text: d.text }];
    return out.json(200, body(parts, 'STOP', true));
  }
  // streamGenerateContent: SSE with alt=sse, else a streamed JSON array.
  const chunks = d.kind === 'tool'
    ? [body([{ functionCall: { name: d.name, args: d.args } }], 'STOP', true)]
    : textPieces(d.text).map((p, i, a) => body([{ text: p }], i === a.length - 1 ? 'STOP' : null, i === a.length - 1));
  if (url.searchParams.get('alt') === 'sse') {
    out.start('text/event-stream');
    for (const c of chunks) await out.write(`data: ${JSON.stringify(c)}\r\n\r\n`);
  } else {
    out.start('application/json; charset=UTF-8');
    for (let i = 0; i < chunks.length; i++) await out.write((i ? ',\r\n' : '[') + JSON.stringify(chunks[i]));
    await out.write(']');
  }
  out.end();
}

// ---------------------------------------------------------------- Ollama
function ollamaStats(pt, ct) {
  return { total_duration: 1000000, load_duration: 100000, prompt_eval_count: pt, prompt_eval_duration: 200000,
    eval_count: ct, eval_duration: 700000 };
}

async function ollamaChat(b, out) {
  if (!Array.isArray(b.messages)) throw new HttpError(400, 'messages is required');
  const conv = openaiChatConv(b), d = decide(conv), model = b.model || 'mock-model';
  const ts = () => new Date().toISOString();
  const pt = approxTokens(JSON.stringify(b.messages));
  const ct = approxTokens(d.kind === 'tool' ? JSON.stringify(d.args) : d.text);
  const toolCalls = d.kind === 'tool' ? [{ function: { name: d.name, arguments: d.args } }] : undefined;
  const stream = b.stream !== false;
  if (!stream) {
    const message = { role: 'assistant', content: d.kind === 'tool' ? '' : d.text, ...(toolCalls ? { tool_calls: toolCalls } : {}) };
    return out.json(200, { model, created_at: ts(), message, done_reason: 'stop', done: true, ...ollamaStats(pt, ct) });
  }
  out.start('application/x-ndjson');
  const line = (o) => out.write(JSON.stringify(o) + '\n');
  if (toolCalls) await line({ model, created_at: ts(), message: { role: 'assistant', content: '', tool_calls: toolCalls }, done: false });
  else for (const p of textPieces(d.text)) await line({ model, created_at: ts(), message: { role: 'assistant', content: p }, done: false });
  await line({ model, created_at: ts(), message: { role: 'assistant', content: '' }, done_reason: 'stop', done: true, ...ollamaStats(pt, ct) });
  out.end();
}

async function ollamaGenerate(b, out) {
  if (typeof b.prompt !== 'string') throw new HttpError(400, 'prompt is required');
  const model = b.model || 'mock-model', ts = () => new Date().toISOString();
  const text = 'Hello from mock: ' + b.prompt.slice(0, 100);
  const pt = approxTokens(b.prompt), ct = approxTokens(text);
  if (b.stream === false) {
    return out.json(200, { model, created_at: ts(), response: text, done: true, done_reason: 'stop',
      context: [1, 2, 3], ...ollamaStats(pt, ct) });
  }
  out.start('application/x-ndjson');
  for (const p of textPieces(text)) await out.write(JSON.stringify({ model, created_at: ts(), response: p, done: false }) + '\n');
  await out.write(JSON.stringify({ model, created_at: ts(), response: '', done: true, done_reason: 'stop',
    context: [1, 2, 3], ...ollamaStats(pt, ct) }) + '\n');
  out.end();
}

// ---------------------------------------------------------------- MCP
const MCP_TOOL = { name: 'run_shell', description: 'Run a shell command (mock: nothing is executed)',
  inputSchema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] } };

function mcpOne(m) {
  const isReq = m && typeof m === 'object' && m.jsonrpc === '2.0' && typeof m.method === 'string';
  if (!isReq) return { jsonrpc: '2.0', id: (m && m.id) ?? null, error: { code: -32600, message: 'Invalid Request' } };
  if (m.id === undefined || m.id === null) return null; // notification
  const ok = (result) => ({ jsonrpc: '2.0', id: m.id, result });
  const p = m.params || {};
  switch (m.method) {
    case 'initialize':
      return ok({ protocolVersion: p.protocolVersion || '2025-06-18',
        capabilities: { tools: { listChanged: false } },
        serverInfo: { name: 'warden-mock-mcp', version: '1.0.0' } });
    case 'ping': return ok({});
    case 'tools/list': return ok({ tools: [MCP_TOOL] });
    case 'tools/call': {
      if (p.name !== 'run_shell') return { jsonrpc: '2.0', id: m.id, error: { code: -32602, message: `Unknown tool: ${p.name}` } };
      const cmd = (p.arguments && p.arguments.command) || '';
      return ok({ content: [{ type: 'text', text: `mock ran: ${cmd}` }], isError: false });
    }
    default: return { jsonrpc: '2.0', id: m.id, error: { code: -32601, message: `Method not found: ${m.method}` } };
  }
}

// Does the Accept header prefer text/event-stream over application/json?
function prefersSse(accept) {
  if (!accept) return false;
  let best = null;
  for (const [i, raw] of accept.split(',').entries()) {
    const [type, ...params] = raw.trim().toLowerCase().split(';').map((s) => s.trim());
    if (type !== 'text/event-stream' && type !== 'application/json') continue;
    const qp = params.find((x) => x.startsWith('q='));
    const q = qp ? Number(qp.slice(2)) : 1;
    if (!best || q > best.q) best = { type, q, i };
  }
  return !!best && best.type === 'text/event-stream';
}

async function mcp(raw, out, req) {
  let msg;
  try { msg = JSON.parse(raw); } catch {
    return out.json(400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
  }
  const batch = Array.isArray(msg);
  const answers = (batch ? msg : [msg]).map(mcpOne).filter((x) => x);
  const sid = req.headers['mcp-session-id'] || 'mock-session-1';
  const extra = { 'mcp-session-id': sid };
  if (!answers.length) { out.res.writeHead(202, extra); return out.res.end(); }
  const result = batch ? answers : answers[0];
  if (req.headers['x-mock-sse'] === '1' || prefersSse(req.headers['accept'])) {
    out.start('text/event-stream', extra);
    for (const a of answers) await out.write(`event: message\ndata: ${JSON.stringify(a)}\n\n`);
    return out.end();
  }
  out.json(200, result, extra);
}

// ---------------------------------------------------------------- routing
function readBody(req) {
  return new Promise((resolve, reject) => {
    const parts = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function errorBody(pathname, status, message, type) {
  if (pathname.startsWith('/v1/messages')) return { type: 'error', error: { type, message } };
  if (pathname.startsWith('/v1beta') || /^\/v1\/models\/.*:/.test(pathname)) return { error: { code: status, message, status: type } };
  if (pathname.startsWith('/api/')) return { error: message };
  return { error: { message, type, param: null, code: null } };
}

async function handle(req, res) {
  const t0 = Date.now();
  const url = new URL(req.url, 'https://mock');
  const p = url.pathname;
  const out = new Out(req, res, url);
  const peer = req.socket ? req.socket.remotePort : '?';
  res.on('finish', () => process.stderr.write(
    `mock-llm: ${req.method} ${req.url} HTTP/${req.httpVersion} ${res.statusCode}${out.streaming ? ' stream' : ''}` +
    ` from=${peer}` +
    `${out.gzip ? ' gzip' : ''} ${Date.now() - t0}ms\n`));
  try {
    const gets = {
      '/health': () => ({ ok: true }), '/': () => ({ ok: true }),
      '/api/tags': () => ({ models: [{ name: 'mock-model', model: 'mock-model' }] }),
      '/v1/models': () => ({ object: 'list', data: [{ id: 'mock-model', object: 'model', created: 0, owned_by: 'mock' }] }),
    };
    if (req.method === 'GET' && gets[p]) return out.json(200, gets[p]());
    // Connectivity probes (Claude Code sends HEAD / first): headers only.
    if (req.method === 'HEAD') {
      res.writeHead(gets[p] || p === '/mcp' ? 200 : 404, { 'content-type': 'application/json', 'content-length': '0' });
      return res.end();
    }
    if (req.method !== 'POST') {
      if (p === '/mcp') return out.json(405, { jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Method not allowed' } }, { allow: 'POST' });
      throw new HttpError(404, `unknown path: ${req.method} ${p}`, 'not_found_error');
    }
    const raw = await readBody(req);
    if (p === '/mcp') return await mcp(raw, out, req);
    if (p === '/v1/messages/count_tokens') {
      let b;
      try { b = raw ? JSON.parse(raw) : {}; } catch { throw new HttpError(400, 'request body is not valid JSON'); }
      if (!b || !Array.isArray(b.messages)) throw new HttpError(400, 'messages: Field required');
      return out.json(200, { input_tokens: approxTokens(JSON.stringify([b.system ?? '', b.messages, b.tools ?? []])) });
    }
    const gm = /^\/v1(?:beta)?\/models\/([^:]+):(generateContent|streamGenerateContent)$/.exec(p);
    const routes = {
      '/v1/chat/completions': openaiChat, '/chat/completions': openaiChat,
      '/v1/responses': openaiResponses, '/responses': openaiResponses,
      '/v1/messages': anthropicMessages,
      '/api/chat': ollamaChat, '/api/generate': ollamaGenerate,
    };
    if (!routes[p] && !gm) throw new HttpError(404, `unknown path: ${req.method} ${p}`, 'not_found_error');
    let b;
    try { b = raw ? JSON.parse(raw) : {}; } catch { throw new HttpError(400, 'request body is not valid JSON'); }
    if (!b || typeof b !== 'object' || Array.isArray(b)) throw new HttpError(400, 'request body must be a JSON object');
    if (gm) return await gemini(decodeURIComponent(gm[1]), gm[2], b, out, url);
    return await routes[p](b, out);
  } catch (e) {
    const status = e instanceof HttpError ? e.status : 500;
    const type = e instanceof HttpError ? e.type : 'api_error';
    if (!(e instanceof HttpError)) process.stderr.write(`mock-llm: error: ${e.stack || e}\n`);
    if (!out.streaming && !res.headersSent) return out.json(status, errorBody(p, status, e.message, type));
    try { res.destroy(); } catch {}
  }
}

const server = http2.createSecureServer({
  allowHTTP1: true,
  cert: fs.readFileSync(tls.cert),
  key: fs.readFileSync(tls.key),
}, (req, res) => { handle(req, res); });
server.keepAliveTimeout = 30000; // HTTP/1.1 keep-alive between agent turns
server.on('sessionError', () => {});
server.on('tlsClientError', (e) => process.stderr.write(`mock-llm: tls client error: ${e.code || e.message}\n`));
server.on('error', (e) => die(`listen: ${e.message}`));

server.listen(opts.port, opts.host, () => {
  const line = JSON.stringify({ port: server.address().port, cert: path.resolve(tls.cert),
    key: path.resolve(tls.key), pid: process.pid }) + '\n';
  if (opts.readyFile) {
    fs.writeFileSync(opts.readyFile + '.tmp', line);
    fs.renameSync(opts.readyFile + '.tmp', opts.readyFile);
  }
  process.stdout.write(line);
  process.stderr.write(`mock-llm: listening on https://${opts.host}:${server.address().port} (h2 + http/1.1)\n`);
});
