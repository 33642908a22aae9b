#!/usr/bin/env node
// Launcher for the CLI: in a development checkout (the TypeScript source and tsx are there) the
// source through tsx, so a dist/ left by an older `npm run build` never answers for the current
// code; elsewhere (an installed package) the compiled build. All behaviour lives in src/cli/.
'use strict';
const path = require('node:path');
const fs = require('node:fs');

const root = path.join(__dirname, '..');
const built = path.join(root, 'dist', 'src', 'cli', 'main.js');
const source = path.join(root, 'src', 'cli', 'main.ts');
const tsx = path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'tsx.cmd' : 'tsx');

if (!(fs.existsSync(source) && fs.existsSync(tsx)) && fs.existsSync(built)) {
  const { runCli, processIO } = require(built);
  runCli(process.argv.slice(2), processIO).then((code) => {
    process.exitCode = code;
  });
} else {
  const { spawnSync } = require('node:child_process');
  const result = spawnSync(tsx, [source, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exitCode = result.status ?? 1;
}
