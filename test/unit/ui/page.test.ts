// The setup page's script: bundled from the browser modules, served inline exactly as built, and
// allowed by the policy through its hash. The deployed app serves the file `npm run build` wrote
// and must not need esbuild; run from the sources, the page bundles the modules itself.
import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BUILT_UI_DIR, writeClientBundle } from '../../../scripts/build-client';
import { bundleClientScript } from '../../../src/ui/clientBundle';
import { CLIENT_BUNDLE_FILE, loadClientScript } from '../../../src/ui/clientScript';
import { buildSetupPage, setupPageResult } from '../../../src/ui/page';

const ROOT = path.join(__dirname, '..', '..', '..');

function servedScript(html: string): string {
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1]);
  expect(scripts).toHaveLength(1);
  return scripts[0];
}

function allowedScriptHashes(policy: string): string[] {
  const directive = policy.split('; ').find((part) => part.startsWith('script-src '));
  return (directive ?? '').split(' ').slice(1);
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'setup-page-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the setup page script', () => {
  it('is served from the sources as the bundle the build writes, allowed by its hash only', async () => {
    const result = await setupPageResult();
    const script = servedScript(String(result.body));
    const policy = result.headers?.['content-security-policy'] ?? '';
    writeClientBundle(dir);
    expect(script).toBe(readFileSync(path.join(dir, CLIENT_BUNDLE_FILE), 'utf8'));
    expect(allowedScriptHashes(policy)).toEqual([sha256(script)]);
  });

  it('is the prebuilt file byte for byte when there is one, and the policy hashes that file', async () => {
    writeClientBundle(dir);
    // A mark only the file has: what is served must come from the file, not a fresh bundle.
    appendFileSync(path.join(dir, CLIENT_BUNDLE_FILE), '\n// prebuilt\n');
    const built = readFileSync(path.join(dir, CLIENT_BUNDLE_FILE), 'utf8');
    const page = buildSetupPage(await loadClientScript(dir));
    expect(servedScript(page.html)).toBe(built);
    expect(allowedScriptHashes(page.contentSecurityPolicy)).toEqual([sha256(built)]);
  });

  it('needs no esbuild when the prebuilt file is there, and names the build step when it is not', async () => {
    writeClientBundle(dir);
    await jest.isolateModulesAsync(async () => {
      jest.doMock('esbuild', () => {
        throw new Error('esbuild is not deployed');
      });
      const deployed: typeof import('../../../src/ui/clientScript') =
        await import('../../../src/ui/clientScript');
      await expect(deployed.loadClientScript(dir)).resolves.toBe(
        readFileSync(path.join(dir, CLIENT_BUNDLE_FILE), 'utf8'),
      );
      const empty = mkdtempSync(path.join(tmpdir(), 'setup-page-empty-'));
      try {
        await expect(deployed.loadClientScript(empty)).rejects.toThrow(/is missing.*run npm run build/);
      } finally {
        rmSync(empty, { recursive: true, force: true });
      }
    });
  });

  it('is written by the build where the compiled page module looks for it', () => {
    const base = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8')).compilerOptions;
    const build = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')).compilerOptions;
    const outDir = path.resolve(ROOT, build.outDir ?? base.outDir);
    const rootDir = path.resolve(ROOT, build.rootDir ?? base.rootDir);
    const compiledUiDir = path.join(outDir, path.relative(rootDir, path.join(ROOT, 'src', 'ui')));
    expect(BUILT_UI_DIR).toBe(compiledUiDir);
  });

  it('may import types from the server but refuses a value from it', () => {
    const errors = path.join(ROOT, 'src', 'errors');
    const typesOnly = path.join(dir, 'types-only.ts');
    writeFileSync(
      typesOnly,
      `import type { AppError } from '${errors}';\nexport const e: AppError | null = null;\n`,
    );
    expect(bundleClientScript(typesOnly)).not.toContain('class AppError');
    const withValue = path.join(dir, 'with-value.ts');
    writeFileSync(withValue, `import { AppError } from '${errors}';\nconsole.log(AppError);\n`);
    expect(() => bundleClientScript(withValue)).toThrow(/may only import values from .*src[\\/]errors\.ts/);
  });

  it('is never inlined when it would close its own script element early', () => {
    expect(() => buildSetupPage("document.title = '</script><script>alert(1)';")).toThrow(/<\/script/);
    expect(servedScript(buildSetupPage("document.title = 'ok';").html)).toBe("document.title = 'ok';");
  });
});
