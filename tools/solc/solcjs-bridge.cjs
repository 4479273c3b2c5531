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
//
// Imports are read only inside the allowed directories, as native solc does: the base path (the
// working directory when --base-path is not given), the include paths, the --allow-paths, the
// directories of the files named on the command line, and the targets of the remappings given
// (on the command line or in the standard JSON settings). Any other import, absolute
// ("/etc/passwd") or climbing out with "..", is refused with "File outside of allowed
// directories" and never read. The check is on the path as written, normalised (no symlink is
// followed to decide: a symlink inside an allowed directory is the project's own choice).
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
  const opts = { basePath: null, includePaths: [], allowPaths: [], remappings: [], files: [], mode: null,
    combined: null, extra: {} };
  const withValue = new Set(['--allow-paths', '--base-path', '--include-path', '--combined-json',
    '--evm-version', '--optimize-runs', '--output-dir', '-o']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--version' || a === '-v') opts.mode = 'version';
    else if (a === '--standard-json') opts.mode = 'standard-json';
    else if (a === '--help' || a === '-h') opts.mode = 'help';
    else if (withValue.has(a)) {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      if (a === '--combined-json') { opts.mode = 'combined-json'; opts.combined = v.split(','); }
      else if (a === '--allow-paths') opts.allowPaths.push(...v.split(',').filter((p) => p !== ''));
      else if (a === '--base-path') opts.basePath = v;
      else if (a === '--include-path') opts.includePaths.push(v);
      else opts.extra[a] = v;
    } else if (a === '--optimize') opts.extra['--optimize'] = true;
    else if (a.startsWith('--')) { /* other flags are accepted and ignored */ }
    else if (a.includes('=') && !fs.existsSync(a)) opts.remappings.push(a);
    else opts.files.push(a);
  }
  return opts;
}

function fail(message) {
  writeAll(2, `Error: ${message}\n`);
  process.exit(1);
}

function remappingTarget(remapping) {
  // [context:]prefix=target
  const at = remapping.indexOf('=');
  return at < 0 ? '' : remapping.slice(at + 1);
}

// Where a relative import is looked up, in order: the base path (else the working directory), the include
// paths, then the --allow-paths (as this bridge always did).
function searchPaths(opts) {
  const base = opts.basePath ? path.resolve(opts.basePath) : process.cwd();
  return [...new Set([base, ...opts.includePaths.map((p) => path.resolve(p)), ...opts.allowPaths.map((p) => path.resolve(p))])];
}

// The directories imports may be read from (absolute, normalised).
function allowedDirectories(opts, remappings) {
  const bases = searchPaths(opts);
  const dirs = [...bases, ...opts.files.map((f) => path.dirname(path.resolve(f)))];
  for (const r of remappings) {
    const target = remappingTarget(r);
    if (!target) continue;
    if (path.isAbsolute(target)) dirs.push(path.resolve(target));
    else for (const base of bases) dirs.push(path.resolve(base, target));
  }
  return [...new Set(dirs)];
}

function isInside(file, dir) {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..' + path.sep) && rel !== '..' && !path.isAbsolute(rel));
}

function makeImportCallback(opts, remappings) {
  const bases = searchPaths(opts);
  const allowed = allowedDirectories(opts, remappings);
  return function findImports(importPath) {
    if (typeof importPath !== 'string' || importPath.includes('\0')) {
      return { error: 'File outside of allowed directories: not a file name' };
    }
    const candidates = path.isAbsolute(importPath)
      ? [path.resolve(importPath)]
      : bases.map((base) => path.resolve(base, importPath));
    const inside = candidates.filter((c) => allowed.some((dir) => isInside(c, dir)));
    if (!inside.length) {
      return {
        error: `File outside of allowed directories: ${importPath} is not inside the base path, an include path ` +
          `or an --allow-paths directory (allowed: ${allowed.join(', ')}); not read`,
      };
    }
    for (const candidate of inside) {
      try {
        return { contents: fs.readFileSync(candidate, 'utf8') };
      } catch (e) { /* try the next search path */ }
    }
    return { error: `File not found: ${importPath} (searched ${bases.join(', ')})` };
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
  const out = JSON.parse(solc.compile(JSON.stringify(input), { import: makeImportCallback(opts, opts.remappings) }));
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
      let remappings = [];
      try {
        const settings = JSON.parse(input).settings || {};
        if (Array.isArray(settings.remappings)) remappings = settings.remappings.filter((r) => typeof r === 'string');
      } catch (e) { /* not JSON: solc reports it in standard JSON */ }
      writeAll(1, solc.compile(input, { import: makeImportCallback(opts, remappings) }));
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
