// The deployment package holds only what runs, and what it holds runs. Built the way azd builds it
// (`npm run build`, then every file .funcignore does not exclude: scripts/funcPackage.ts), copied to
// a temporary folder with the production dependencies only, then `main` is loaded in a fresh Node
// process with a recording `app` from @azure/functions: it must register every function of the table.
//
// Production dependencies come from this checkout's node_modules (the set `npm ls --omit=dev`
// lists), not from the registry: the same versions `npm install --omit=dev` would install from the
// lockfile, offline and in seconds.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { REPO_ROOT } from '../../scripts/bicep';
import { writeClientBundle } from '../../scripts/build-client';
import { isIgnored, packageFiles, parseIgnore } from '../../scripts/funcPackage';
import { createAppRoot } from '../../src/app/root';

/** The app's table; its shape needs no settings, so none are read. */
const FUNCTIONS = createAppRoot({
  config: () => {
    throw new Error('the table was listed, not run');
  },
}).functions;

interface Registration {
  kind: string;
  name: string;
  route?: string;
  queueName?: string;
  schedule?: string;
}

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  main: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

describe('.funcignore rules (gitignore syntax)', () => {
  const rules = parseIgnore('*\n!/dist/\n!/dist/**\n/dist/bench/\n*.map\n');
  it.each([
    ['dist/functions/index.js', false, false],
    ['dist/bench/run.js', false, true],
    ['dist/bench', true, true],
    ['dist/src/a.js.map', false, true],
    ['src/app/types.ts', false, true],
    ['.local', true, true],
  ])('%s (dir %s) ignored: %s', (path, isDir, ignored) => {
    expect(isIgnored(rules, path, isDir)).toBe(ignored);
  });
});

describe('the deployment package', () => {
  let files: string[];
  let dir: string;

  beforeAll(() => {
    // As azd does before packaging a Node function app (`npm run build`: tsc, then the setup page's
    // bundle, which the deployed app cannot make itself for want of esbuild).
    execFileSync(
      process.execPath,
      [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: REPO_ROOT,
        stdio: 'pipe',
      },
    );
    writeClientBundle();
    files = packageFiles(REPO_ROOT);
    dir = mkdtempSync(join(tmpdir(), 'funcpkg-'));
    const app = join(dir, 'app');
    for (const file of files) cpSync(join(REPO_ROOT, file), join(app, file));
    installProductionDependencies(app);
  }, 300_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('holds the entry point, host.json and the manifest with its lockfile', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        pkg.main,
        'dist/src/ui/client.bundle.js',
        'host.json',
        'package.json',
        'package-lock.json',
      ]),
    );
  });

  it('holds nothing that does not run: no .git, .local, sources, tests, benchmarks, docs, infra, keys or dev trees', () => {
    const forbidden = [
      /^\.git(\/|$)/,
      /^\.local\//,
      /^node_modules\//,
      /^(src|functions|test|bench|docs|infra|scripts|emulators|bin)\//,
      /^dist\/(bench|scripts|emulators|test)\//,
      /^dist\/src\/(local|cli)\//,
      /local\.settings/,
      /\.(pem|key|pfx|crt|ts|map)$/,
      /(^|\/)keys?\//,
      /\.env$/,
    ];
    const offending = files.filter((f) => forbidden.some((re) => re.test(f)));
    expect(offending).toEqual([]);
    // Only the compiled code and the three files at the top.
    expect(files.filter((f) => !f.startsWith('dist/'))).toEqual([
      'host.json',
      'package-lock.json',
      'package.json',
    ]);
  });

  it('installs with production dependencies only', () => {
    const installed = (name: string) => existsSync(join(dir, 'app', 'node_modules', name, 'package.json'));
    for (const name of Object.keys(pkg.dependencies))
      expect({ name, installed: installed(name) }).toEqual({ name, installed: true });
    for (const name of Object.keys(pkg.devDependencies))
      expect({ name, installed: installed(name) }).toEqual({ name, installed: false });
  });

  it('loads main and registers every function of the table, with its trigger', () => {
    const registrations = loadMain(join(dir, 'app'), join(dir, 'record.js'));
    const expected = FUNCTIONS.map((fn) => ({
      name: fn.name,
      kind: { http: 'http', timer: 'timer', queue: 'storageQueue', eventGrid: 'eventGrid' }[fn.trigger.type],
    }));
    expect(registrations.map(({ name, kind }) => ({ name, kind })).sort(byName)).toEqual(
      expected.sort(byName),
    );
    for (const fn of FUNCTIONS) {
      const got = registrations.find((r) => r.name === fn.name)!;
      if (fn.trigger.type === 'http') expect(got.route).toBe(fn.trigger.route);
      if (fn.trigger.type === 'queue') expect(got.queueName).toBe(fn.trigger.queueName);
    }
  });
});

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

/** Copies the production dependency tree (npm's own answer, from the lockfile) into `app/node_modules`. */
function installProductionDependencies(app: string): void {
  const listed = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && line !== REPO_ROOT);
  const modules = join(REPO_ROOT, 'node_modules');
  const copied: string[] = [];
  for (const path of listed.sort()) {
    // A nested node_modules inside a copied package comes with it.
    if (copied.some((parent) => path.startsWith(`${parent}/`))) continue;
    const rel = relative(modules, path);
    cpSync(path, join(app, 'node_modules', rel), { recursive: true, dereference: true });
    copied.push(path);
  }
  expect(existsSync(join(dirname(app), 'node_modules'))).toBe(false);
}

/**
 * Runs `main` in a fresh Node process whose `@azure/functions` `app` records registrations (outside
 * the Functions host the real one silently ignores them), and returns what it recorded.
 */
function loadMain(app: string, hook: string): Registration[] {
  writeFileSync(
    hook,
    `const Module = require('node:module');
const registrations = [];
const record = (kind) => (name, options) =>
  registrations.push({ kind, name, route: options.route, queueName: options.queueName, schedule: options.schedule });
const load = Module._load;
Module._load = function (request, parent, isMain) {
  const real = load.call(this, request, parent, isMain);
  if (request !== '@azure/functions') return real;
  return { ...real, app: { ...real.app, http: record('http'), timer: record('timer'), storageQueue: record('storageQueue'), eventGrid: record('eventGrid') } };
};
process.on('exit', () => process.stdout.write(JSON.stringify(registrations)));
`,
  );
  const main = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')).main as string;
  const result = spawnSync(process.execPath, ['-r', hook, join(app, main)], {
    cwd: app,
    // Nothing from this checkout: no NODE_PATH, no settings.
    env: { PATH: process.env.PATH },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`main did not load:\n${result.stderr}`);
  return JSON.parse(result.stdout) as Registration[];
}
