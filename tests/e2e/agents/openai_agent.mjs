#!/usr/bin/env node
// Minimal real agent loop on the official `openai` SDK, for Warden's e2e tests.
//
//   node openai_agent.mjs --sdk-dir DIR --base-url https://127.0.0.1:PORT/v1 \
//        --model gpt-test --prompt 'RUN: echo hi' [--stream 0|1] [--api chat|responses]
//
// DIR is the prefix given to tools/npm-setup.sh (the SDK is loaded from
// DIR/node_modules); without --sdk-dir, NODE_PATH is searched. Offers one tool,
// run_shell {command}; runs each requested command with /bin/sh -c, sends the
// output back, prints the model's final text on stdout and exits 0. Progress
// goes to stderr; any failure exits non-zero. --header NAME:VALUE (repeatable)
// adds a request header, e.g. x-mock-gzip:1 for gzip answers from the mock.
// Trust a self-signed server with NODE_EXTRA_CA_CERTS=cert.pem. The API key is "test-key" unless OPENAI_API_KEY is set.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const USAGE = 'usage: openai_agent.mjs --base-url URL --model M --prompt P [--stream 0|1] [--api chat|responses] [--sdk-dir DIR] [--max-turns N] [--header NAME:VALUE]...';

function fail(msg) {
  process.stderr.write(`openai_agent: ${msg}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const o = { baseUrl: null, model: 'gpt-test', prompt: null, stream: false, api: 'chat',
    sdkDir: process.env.SDK_DIR || null, maxTurns: 5, headers: {} };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i], v;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) { v = a.slice(eq + 1); a = a.slice(0, eq); }
    const next = () => { const x = v !== undefined ? v : argv[++i]; if (x === undefined) fail(`${a} needs a value`); return x; };
    switch (a) {
      case '--base-url': o.baseUrl = next(); break;
      case '--model': o.model = next(); break;
      case '--prompt': o.prompt = next(); break;
      case '--stream': o.stream = ['1', 'true', 'yes'].includes(next()); break;
      case '--api': o.api = next(); break;
      case '--sdk-dir': o.sdkDir = next(); break;
      case '--max-turns': o.maxTurns = Number(next()); break;
      case '--header': { const h = next(), c = h.indexOf(':'); if (c < 1) fail(`--header wants NAME:VALUE, not ${h}`);
        o.headers[h.slice(0, c).trim()] = h.slice(c + 1).trim(); break; }
      case '-h': case '--help': process.stdout.write(USAGE + '\n'); process.exit(0);
      default: fail(`unknown argument ${a}\n${USAGE}`);
    }
  }
  if (!o.baseUrl || o.prompt == null) fail(USAGE);
  if (!['chat', 'responses'].includes(o.api)) fail(`--api must be chat or responses, not ${o.api}`);
  // The SDK wants the /v1 prefix in baseURL; add it when only scheme://host:port is given.
  const u = new URL(o.baseUrl);
  if (u.pathname === '/' || u.pathname === '') { u.pathname = '/v1'; o.baseUrl = u.toString().replace(/\/$/, ''); }
  return o;
}

function loadSdk(sdkDir) {
  // createRequire honours NODE_PATH; with --sdk-dir resolve from DIR/node_modules.
  const from = sdkDir ? path.join(path.resolve(sdkDir), 'package.json') : import.meta.url;
  try {
    const mod = createRequire(from)('openai');
    return mod.OpenAI || mod.default || mod;
  } catch (e) {
    fail(`cannot load the openai SDK (${sdkDir ? `--sdk-dir ${sdkDir}` : 'NODE_PATH'}): ${e.message.split('\n')[0]}; run tools/npm-setup.sh DIR`);
  }
}

function runShell(command) {
  process.stderr.write(`openai_agent: run_shell: ${command}\n`);
  try {
    return execFileSync('/bin/sh', ['-c', command], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60000 });
  } catch (e) {
    if (e.status == null) throw new Error(`run_shell could not run ${JSON.stringify(command)}: ${e.message}`);
    return `${e.stdout || ''}${e.stderr || ''}[exit status ${e.status}]`;
  }
}

function toolOutput(argsJson) {
  let args;
  try { args = JSON.parse(argsJson || '{}'); } catch { throw new Error(`tool arguments are not JSON: ${argsJson}`); }
  if (typeof args.command !== 'string') throw new Error(`tool arguments lack "command": ${argsJson}`);
  return runShell(args.command);
}

const PARAMS = { type: 'object', properties: { command: { type: 'string', description: 'shell command' } },
  required: ['command'], additionalProperties: false };
const DESC = 'Run a shell command with /bin/sh -c and return its output';

async function chatTurn(client, o, messages) {
  const req = { model: o.model, messages,
    tools: [{ type: 'function', function: { name: 'run_shell', description: DESC, parameters: PARAMS } }] };
  if (!o.stream) {
    const r = await client.chat.completions.create(req);
    const m = r.choices[0].message;
    return { content: m.content || '', toolCalls: m.tool_calls || [] };
  }
  const stream = await client.chat.completions.create({ ...req, stream: true, stream_options: { include_usage: true } });
  let content = '', chunks = 0;
  const calls = [];
  for await (const chunk of stream) {
    chunks++;
    const ch = chunk.choices && chunk.choices[0];
    if (!ch || !ch.delta) continue;
    if (ch.delta.content) content += ch.delta.content;
    for (const tc of ch.delta.tool_calls || []) {
      const c = calls[tc.index] || (calls[tc.index] = { id: '', type: 'function', function: { name: '', arguments: '' } });
      if (tc.id) c.id = tc.id;
      if (tc.function && tc.function.name) c.function.name += tc.function.name;
      if (tc.function && tc.function.arguments) c.function.arguments += tc.function.arguments;
    }
  }
  process.stderr.write(`openai_agent: stream: ${chunks} chunks\n`);
  return { content, toolCalls: calls.filter(Boolean) };
}

async function runChat(client, o) {
  const messages = [{ role: 'user', content: o.prompt }];
  for (let turn = 0; turn < o.maxTurns; turn++) {
    // Let the pool take the finished connection back, so the next turn reuses it (keep-alive).
    if (turn) await new Promise((r) => setTimeout(r, 20));
    const { content, toolCalls } = await chatTurn(client, o, messages);
    if (!toolCalls.length) return content;
    messages.push({ role: 'assistant', content: content || null, tool_calls: toolCalls });
    for (const tc of toolCalls) {
      if (tc.function.name !== 'run_shell') throw new Error(`model called unknown tool ${tc.function.name}`);
      messages.push({ role: 'tool', tool_call_id: tc.id, content: toolOutput(tc.function.arguments) });
    }
  }
  throw new Error(`no final answer after ${o.maxTurns} turns`);
}

async function runResponses(client, o) {
  const input = [{ role: 'user', content: o.prompt }];
  const tools = [{ type: 'function', name: 'run_shell', description: DESC, parameters: PARAMS, strict: true }];
  for (let turn = 0; turn < o.maxTurns; turn++) {
    // Let the pool take the finished connection back, so the next turn reuses it (keep-alive).
    if (turn) await new Promise((r) => setTimeout(r, 20));
    let r;
    if (o.stream) {
      const stream = client.responses.stream({ model: o.model, input, tools });
      let events = 0;
      for await (const ev of stream) events++;
      r = await stream.finalResponse();
      process.stderr.write(`openai_agent: stream: ${events} events\n`);
    } else {
      r = await client.responses.create({ model: o.model, input, tools });
    }
    const calls = r.output.filter((it) => it.type === 'function_call');
    if (!calls.length) return r.output_text;
    for (const c of calls) {
      if (c.name !== 'run_shell') throw new Error(`model called unknown tool ${c.name}`);
      input.push({ type: 'function_call', call_id: c.call_id, name: c.name, arguments: c.arguments });
      input.push({ type: 'function_call_output', call_id: c.call_id, output: toolOutput(c.arguments) });
    }
  }
  throw new Error(`no final answer after ${o.maxTurns} turns`);
}

const o = parseArgs(process.argv.slice(2));
const OpenAI = loadSdk(o.sdkDir);
const client = new OpenAI({ apiKey: process.env.OPENAI_API_KEY || 'test-key', baseURL: o.baseUrl,
  maxRetries: 0, timeout: 60000, defaultHeaders: o.headers });
try {
  const text = o.api === 'chat' ? await runChat(client, o) : await runResponses(client, o);
  process.stdout.write(text + '\n');
} catch (e) {
  let why = `${e.constructor && e.constructor.name}: ${e.message}`;
  for (let c = e.cause, n = 0; c && n < 4; c = c.cause, n++) why += ` <- ${c.code || ''} ${c.message || c}`.replace(/ +/g, ' ');
  fail(why);
}
