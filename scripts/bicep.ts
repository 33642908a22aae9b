// Finds the Bicep compiler, compiles and lints the templates in infra/. Used by the infra tests and
// from the command line:
//
//   npx tsx scripts/bicep.ts where              which compiler would be used
//   npx tsx scripts/bicep.ts restore            download the pinned compiler from NuGet with dotnet
//   npx tsx scripts/bicep.ts check [files...]   build and lint (default: infra/main.bicep, infra/eventgrid.bicep)
//   npx tsx scripts/bicep.ts build <file>       print the compiled ARM JSON
//
// The compiler is looked for in this order: $BICEP_PATH; the copy restored into .local/bicep (so
// tests use the pinned version when it is there); `bicep` on PATH; the copy `az bicep install`
// puts in ~/.azure/bin. `restore` fetches NuGet package Azure.Bicep.CommandLine.linux-x64 (a
// self-contained executable at tools/bicep) through a throwaway project, so only the .NET SDK is
// needed, not the Azure CLI.
import { execFile } from 'node:child_process';
import { existsSync, chmodSync, mkdirSync, writeFileSync, accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

/** Pinned so results do not change under us; bump deliberately (`dotnet package search Azure.Bicep.CommandLine.linux-x64 --exact-match`). */
export const BICEP_VERSION = process.env.BICEP_VERSION ?? '0.49.2';
const PACKAGE_ID = 'Azure.Bicep.CommandLine.linux-x64';
export const REPO_ROOT = resolve(__dirname, '..');
export const CACHE_DIR = join(REPO_ROOT, '.local', 'bicep');
export const DEFAULT_TEMPLATES = ['infra/main.bicep', 'infra/eventgrid.bicep'];

export const HOW_TO_GET_BICEP =
  'The Bicep compiler was not found. Get it with `.ci/setup-tools` (or `npx tsx scripts/bicep.ts restore`), ' +
  `which restores NuGet package ${PACKAGE_ID} ${BICEP_VERSION} with dotnet into .local/bicep; ` +
  'or install Bicep (https://aka.ms/bicep-install, or `az bicep install`), or set BICEP_PATH to the executable.';

export interface BicepCompiler {
  path: string;
  /** Where it was found. */
  source: 'BICEP_PATH' | 'nuget-cache' | 'PATH' | 'az';
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Diagnostic {
  level: 'error' | 'warning' | 'info';
  code: string;
  message: string;
  file?: string;
  line?: number;
}

/** A compiled ARM template, loosely typed: tests walk it. */
export type ArmTemplate = Record<string, unknown>;

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function nugetExecutable(version = BICEP_VERSION): string {
  // NuGet lower-cases package folders.
  return join(CACHE_DIR, 'packages', PACKAGE_ID.toLowerCase(), version, 'tools', 'bicep');
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (existsSync(candidate) && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** The compiler to use, or undefined (then HOW_TO_GET_BICEP says what to do). Never downloads. */
export function findBicep(): BicepCompiler | undefined {
  const fromEnv = process.env.BICEP_PATH;
  if (fromEnv) {
    if (isExecutable(fromEnv)) return { path: fromEnv, source: 'BICEP_PATH' };
    throw new Error(`BICEP_PATH is set to ${fromEnv}, which is not an executable file.`);
  }
  const cached = nugetExecutable();
  if (existsSync(cached)) {
    // NuGet extracts without the execute bit; a cache restored by another tool may lack it.
    if (!isExecutable(cached)) chmodSync(cached, 0o755);
    return { path: cached, source: 'nuget-cache' };
  }
  const path = onPath('bicep');
  if (path) return { path, source: 'PATH' };
  const az = join(homedir(), '.azure', 'bin', 'bicep');
  if (isExecutable(az)) return { path: az, source: 'az' };
  return undefined;
}

export function run(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      file,
      args,
      { cwd: REPO_ROOT, env, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(error);
        resolvePromise({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

/** Downloads the pinned compiler from NuGet with `dotnet restore` (idempotent). */
export async function restoreBicep(): Promise<BicepCompiler> {
  const exe = nugetExecutable();
  if (!existsSync(exe)) {
    if (!onPath('dotnet')) throw new Error(`dotnet is not installed. ${HOW_TO_GET_BICEP}`);
    const projectDir = join(CACHE_DIR, 'restore');
    mkdirSync(projectDir, { recursive: true });
    // PackageDownload fetches a package without referencing it, so its target framework does not
    // matter and nothing is built.
    writeFileSync(
      join(projectDir, 'restore.csproj'),
      [
        '<Project Sdk="Microsoft.NET.Sdk">',
        '  <PropertyGroup><TargetFramework>netstandard2.0</TargetFramework></PropertyGroup>',
        `  <ItemGroup><PackageDownload Include="${PACKAGE_ID}" Version="[${BICEP_VERSION}]" /></ItemGroup>`,
        '</Project>',
        '',
      ].join('\n'),
    );
    const result = await run(
      'dotnet',
      [
        'restore',
        join(projectDir, 'restore.csproj'),
        '--packages',
        join(CACHE_DIR, 'packages'),
        '--verbosity',
        'quiet',
      ],
      {
        ...process.env,
        DOTNET_CLI_TELEMETRY_OPTOUT: '1',
        DOTNET_NOLOGO: '1',
        DOTNET_SKIP_FIRST_TIME_EXPERIENCE: '1',
      },
    );
    if (result.code !== 0 || !existsSync(exe)) {
      throw new Error(
        `dotnet restore of ${PACKAGE_ID} ${BICEP_VERSION} failed:\n${result.stdout}${result.stderr}`,
      );
    }
  }
  if (!isExecutable(exe)) chmodSync(exe, 0o755);
  return { path: exe, source: 'nuget-cache' };
}

function abs(file: string): string {
  return resolve(REPO_ROOT, file);
}

/** Compiles a .bicep file to ARM JSON; throws with the compiler's messages when it fails. */
export async function buildTemplate(compiler: BicepCompiler, file: string): Promise<ArmTemplate> {
  const result = await run(compiler.path, ['build', abs(file), '--stdout']);
  if (result.code !== 0) throw new Error(`bicep build ${file} failed:\n${result.stderr}`);
  return JSON.parse(result.stdout) as ArmTemplate;
}

/** Compiles a .bicepparam file with the given environment: the deployment parameters and the template they are for. */
export async function buildParams(
  compiler: BicepCompiler,
  file: string,
  env: NodeJS.ProcessEnv,
): Promise<
  | { ok: true; parameters: Record<string, { value: unknown }>; template: ArmTemplate }
  | { ok: false; stderr: string }
> {
  const result = await run(compiler.path, ['build-params', abs(file), '--stdout'], env);
  if (result.code !== 0) return { ok: false, stderr: result.stderr };
  const out = JSON.parse(result.stdout) as { parametersJson: string; templateJson: string };
  return {
    ok: true,
    parameters: (JSON.parse(out.parametersJson) as { parameters: never }).parameters,
    template: JSON.parse(out.templateJson) as ArmTemplate,
  };
}

interface SarifLog {
  runs: Array<{
    results?: Array<{
      ruleId: string;
      level?: string;
      message: { text: string };
      locations?: Array<{
        physicalLocation?: { artifactLocation?: { uri?: string }; region?: { startLine?: number } };
      }>;
    }>;
  }>;
}

function parseSarif(text: string): Diagnostic[] {
  const sarif = JSON.parse(text) as SarifLog;
  return sarif.runs.flatMap((r) =>
    (r.results ?? []).map((d) => ({
      level: d.level === 'error' ? 'error' : d.level === 'warning' ? 'warning' : 'info',
      code: d.ruleId,
      message: d.message.text,
      file: d.locations?.[0]?.physicalLocation?.artifactLocation?.uri,
      line: d.locations?.[0]?.physicalLocation?.region?.startLine,
    })),
  );
}

/**
 * Compiles and lints in one run of the compiler (`build` applies the same linter rules as `lint`,
 * and one start of the compiler is most of the cost): the ARM JSON, or undefined when the build
 * failed, and every diagnostic.
 */
export async function compile(
  compiler: BicepCompiler,
  file: string,
): Promise<{ template: ArmTemplate | undefined; diagnostics: Diagnostic[] }> {
  const result = await run(compiler.path, ['build', abs(file), '--stdout', '--diagnostics-format', 'sarif']);
  let diagnostics: Diagnostic[];
  try {
    diagnostics = parseSarif(result.stderr);
  } catch {
    throw new Error(`bicep build ${file} failed:\n${result.stderr}`);
  }
  const template = result.code === 0 ? (JSON.parse(result.stdout) as ArmTemplate) : undefined;
  return { template, diagnostics };
}

/** Lints a file (compiler diagnostics and the linter rules in infra/bicepconfig.json). */
export async function lint(compiler: BicepCompiler, file: string): Promise<Diagnostic[]> {
  const result = await run(compiler.path, ['lint', abs(file), '--diagnostics-format', 'sarif']);
  // Exit code 1 just means "there were errors"; anything without SARIF on stdout is a real failure.
  if (!result.stdout.trim()) throw new Error(`bicep lint ${file} failed:\n${result.stderr}`);
  return parseSarif(result.stdout);
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file ?? ''}${d.line ? `:${d.line}` : ''} ${d.level} ${d.code}: ${d.message}`;
}

/**
 * Diagnostics that fail a check: every error, and every warning too, since a compiler warning
 * here is almost always a misspelt property or a type mismatch that Azure would reject or,
 * worse, silently ignore (an ignored security property is not a harmless typo).
 */
export function failing(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d) => d.level === 'error' || d.level === 'warning');
}

async function main(argv: string[]): Promise<number> {
  const [command = 'check', ...files] = argv;
  if (command === 'restore') {
    const compiler = await restoreBicep();
    const version = await run(compiler.path, ['--version']);
    console.log(`${compiler.path}\n${version.stdout.trim()}`);
    return 0;
  }
  const compiler = findBicep();
  if (!compiler) {
    console.error(HOW_TO_GET_BICEP);
    return 1;
  }
  if (command === 'where') {
    const version = await run(compiler.path, ['--version']);
    console.log(`${compiler.path} (${compiler.source})\n${version.stdout.trim()}`);
    return 0;
  }
  if (command === 'build') {
    if (files.length !== 1) throw new Error('usage: bicep.ts build <file.bicep>');
    console.log(JSON.stringify(await buildTemplate(compiler, files[0]), null, 2));
    return 0;
  }
  if (command === 'check') {
    let failed = 0;
    for (const file of files.length ? files : DEFAULT_TEMPLATES) {
      const started = Date.now();
      // `build` already applies the linter rules; `lint` is run too so the CLI check is exactly
      // what a person running `bicep lint` would see.
      const [{ diagnostics }, linted] = await Promise.all([compile(compiler, file), lint(compiler, file)]);
      const seen = new Set<string>();
      const bad = failing([...diagnostics, ...linted]).filter((d) => {
        const key = formatDiagnostic(d);
        return seen.has(key) ? false : (seen.add(key), true);
      });
      for (const d of bad) console.error(formatDiagnostic(d));
      failed += bad.length;
      console.log(`${file}: built and linted in ${Date.now() - started} ms, ${bad.length} problem(s)`);
    }
    return failed ? 1 : 0;
  }
  console.error(`unknown command ${command}; use where, restore, check or build`);
  return 2;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
