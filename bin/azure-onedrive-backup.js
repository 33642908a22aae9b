#!/usr/bin/env node
// Launcher for the CLI: the compiled build when present (`npm run build`), else the TypeScript
// source through tsx (a development checkout). All behaviour lives in src/cli/.
'use strict';
const path = require('node:path');
const fs = require('node:fs');

const root = path.join(__dirname, '..');
const built = path.join(root, 'dist', 'src', 'cli', 'main.js');

if (fs.existsSync(built)) {
  const { runCli, processIO } = require(built);
  runCli(process.argv.slice(2), processIO).then((code) => {
    process.exitCode = code;
  });
} else {
  const { spawnSync } = require('node:child_process');
  const tsx = path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'tsx.cmd' : 'tsx');
  const result = spawnSync(tsx, [path.join(root, 'src', 'cli', 'main.ts'), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exitCode = result.status ?? 1;
}
