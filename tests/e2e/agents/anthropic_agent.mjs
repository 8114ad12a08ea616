#!/usr/bin/env node
// Minimal real agent loop on the official `@anthropic-ai/sdk`, for Warden's e2e tests.
//
//   node anthropic_agent.mjs --sdk-dir DIR --base-url https://127.0.0.1:PORT \
//        --model claude-test --prompt 'RUN: echo hi' [--stream 0|1]
//
// DIR is the prefix given to tools/npm-setup.sh (the SDK is loaded from
// DIR/node_modules); without --sdk-dir, NODE_PATH is searched. The base URL is
// scheme://host:port (the SDK adds /v1/messages; a trailing /v1 is dropped).
// Offers one tool, run_shell {command}; runs each requested command with
// /bin/sh -c, sends the output back as a tool_result, prints the model's final
// text on stdout and exits 0. Progress goes to stderr; any failure exits
// non-zero. --header NAME:VALUE (repeatable) adds a request header, e.g.
// x-mock-gzip:1 for gzip answers from the mock. Stream mode uses client.messages.stream() and its finalMessage().
// Trust a self-signed server with NODE_EXTRA_CA_CERTS=cert.pem. The API key is
// "test-key" unless ANTHROPIC_API_KEY is set.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const USAGE = 'usage: anthropic_agent.mjs --base-url URL --model M --prompt P [--stream 0|1] [--sdk-dir DIR] [--max-turns N] [--header NAME:VALUE]...';

function fail(msg) {
  process.stderr.write(`anthropic_agent: ${msg}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const o = { baseUrl: null, model: 'claude-test', prompt: null, stream: false,
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
      case '--sdk-dir': o.sdkDir = next(); break;
      case '--max-turns': o.maxTurns = Number(next()); break;
      case '--header': { const h = next(), c = h.indexOf(':'); if (c < 1) fail(`--header wants NAME:VALUE, not ${h}`);
        o.headers[h.slice(0, c).trim()] = h.slice(c + 1).trim(); break; }
      case '-h': case '--help': process.stdout.write(USAGE + '\n'); process.exit(0);
      default: fail(`unknown argument ${a}\n${USAGE}`);
    }
  }
  if (!o.baseUrl || o.prompt == null) fail(USAGE);
  o.baseUrl = o.baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
  return o;
}

function loadSdk(sdkDir) {
  // createRequire honours NODE_PATH; with --sdk-dir resolve from DIR/node_modules.
  const from = sdkDir ? path.join(path.resolve(sdkDir), 'package.json') : import.meta.url;
  try {
    const mod = createRequire(from)('@anthropic-ai/sdk');
    return mod.Anthropic || mod.default || mod;
  } catch (e) {
    fail(`cannot load @anthropic-ai/sdk (${sdkDir ? `--sdk-dir ${sdkDir}` : 'NODE_PATH'}): ${e.message.split('\n')[0]}; run tools/npm-setup.sh DIR`);
  }
}

function runShell(command) {
  process.stderr.write(`anthropic_agent: run_shell: ${command}\n`);
  try {
    return execFileSync('/bin/sh', ['-c', command], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60000 });
  } catch (e) {
    if (e.status == null) throw new Error(`run_shell could not run ${JSON.stringify(command)}: ${e.message}`);
    return `${e.stdout || ''}${e.stderr || ''}[exit status ${e.status}]`;
  }
}

const TOOLS = [{ name: 'run_shell', description: 'Run a shell command with /bin/sh -c and return its output',
  input_schema: { type: 'object', properties: { command: { type: 'string', description: 'shell command' } },
    required: ['command'] } }];

async function turn(client, o, messages) {
  const req = { model: o.model, max_tokens: 1024, messages, tools: TOOLS };
  if (!o.stream) return client.messages.create(req);
  const stream = client.messages.stream(req);
  let events = 0;
  stream.on('streamEvent', () => events++);
  const msg = await stream.finalMessage();
  process.stderr.write(`anthropic_agent: stream: ${events} events\n`);
  return msg;
}

async function run(client, o) {
  const messages = [{ role: 'user', content: o.prompt }];
  for (let t = 0; t < o.maxTurns; t++) {
    // Let the pool take the finished connection back, so the next turn reuses it (keep-alive).
    if (t) await new Promise((r) => setTimeout(r, 20));
    const msg = await turn(client, o, messages);
    const uses = msg.content.filter((b) => b.type === 'tool_use');
    if (!uses.length) return msg.content.filter((b) => b.type === 'text').map((b) => b.text).join('');
    messages.push({ role: 'assistant', content: msg.content });
    const results = [];
    for (const u of uses) {
      if (u.name !== 'run_shell') throw new Error(`model called unknown tool ${u.name}`);
      if (!u.input || typeof u.input.command !== 'string') throw new Error(`tool input lacks "command": ${JSON.stringify(u.input)}`);
      results.push({ type: 'tool_result', tool_use_id: u.id, content: runShell(u.input.command) });
    }
    messages.push({ role: 'user', content: results });
  }
  throw new Error(`no final answer after ${o.maxTurns} turns`);
}

const o = parseArgs(process.argv.slice(2));
const Anthropic = loadSdk(o.sdkDir);
const client = new Anthropic({ apiKey: process.env.ANTHROPIC_API_KEY || 'test-key', baseURL: o.baseUrl,
  maxRetries: 0, timeout: 60000, defaultHeaders: o.headers });
try {
  process.stdout.write(await run(client, o) + '\n');
} catch (e) {
  let why = `${e.constructor && e.constructor.name}: ${e.message}`;
  for (let c = e.cause, n = 0; c && n < 4; c = c.cause, n++) why += ` <- ${c.code || ''} ${c.message || c}`.replace(/ +/g, ' ');
  fail(why);
}
