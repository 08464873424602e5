// inputs_js: reads every kind of input a WASI command has, and prints a summary.
//
// The wall-clock time, random numbers, the arguments, the environment, stdin and the files
// of the preopened directory /data (or the directory given as the first argument that
// starts with "/").
//
// componentize-js runs this module's top level at build time (it snapshots the
// initialized engine with Wizer), so everything that reads an input is inside `run`,
// which runs when the component does.

import { getArguments, getEnvironment } from 'wasi:cli/environment@0.2.12';
import { getStdin } from 'wasi:cli/stdin@0.2.12';
import { getDirectories } from 'wasi:filesystem/preopens@0.2.12';

const decoder = new TextDecoder();

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function sha256(bytes) {
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))).slice(0, 16);
}

function readAll(stream) {
  const chunks = [];
  let total = 0;
  for (;;) {
    let chunk;
    try {
      chunk = stream.blockingRead(8192n);
    } catch (error) {
      if (error?.payload?.tag === 'closed') break;
      throw error;
    }
    chunks.push(chunk);
    total += chunk.length;
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
  }
  return all;
}

function readFile(dir, name) {
  const file = dir.openAt({ symlinkFollow: true }, name, {}, { read: true });
  const size = file.stat().size;
  const chunks = [];
  let offset = 0n;
  while (offset < size) {
    const [data, end] = file.read(65536n, offset);
    chunks.push(data);
    offset += BigInt(data.length);
    if (end || data.length === 0) break;
  }
  const all = new Uint8Array(Number(offset));
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
  }
  return all;
}

function summaryOfText(text) {
  const words = text.split(/\s+/).filter(Boolean);
  const counts = new Map();
  for (const raw of words) {
    const word = raw.replace(/^[.,;:!?"'()]+|[.,;:!?"'()]+$/g, '').toLowerCase();
    if (word) counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  const top = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 3);
  const lines = text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  return { lines, words: words.length, top };
}

function readSettings(text) {
  const settings = new Map();
  for (let line of text.split('\n')) {
    line = line.trim();
    if (!line || line.startsWith('#') || !line.includes('=')) continue;
    const at = line.indexOf('=');
    settings.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return settings;
}

async function main() {
  const out = [];

  const now = Date.now();
  out.push(`time: ${new Date(now).toISOString()} (${now} ms since the epoch)`);
  const start = performance.now();

  const dice = Array.from({ length: 5 }, () => 1 + Math.floor(Math.random() * 6));
  const token = hex(crypto.getRandomValues(new Uint8Array(8)));
  const sum = dice.reduce((a, b) => a + b, 0);
  out.push(`random: dice [${dice.join(', ')}], token ${token}, sum ${sum}`);

  const args = getArguments();
  out.push(`args: ${args.length}: ${JSON.stringify(args.slice(1))}`);

  const env = getEnvironment().sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  out.push(`env: ${env.length} variables`);
  for (const [name, value] of env) out.push(`  ${name}=${value}`);

  const stdin = readAll(getStdin());
  const text = decoder.decode(stdin);
  const { lines, words, top } = summaryOfText(text);
  out.push(
    `stdin: ${stdin.length} bytes, ${lines} lines, ${words} words, sha256 ${await sha256(stdin)}`,
  );
  out.push(`  top words: ${top.map(([w, c]) => `${w} x${c}`).join(', ') || '-'}`);

  const wanted = args.slice(1).find((arg) => arg.startsWith('/')) ?? '/data';
  const preopen = getDirectories().find(([, path]) => path === wanted);
  if (!preopen) {
    out.push(`${wanted}: not a preopened directory`);
  } else {
    const dir = preopen[0];
    const names = [];
    const entries = dir.readDirectory();
    for (let entry; (entry = entries.readDirectoryEntry()); ) names.push(entry.name);
    names.sort();
    out.push(`${wanted}: ${names.length} entries`);
    for (const name of names) {
      const content = readFile(dir, name);
      out.push(`  ${name}: ${content.length} bytes, sha256 ${await sha256(content)}`);
      if (name.endsWith('.txt') || name.endsWith('.toml')) {
        const settings = readSettings(decoder.decode(content));
        for (const key of [...settings.keys()].sort()) {
          out.push(`    ${key} = ${settings.get(key)}`);
        }
      }
    }
  }

  out.push(`done in ${(performance.now() - start).toFixed(3)} ms (monotonic clock)`);
  console.log(out.join('\n'));
}

export const run = {
  async run() {
    await main();
  },
};
