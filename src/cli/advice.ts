// The server's advice is written for the setup page ("open the connection in the setup page and
// choose Authorize"). A person at the command line wants the command that does it, so advice that
// names a page action the CLI also has is rewritten to that command; anything else passes through.
import type { Hints } from './hints';

/** What the advice is about, so the rewritten command names the real id. */
export interface AdviceContext {
  connectionId?: string;
  jobId?: string;
}

/** A pattern and its CLI wording; `groups` are the pattern's capture groups. */
type Rule = [RegExp, (hints: Hints, ctx: AdviceContext, groups: string[]) => string];

const RULES: Rule[] = [
  [
    /Open the connection in the setup page and choose Authorize(?: again)?/g,
    (h, c) => `Run ${authorize(h, c)} and open the address it prints`,
  ],
  [
    /Open the setup page, find the connection '[^']*' and choose Authorize(?: \(or open [^)]*\))?/g,
    (h, c) => `Run ${authorize(h, c)} and open the address it prints`,
  ],
  [
    /Authorize the connection and pick its drive on the setup page/g,
    (h, c) => `Authorize the connection: run ${authorize(h, c)} and open the address it prints`,
  ],
  [
    /Start from the setup page and choose Authorize on the connection/g,
    (h, c) => `Start again with ${authorize(h, c)} and open the address it prints`,
  ],
  [
    /Go back to the setup page and choose Authorize on an existing connection/g,
    (h, c) => `Get a fresh address with ${authorize(h, c)}`,
  ],
  [
    /Check the connection’s status in the setup page: it may already be authorized\. Otherwise choose Authorize again/g,
    (h, c) =>
      `Check the connection with ${h.quoted('connection', 'list')}: it may already be authorized. Otherwise run ${authorize(h, c)}`,
  ],
  [
    /Create the connection again in the setup page and authorize it/g,
    (h) =>
      `Add the connection again with ${h.quoted('connection', 'add', '--name', '<name>')} and authorize it`,
  ],
  [
    /Test the connection; re-authorize it if the test fails/g,
    (h, c) =>
      `Test it with ${h.quoted('connection', 'test', c.connectionId ?? '<connection id>')}; if that fails, re-authorize it with ${authorize(h, c)}`,
  ],
  [
    /Open the last run \(\/api\/runs\/([^)\s]+)\) to see each failed file and why/g,
    (h, _c, [runId]) => `See each failed file and why with ${h.quoted('runs', 'show', runId!)}`,
  ],
  [
    /run the job again from the setup page/g,
    (h, c) => `run the job again with ${h.quoted('run', c.jobId ?? '<job id>')}`,
  ],
];

function authorize(hints: Hints, ctx: AdviceContext): string {
  return hints.quoted('connection', 'authorize', ctx.connectionId ?? '<connection id>');
}

/** The advice with every setup-page action the CLI can do replaced by its command. */
export function adviceForCli(text: string, hints: Hints, ctx: AdviceContext = {}): string {
  let result = text;
  for (const [pattern, replace] of RULES)
    // The callback gets the match, each group, then the offset and the whole text: keep the groups.
    result = result.replace(pattern, (...args: unknown[]) =>
      replace(hints, ctx, args.slice(1, -2) as string[]),
    );
  return result;
}
