// The server words its advice for the setup page; the CLI rewrites each page action it has a command
// for. The texts come from the server's own sources, so new setup-page advice without a CLI wording
// fails here instead of reaching a terminal as "open the setup page".
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { adviceForCli } from '../../../src/cli/advice';
import { Hints } from '../../../src/cli/hints';

const SRC = path.join(__dirname, '..', '..', '..', 'src');
/** The page itself, the CLI, and HTML pages (a browser shows those, never the CLI). */
const SKIP = new Set(['ui', 'cli', path.join('auth', 'pages.ts')]);

function sourceFiles(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((entry) => {
    const child = path.join(rel, entry.name);
    if (SKIP.has(child)) return [];
    if (entry.isDirectory()) return sourceFiles(dir, child);
    return entry.name.endsWith('.ts') ? [child] : [];
  });
}

/** String literals that mention the setup page, outside comments; `${…}` becomes a sample value. */
function setupPageAdvice(): Array<{ file: string; text: string }> {
  const found: Array<{ file: string; text: string }> = [];
  for (const file of sourceFiles(SRC)) {
    const code = readFileSync(path.join(SRC, file), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    for (const match of code.matchAll(/'((?:[^'\\\n]|\\.)*)'|`((?:[^`\\]|\\.)*)`/g)) {
      const text = (match[1] ?? match[2] ?? '').replace(/\$\{[^}]*\}/g, 'sample');
      // "the setup page" in a sentence; a bare "Setup page" is a label (the local host banner).
      if (/the setup page/i.test(text)) found.push({ file, text });
    }
  }
  return found;
}

describe('advice for CLI users', () => {
  const hints = new Hints('https://app.example.net');

  it('finds the server advice that names the setup page', () => {
    expect(setupPageAdvice().length).toBeGreaterThanOrEqual(8);
  });

  it.each(setupPageAdvice())('rewrites $file: $text', ({ text }) => {
    const cli = adviceForCli(text, hints, { connectionId: 'conn-1', jobId: 'job-1' });
    expect(cli).not.toMatch(/setup page/i);
    expect(cli).toMatch(/`npm run cli -- (connection|run|runs) [^`]* --url https:\/\/app\.example\.net`/);
  });

  it('names the connection, and a placeholder when the id is not known', () => {
    const text =
      'Open the connection in the setup page and choose Authorize again; sign in with the same account.';
    expect(adviceForCli(text, hints, { connectionId: 'conn-1' })).toBe(
      'Run `npm run cli -- connection authorize conn-1 --url https://app.example.net` and open the address it prints; sign in with the same account.',
    );
    expect(adviceForCli(text, new Hints())).toBe(
      'Run `npm run cli -- connection authorize <connection id>` and open the address it prints; sign in with the same account.',
    );
  });

  it('points at runs show instead of the API address of a run', () => {
    expect(adviceForCli('Open the last run (/api/runs/run-7) to see each failed file and why.', hints)).toBe(
      'See each failed file and why with `npm run cli -- runs show run-7 --url https://app.example.net`.',
    );
  });

  it('leaves advice without a page action as it is', () => {
    const text = 'Free space in the drive, or raise its quota.';
    expect(adviceForCli(text, hints)).toBe(text);
  });
});
