#!/usr/bin/env node
// A solc-compatible command line backed by solc-js (the official wasm build of solc).
//
// py-solc-x (and so Brownie) and Slither call a native `solc` binary. Where native solc cannot be
// downloaded, tradechain registers this bridge in its place. It answers the calls those tools make:
//   --version                      "Version: 0.8.x+commit..." as native solc prints it
//   --standard-json                standard JSON on stdin, standard JSON on stdout
//   --combined-json a,b,c FILES    the legacy combined output (Slither / crytic-compile)
// and accepts, for file resolution, --allow-paths, --base-path, --include-path and remappings
// (prefix=target). Output is written with fs.writeSync in a loop: the solcjs CLI truncates stdout
// at 64 KiB when it writes to a pipe; this bridge never does.
'use strict';
const fs = require('fs');
const path = require('path');

const solc = require(process.env.TRADECHAIN_SOLCJS_MODULE || path.join(__dirname, '..', '..', 'node_modules', 'solc'));

function writeAll(fd, text) {
  const buf = Buffer.from(text, 'utf8');
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      if (e.code !== 'EAGAIN') throw e;
    }
  }
}

function parseArgs(argv) {
  const opts = { searchPaths: [process.cwd()], remappings: [], files: [], mode: null, combined: null, extra: {} };
  const withValue = new Set(['--allow-paths', '--base-path', '--include-path', '--combined-json',
    '--evm-version', '--optimize-runs', '--output-dir', '-o']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--version' || a === '-v') opts.mode = 'version';
    else if (a === '--standard-json') opts.mode = 'standard-json';
    else if (a === '--help' || a === '-h') opts.mode = 'help';
    else if (withValue.has(a)) {
      const v = argv[++i];
      if (a === '--combined-json') { opts.mode = 'combined-json'; opts.combined = v.split(','); }
      else if (a === '--allow-paths') opts.searchPaths.push(...v.split(','));
      else if (a === '--base-path' || a === '--include-path') opts.searchPaths.push(v);
      else opts.extra[a] = v;
    } else if (a === '--optimize') opts.extra['--optimize'] = true;
    else if (a.startsWith('--')) { /* other flags are accepted and ignored */ }
    else if (a.includes('=') && !fs.existsSync(a)) opts.remappings.push(a);
    else opts.files.push(a);
  }
  return opts;
}

function makeImportCallback(searchPaths) {
  return function findImports(importPath) {
    const candidates = path.isAbsolute(importPath)
      ? [importPath]
      : searchPaths.map((base) => path.resolve(base, importPath));
    for (const candidate of candidates) {
      try {
        return { contents: fs.readFileSync(candidate, 'utf8') };
      } catch (e) { /* try the next search path */ }
    }
    return { error: `File not found: ${importPath} (searched ${searchPaths.join(', ')})` };
  };
}

function readStdin() {
  const chunks = [];
  const buf = Buffer.alloc(1 << 16);
  for (;;) {
    let n;
    try { n = fs.readSync(0, buf, 0, buf.length, null); } catch (e) {
      if (e.code === 'EAGAIN') continue;
      if (e.code === 'EOF') break;
      throw e;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString('utf8');
}

function combinedJson(opts) {
  // The legacy --combined-json output, from a standard-json compilation of the named files.
  const wanted = new Set(opts.combined);
  const sources = {};
  for (const f of opts.files) sources[f] = { content: fs.readFileSync(f, 'utf8') };
  const outSel = ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object', 'evm.bytecode.sourceMap',
    'evm.deployedBytecode.sourceMap', 'userdoc', 'devdoc', 'evm.methodIdentifiers', 'metadata', 'storageLayout'];
  const settings = {
    remappings: opts.remappings,
    outputSelection: { '*': { '*': outSel, '': ['ast'] } },
  };
  if (opts.extra['--evm-version']) settings.evmVersion = opts.extra['--evm-version'];
  if (opts.extra['--optimize']) settings.optimizer = { enabled: true, runs: Number(opts.extra['--optimize-runs'] || 200) };
  const input = { language: 'Solidity', sources, settings };
  const out = JSON.parse(solc.compile(JSON.stringify(input), { import: makeImportCallback(opts.searchPaths) }));
  const errors = (out.errors || []).filter((e) => e.severity === 'error');
  for (const e of out.errors || []) process.stderr.write((e.formattedMessage || e.message) + '\n');
  if (errors.length) process.exit(1);
  const result = { contracts: {}, sourceList: Object.keys(out.sources || {}), sources: {}, version: solc.version() };
  for (const [file, src] of Object.entries(out.sources || {})) {
    result.sources[file] = { AST: src.ast, id: src.id };
  }
  for (const [file, contracts] of Object.entries(out.contracts || {})) {
    for (const [name, c] of Object.entries(contracts)) {
      const entry = {};
      if (wanted.has('abi')) entry.abi = c.abi;
      if (wanted.has('bin')) entry.bin = c.evm.bytecode.object;
      if (wanted.has('bin-runtime')) entry['bin-runtime'] = c.evm.deployedBytecode.object;
      if (wanted.has('srcmap')) entry.srcmap = c.evm.bytecode.sourceMap;
      if (wanted.has('srcmap-runtime')) entry['srcmap-runtime'] = c.evm.deployedBytecode.sourceMap;
      if (wanted.has('userdoc')) entry.userdoc = c.userdoc;
      if (wanted.has('devdoc')) entry.devdoc = c.devdoc;
      if (wanted.has('hashes')) entry.hashes = c.evm.methodIdentifiers;
      if (wanted.has('metadata')) entry.metadata = c.metadata;
      if (wanted.has('storage-layout')) entry['storage-layout'] = c.storageLayout;
      result.contracts[`${file}:${name}`] = entry;
    }
  }
  return JSON.stringify(result);
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  switch (opts.mode) {
    case 'version':
      writeAll(1, `solc, the solidity compiler commandline interface (solc-js bridge)\nVersion: ${solc.version()}\n`);
      return;
    case 'standard-json': {
      const input = readStdin();
      writeAll(1, solc.compile(input, { import: makeImportCallback(opts.searchPaths) }));
      return;
    }
    case 'combined-json':
      writeAll(1, combinedJson(opts));
      return;
    default:
      writeAll(2, 'usage: solc --version | --standard-json < input.json | --combined-json abi,bin,... FILES\n');
      process.exit(opts.mode === 'help' ? 0 : 2);
  }
}

main();
