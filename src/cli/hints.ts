// Follow-up commands the CLI prints ("follow it with: …", "list the jobs with …"). A hint is meant
// to be copied and run as is, so it repeats the --url the person gave: without it the next command
// would talk to the default local host instead of the app just used. The key is never repeated (it
// comes from --key or AOB_FUNCTION_KEY, and a printed key ends up in scrollback and logs).
export const PROGRAM = 'npm run cli --';

export class Hints {
  /** `url`: the base URL given with --url, or undefined when it came from AOB_URL or the default. */
  constructor(private readonly url?: string) {}

  /** The full command line for these words, e.g. command('runs', 'show', id). */
  command(...words: string[]): string {
    return [PROGRAM, ...words, ...(this.url ? ['--url', this.url] : [])].join(' ');
  }

  /** The same, in backticks, to sit inside a sentence. */
  quoted(...words: string[]): string {
    return `\`${this.command(...words)}\``;
  }

  /** `text` with each short command in backticks (`job list`) written out in full, --url included. */
  expand(text: string): string {
    return text.replace(/`([a-z][^`]*)`/g, (_match, words: string) => this.quoted(words));
  }
}
