// The deployment package as azd and Core Tools build it: every file of the project folder that
// .funcignore (gitignore syntax) does not exclude. A directory that is excluded is not entered, as
// in git, so nothing below it can be let back in. Used by test/infra/package.test.ts; also
// `npx tsx scripts/funcPackage.ts` prints the list.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

interface Rule {
  negate: boolean;
  dirOnly: boolean;
  regex: RegExp;
}

function globToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i += 1) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      out += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return out;
}

export function parseIgnore(text: string): Rule[] {
  const rules: Rule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trimEnd();
    if (!line || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1);
    const dirOnly = line.endsWith('/');
    if (dirOnly) line = line.slice(0, -1);
    // A slash at the start or in the middle anchors the pattern to the project folder.
    const anchored = line.includes('/');
    if (line.startsWith('/')) line = line.slice(1);
    const body = globToRegex(line);
    rules.push({ negate, dirOnly, regex: new RegExp(anchored ? `^${body}$` : `(?:^|/)${body}$`) });
  }
  return rules;
}

function matches(rules: readonly Rule[], path: string, isDir: boolean): boolean {
  let ignored = false;
  for (const rule of rules) {
    if (rule.dirOnly && !isDir) continue;
    if (rule.regex.test(path)) ignored = !rule.negate;
  }
  return ignored;
}

/**
 * Whether `path` (relative, with `/`) is excluded: the last rule that matches decides, and a path
 * under an excluded directory is excluded whatever later rules say about the path itself.
 */
export function isIgnored(rules: readonly Rule[], path: string, isDir: boolean): boolean {
  const parts = path.split('/');
  for (let i = 1; i < parts.length; i += 1)
    if (matches(rules, parts.slice(0, i).join('/'), true)) return true;
  return matches(rules, path, isDir);
}

/** Every file the package holds, relative to `root`, sorted. */
export function packageFiles(root: string, ignoreFile = '.funcignore'): string[] {
  const rules = parseIgnore(readFileSync(join(root, ignoreFile), 'utf8'));
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const rel = relative(root, full).split(sep).join('/');
      const isDir = entry.isDirectory();
      // Parents were checked on the way down: only this entry's own rules are left to apply.
      if (matches(rules, rel, isDir)) continue;
      if (isDir) walk(full);
      else if (entry.isFile()) out.push(rel);
    }
  };
  walk(root);
  return out.sort();
}

if (require.main === module) {
  for (const file of packageFiles(join(__dirname, '..'))) console.log(file);
}
