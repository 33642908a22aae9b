// The documentation is checked against the code it describes: the configuration reference against
// the settings table, the troubleshooting page against every error code the code explains, and the
// README and docs/ against the CLI's real commands and the files their links point at.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import ts from 'typescript';
import { createFunctionTable, type FunctionTableDeps } from '../../src/app/functionTable';
import { adviseIdentityError, adviseStateProblem, type StateProblemName } from '../../src/auth/advice';
import { FUNCTION_KEY_ENV, URL_ENV } from '../../src/cli/client';
import { EXIT } from '../../src/cli/exitCodes';
import { COMMANDS, findCommand, runCli } from '../../src/cli/main';
import { SETTINGS } from '../../src/config/settings';
import { REAL_SETTINGS } from '../../src/local/mode';
import { AppError, type ErrorCode } from '../../src/errors';
import { errorResult } from '../../src/http/errors';
import { ALERT_EVENTS } from '../../src/log/alertEvents';

const ROOT = path.join(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const DOC_FILES = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).map((f) => `docs/${f}`)].filter((f) =>
  f.endsWith('.md'),
);

/** The property names of the object literal assigned to `const <name>` in a source file. */
function objectKeys(file: string, name: string): string[] {
  const source = ts.createSourceFile(file, read(file), ts.ScriptTarget.Latest, true);
  let keys: string[] | undefined;
  const visit = (node: ts.Node): void => {
    if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.name.text === name &&
      node.initializer &&
      ts.isObjectLiteralExpression(node.initializer)
    ) {
      keys = node.initializer.properties.flatMap((p) =>
        p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) || ts.isNumericLiteral(p.name))
          ? [p.name.text]
          : [],
      );
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  if (!keys) throw new Error(`${file} has no object literal named ${name}`);
  return keys;
}

/** The members of a string-literal union type alias. */
function unionMembers(file: string, name: string): string[] {
  const source = ts.createSourceFile(file, read(file), ts.ScriptTarget.Latest, true);
  const alias = source.statements.find(
    (s): s is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(s) && s.name.text === name,
  );
  if (!alias || !ts.isUnionTypeNode(alias.type)) throw new Error(`${file} has no union type ${name}`);
  return alias.type.types.flatMap((t) =>
    ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal) ? [t.literal.text] : [],
  );
}

/** The words of a shell command line: quotes and `#` comments as sh reads them, up to a `|`; no expansion. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote = '';
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = '';
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if ((ch === '#' || ch === '|') && !inWord) {
      break;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

describe('docs/configuration.md', () => {
  it('is exactly what scripts/configuration-doc.ts renders from the settings table', () => {
    // Run as its own process: prettier (which formats the page) loads itself with dynamic imports,
    // which jest's module system refuses. On failure: npx tsx scripts/configuration-doc.ts > docs/configuration.md
    const rendered = execFileSync(
      path.join(ROOT, 'node_modules', '.bin', 'tsx'),
      ['scripts/configuration-doc.ts'],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    expect(rendered).toContain('| `KEY_VAULT_URL`');
    expect(read('docs/configuration.md')).toBe(rendered);
  });

  it('has one row per setting, with its default', () => {
    const doc = read('docs/configuration.md');
    for (const spec of SETTINGS) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${spec.name}\` `));
      expect(row).toBeDefined();
      if (spec.default !== undefined) expect(row).toContain(`\`${spec.default}\``);
    }
  });
});

describe('docs/troubleshooting.md', () => {
  const doc = read('docs/troubleshooting.md');
  const documented = (code: string) => doc.includes(`\`${code}\``);

  // The advice table's codes, read from its source so that a new entry cannot go undocumented.
  const aadsts = objectKeys('src/auth/advice.ts', 'BY_CODE').map((n) => `AADSTS${n}`);
  const oauth = objectKeys('src/auth/advice.ts', 'BY_ERROR');
  const states = objectKeys('src/auth/advice.ts', 'STATE');
  const errorCodes = unionMembers('src/errors.ts', 'ErrorCode');

  it('reads the codes the code really answers with (so the checks below mean something)', () => {
    expect(aadsts.length).toBeGreaterThanOrEqual(15);
    for (const code of aadsts)
      expect(adviseIdentityError({ error: 'x', errorCodes: [Number(code.slice(6))] }).code).toBe(code);
    for (const error of oauth) expect(adviseIdentityError({ error }).code).toBe(error);
    for (const state of states)
      expect(adviseStateProblem(state as StateProblemName).code).toBe(`state-${state}`);
    expect(adviseIdentityError({ error: '' }).code).toBe('unknown_error');
    for (const code of errorCodes) expect(new AppError(code as ErrorCode, 'x').httpStatus).toBeGreaterThan(0);
    expect(errorCodes).toEqual(expect.arrayContaining(['QuotaExceeded', 'PathTooLong', 'HashMismatch']));
  });

  it.each([...aadsts, ...oauth, 'unknown_error'])('explains the sign-in error %s', (code) => {
    expect(documented(code)).toBe(true);
  });

  it.each(states.map((s) => `state-${s}`))('explains the callback problem %s', (code) => {
    expect(documented(code)).toBe(true);
  });

  it.each(errorCodes)('explains the product error code %s', (code) => {
    expect(documented(code)).toBe(true);
  });

  it('lists only product error codes that exist, each with the HTTP status the API answers with', () => {
    const table = doc.split('## Product error codes')[1]!.split('\n## ')[0]!;
    const rows = [...table.matchAll(/^\| `([A-Za-z]+)` +\| (\d{3}) +\|/gm)].map((m) => ({
      code: m[1]!,
      status: Number(m[2]),
    }));
    expect(rows.length).toBeGreaterThanOrEqual(errorCodes.length);
    // InternalError is what the API answers for anything that is not an AppError.
    const internal = errorResult(new Error('x'));
    const answered = (code: string) =>
      errorCodes.includes(code)
        ? new AppError(code as ErrorCode, 'x').httpStatus
        : code === 'InternalError' && JSON.stringify(internal.body).includes('"InternalError"')
          ? internal.status
          : undefined;
    for (const row of rows)
      expect({ ...row, answered: answered(row.code) }).toEqual({ ...row, answered: row.status });
  });

  it('explains a 403 on the source storage, secret expiry and each alert', () => {
    expect(doc).toMatch(/403.*AuthorizationPermissionMismatch.*source/);
    for (const event of Object.values(ALERT_EVENTS)) expect(documented(event)).toBe(true);
  });
});

describe('docs/architecture.md', () => {
  it('lists every function of the function table, and no other, with its trigger', () => {
    // The table is built with providers that are never called: building it reads no setting.
    const never = (() => {
      throw new Error('not called');
    }) as never;
    const deps = new Proxy({}, { get: () => never }) as FunctionTableDeps;
    const functions = createFunctionTable(deps);
    const section = read('docs/architecture.md').split('## The functions')[1]!.split('\n## ')[0]!;
    const rows = section.split('\n').filter((line) => line.startsWith('| `'));
    const patterns = rows.flatMap((row) =>
      [...row.split('|')[1]!.matchAll(/`([A-Za-z*]+)`/g)].map((m) => ({
        name: m[1]!,
        trigger: row.split('|')[2]!,
        matches: new RegExp(`^${m[1]!.replace(/\*/g, '[A-Za-z]*')}$`),
      })),
    );
    expect(functions.length).toBeGreaterThan(30);
    for (const fn of functions) {
      const listed = patterns.find((p) => p.matches.test(fn.name));
      expect({ fn: fn.name, listed: Boolean(listed) }).toEqual({ fn: fn.name, listed: true });
      const trigger = fn.trigger as {
        type: string;
        route?: string;
        queueName?: string;
        scheduleSetting?: string;
      };
      // The queue, route or schedule setting of an entry named on its own is on its row.
      if (listed!.name === fn.name) {
        const where =
          trigger.queueName ?? trigger.scheduleSetting ?? (trigger.route && `api/${trigger.route}`);
        // A row may abbreviate routes that share a prefix: `api/alerts/...`.
        const abbreviated = [...listed!.trigger.matchAll(/`(api\/[^`]*)\.\.\.`/g)].some((m) =>
          where?.startsWith(m[1]!),
        );
        if (where)
          expect({
            fn: fn.name,
            where,
            row: listed!.trigger.includes(`\`${where}\``) || abbreviated,
          }).toEqual({
            fn: fn.name,
            where,
            row: true,
          });
      }
    }
    for (const p of patterns)
      expect({ pattern: p.name, used: functions.some((fn) => p.matches.test(fn.name)) }).toEqual({
        pattern: p.name,
        used: true,
      });
  });
});

describe('README.md and docs/', () => {
  it('name only CLI commands that exist', () => {
    const used: string[] = [];
    for (const file of DOC_FILES)
      for (const match of read(file).matchAll(/npm run (?:-s )?cli -- ([a-z][a-z ]*[a-z])/g))
        used.push(match[1]!);
    expect(used.length).toBeGreaterThan(5);
    for (const words of used) {
      const found = findCommand(words.split(' '));
      expect({ words, found: Boolean(found) }).toEqual({ words, found: true });
    }
    // And every command is shown somewhere, so none is a secret.
    const all = DOC_FILES.map(read).join('\n');
    for (const command of COMMANDS) expect(all).toContain(`npm run cli -- ${command.path.join(' ')}`);
  });

  it('give CLI commands only options those commands take', () => {
    let checked = 0;
    for (const file of DOC_FILES)
      for (const line of read(file).split('\n'))
        for (const match of line.matchAll(
          // After `npm run cli --`, or a code span that starts with a command (`restore <job id> --container x`).
          /(?:(?:npm run (?:-s )?cli --|npx azure-onedrive-backup) |(?<![`\w])`(?=[a-z]+ ))([^`|#]*)/g,
        )) {
          const words = match[1]!.trim().split(/\s+/);
          const found = findCommand(words.slice(0, words.findIndex((w) => !/^[a-z]+$/.test(w)) >>> 0));
          if (!found) continue;
          for (const option of match[1]!.matchAll(/(?:^|\s)--([a-z][a-z-]*)/g)) {
            const known = option[1] === 'help' || option[1]! in found.command.options;
            checked++;
            expect({ file, command: found.command.path.join(' '), option: option[1], known }).toEqual({
              file,
              command: found.command.path.join(' '),
              option: option[1],
              known: true,
            });
          }
        }
    expect(checked).toBeGreaterThan(10);
  });

  it('give CLI command lines that the CLI accepts as written (no missing or malformed option)', async () => {
    // Each documented command line runs through the real CLI with placeholders filled in and a
    // fetch that fails as an unreachable app does: a line the CLI accepts gets as far as the request
    // (exit 4, temporary); a line missing a required option or argument stops before it (exit 2).
    const lines: Array<{ file: string; line: string }> = [];
    for (const file of DOC_FILES.filter((f) => f !== 'docs/benchmarks.md')) {
      const text = read(file);
      for (const block of text.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g))
        for (const line of block[1]!.replace(/\\\n\s*/g, ' ').split('\n')) {
          const at = line.indexOf('npm run cli -- ');
          if (at >= 0) lines.push({ file, line: line.slice(at) });
        }
      for (const match of text.matchAll(/`(npm run (?:-s )?cli -- [^`]+)`/g))
        lines.push({ file, line: match[1]! });
    }
    const filled = (line: string) =>
      line
        .replace(/"?\$\([^)]*\)"?/g, 'https://app.invalid')
        .replace(/<FUNCTION_BASE_URL>/g, 'https://app.invalid')
        .replace(/YYYY-MM-DD/g, '2027-01-31')
        .replace(/<[^>]+>/g, 'id1');
    let ran = 0;
    for (const { file, line } of lines) {
      // `...` elides options, `<command>` stands for any command: neither is a line to run.
      if (line.includes('...') || line.includes('<command>')) continue;
      const words = shellWords(filled(line));
      const argv = words.slice(words.indexOf('--') + 1);
      let stderr = '';
      const io = {
        stdin: Readable.from(['secret-value\n']),
        stdout: new Writable({ write: (_c, _e, done) => done() }),
        stderr: new Writable({
          write: (chunk, _e, done) => {
            stderr += String(chunk);
            done();
          },
        }),
        env: { AOB_FUNCTION_KEY: 'key' },
        fetch: () =>
          Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } })),
        pollIntervalMs: 1,
      };
      const code = await runCli(argv, io);
      ran++;
      if (code === EXIT.usage)
        expect({ file, line, stderr: stderr.trim() }).toEqual({ file, line, stderr: '' });
    }
    expect(ran).toBeGreaterThan(30);
  });

  it('name only settings that exist (or deployment variables the templates and scripts use)', () => {
    const settings = new Set(SETTINGS.map((s) => s.name));
    // Names that are not app settings (azd variables, template outputs, the local host's own
    // variables) must at least occur in the code, templates or scripts that read them.
    const code = ['src', 'functions', 'infra', 'scripts']
      .flatMap((dir) =>
        readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' }).map((f) => `${dir}/${f}`),
      )
      .filter((f) => /\.(ts|bicep|bicepparam|sh|ps1)$/.test(f))
      .concat('azure.yaml')
      .map(read)
      .join('\n');
    let checked = 0;
    for (const file of DOC_FILES.filter((f) => f !== 'docs/benchmarks.md'))
      for (const match of read(file).matchAll(/`%?([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(?:__[A-Za-z]+)?)%?`/g)) {
        const name = match[1]!;
        checked++;
        const exists = settings.has(name) || new RegExp(`\\b${name}\\b`).test(code);
        expect({ file, name, exists }).toEqual({ file, name, exists: true });
      }
    expect(checked).toBeGreaterThan(50);
  });

  it('give the defaults the settings table has, where they write `SETTING` (default N)', () => {
    let checked = 0;
    for (const file of DOC_FILES.filter((f) => f !== 'docs/benchmarks.md'))
      for (const match of read(file).matchAll(/`([A-Z][A-Z0-9_]+)`,? \(?default ([\d, ]*\d)/g)) {
        const spec = SETTINGS.find((s) => s.name === match[1]);
        if (!spec) continue;
        checked++;
        const written = match[2]!.replace(/\s/g, '');
        expect({ file, name: spec.name, default: written }).toEqual({
          file,
          name: spec.name,
          default: spec.default,
        });
      }
    expect(checked).toBeGreaterThanOrEqual(4);
  });

  it("quote host.json's queue settings as host.json has them", () => {
    const queues = (
      JSON.parse(read('host.json')) as { extensions: { queues: Record<string, number | string> } }
    ).extensions.queues;
    // A duration such as 00:00:30 is quoted in seconds.
    const seconds = (v: number | string) =>
      typeof v === 'number' ? v : v.split(':').reduce((total, part) => total * 60 + Number(part), 0);
    let checked = 0;
    for (const file of DOC_FILES.filter((f) => f !== 'docs/benchmarks.md'))
      for (const match of read(file).matchAll(/`([a-zA-Z]+)` \(?(\d+)/g)) {
        const value = queues[match[1]!];
        if (value === undefined) continue;
        checked++;
        expect({ file, setting: match[1], quoted: Number(match[2]) }).toEqual({
          file,
          setting: match[1],
          quoted: seconds(value),
        });
      }
    expect(checked).toBeGreaterThanOrEqual(4);
  });

  it('name only log events the code writes', () => {
    // Every event name the code logs with, e.g. 'graph.throttle.shared'; their first words are the
    // areas, so a doc's `quota.remaining` (a field) is not mistaken for an event.
    const code = ['src', 'functions']
      .flatMap((dir) =>
        readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' }).map((f) => `${dir}/${f}`),
      )
      .filter((f) => f.endsWith('.ts'))
      .map(read)
      .join('\n');
    const events = new Set(
      [...code.matchAll(/\.(?:info|warn|error|debug)\(\s*'([a-z][a-zA-Z_]*(?:\.[a-zA-Z_]+)+)'/g)].map(
        (m) => m[1]!,
      ),
    );
    const areas = new Set([...events].map((e) => e.split('.')[0]));
    expect(areas.size).toBeGreaterThan(10);
    let checked = 0;
    for (const file of DOC_FILES.filter((f) => f !== 'docs/benchmarks.md'))
      for (const match of read(file).matchAll(/`([a-z][a-zA-Z_]*(?:\.[a-zA-Z_]+)+)`/g)) {
        const name = match[1]!;
        // File names (`http.ts`) are not events.
        if (!areas.has(name.split('.')[0]!) || /\.(ts|js|json|jsonl|md|gz|pem|cer)$/.test(name)) continue;
        checked++;
        const exists = events.has(name) || code.includes(`'${name}'`);
        expect({ file, name, exists }).toEqual({ file, name, exists: true });
      }
    expect(checked).toBeGreaterThan(10);
  });

  it('link only to files that exist', () => {
    for (const file of DOC_FILES) {
      for (const match of read(file).matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        const target = match[1]!;
        if (/^[a-z]+:/.test(target)) continue;
        const resolved = path.join(ROOT, path.dirname(file), target);
        expect({ file, target, exists: existsSync(resolved) }).toEqual({ file, target, exists: true });
      }
    }
  });

  it('link only to headings that exist (GitHub anchors)', () => {
    // GitHub's anchor of a heading: lower case, punctuation dropped, each space a hyphen.
    const slug = (heading: string) =>
      heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-');
    const anchors = (file: string) =>
      new Set(
        read(file)
          .replace(/```[\s\S]*?```/g, '')
          .split('\n')
          .filter((line) => /^#{1,6} /.test(line))
          .map((line) => slug(line.replace(/^#+ /, ''))),
      );
    let checked = 0;
    for (const file of DOC_FILES)
      for (const match of read(file).matchAll(/\]\(([^)#\s]*)#([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(match[1]!)) continue;
        const target = match[1] ? path.normalize(path.join(path.dirname(file), match[1])) : file;
        checked++;
        const exists = anchors(target).has(match[2]!);
        expect({ file, target, anchor: match[2], exists }).toEqual({
          file,
          target,
          anchor: match[2],
          exists: true,
        });
      }
    expect(checked).toBeGreaterThan(10);
  });

  it("list the CLI's exit codes and environment variables, and how to get clean --json", () => {
    const readme = read('README.md');
    const rows = readme.split('\n').filter((line) => /^\| \d+ +\|/.test(line));
    expect(rows.map((row) => Number(/^\| (\d+)/.exec(row)![1]))).toEqual(Object.values(EXIT));
    for (const name of [URL_ENV, FUNCTION_KEY_ENV]) expect(readme).toContain(`\`${name}\``);
    expect(readme).toContain('npm run -s cli -- ');
  });

  it('name every setting that turns off the embedded backends of npm start', () => {
    const paragraph = read('README.md')
      .split('\n- ')
      .find((item) => item.startsWith('**Embedded defaults.**'));
    expect(paragraph).toBeDefined();
    const named = paragraph!
      .split(' is set,')[0]!
      .match(/`[A-Za-z_]+`/g)!
      .map((n) => n.slice(1, -1));
    expect(named.sort()).toEqual([...REAL_SETTINGS].sort());
  });

  it('give the two set-up commands that package.json really has', () => {
    const readme = read('README.md');
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(Object.keys(scripts)).toEqual(expect.arrayContaining(['start', 'test', 'cli']));
  });
});
