// The command-line entry: `npm run cli -- <command words> [arguments] [options]` (or the
// `azure-onedrive-backup` bin). A small router: each command lives in its own module and is listed
// in COMMANDS; the longest matching word path wins, so `job create` and `job list` can coexist.
// Every failure is one line on stderr; the exit code says which kind (./exitCodes.ts). Nothing but
// the command's own output goes to stdout, so with --json stdout is exactly one JSON document.
import { parseArgs } from 'node:util';
import packageJson from '../../package.json';
import { browseCommands } from './browse';
import { certificateCommand } from './certificate';
import {
  CliFailure,
  UsageError,
  writeLine,
  writeLines,
  type CliIO,
  type Command,
  type OptionValues,
} from './command';
import { connectionCommands } from './connections';
import { EXIT } from './exitCodes';
import { PROGRAM } from './hints';
import { jobEditCommands } from './jobEdit';
import { encryptionCommands } from './jobEncryption';
import { jobCommands } from './jobs';
import { restoreCommand } from './restore';
import { runCommands } from './runs';
import { secretSetCommand } from './secretSet';
import { statusCommand } from './status';

export const COMMANDS: Command[] = [
  statusCommand,
  secretSetCommand,
  certificateCommand,
  ...connectionCommands,
  ...browseCommands,
  ...jobCommands,
  ...jobEditCommands,
  ...encryptionCommands,
  ...runCommands,
  restoreCommand,
];

function synopsis(command: Command): string {
  const args = (command.positionals ?? []).map((name) => `<${name}>`);
  return [PROGRAM, ...command.path, ...args, command.usage].filter(Boolean).join(' ');
}

function usageOf(command: Command): string {
  const options = Object.entries(command.options).map(
    ([name, spec]) => `  --${name}${spec.type === 'string' ? ' <value>' : ''}  ${spec.description}`,
  );
  return [`Usage: ${synopsis(command)}`, '', command.summary, '', ...options].join('\n');
}

function help(commands: Command[]): string {
  const width = Math.max(...commands.map((c) => c.path.join(' ').length)) + 2;
  return [
    `Usage: ${PROGRAM} <command> [arguments] [options]   (or: npx azure-onedrive-backup <command>)`,
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.path.join(' ').padEnd(width)} ${c.summary}`),
    '',
    'Every command that calls the app takes --url (default: AOB_URL, else http://localhost:7071) and',
    '--key (default: AOB_FUNCTION_KEY), and most take --json. Add --help after a command for its options.',
    'Exit codes: 0 done, 1 failed, 2 bad input, 3 not found, 4 temporary (try again). --version prints the version.',
  ].join('\n');
}

/** The commands under a group word (`job`), for `job` alone or a mistyped `job crate`. */
function groupHelp(group: string, commands: Command[]): string {
  const members = commands.filter((c) => c.path[0] === group && c.path.length > 1);
  const width = Math.max(...members.map((c) => c.path.join(' ').length)) + 2;
  return [
    `Usage: ${PROGRAM} ${group} <command> [arguments] [options]`,
    '',
    'Commands:',
    ...members.map((c) => `  ${c.path.join(' ').padEnd(width)} ${c.summary}`),
    '',
    `Add --help after a command for its options.`,
  ].join('\n');
}

function isGroup(word: string | undefined, commands: Command[]): boolean {
  return commands.some((c) => c.path[0] === word && c.path.length > 1);
}

export function findCommand(
  argv: string[],
  commands: Command[] = COMMANDS,
): { command: Command; rest: string[] } | undefined {
  const matches = commands
    .filter((c) => c.path.every((word, i) => argv[i] === word))
    .sort((a, b) => b.path.length - a.path.length);
  const command = matches[0];
  return command && { command, rest: argv.slice(command.path.length) };
}

/** parseArgs with the command's options; positionals checked against the command's names. */
function parse(
  command: Command,
  rest: string[],
): { values: Record<string, string | boolean | undefined>; args: string[] } {
  const declared = command.positionals ?? [];
  const { values, positionals } = parseArgs({
    args: rest,
    options: Object.fromEntries(
      Object.entries(command.options).map(([name, spec]) => [name, { type: spec.type }]),
    ),
    strict: true,
    allowPositionals: declared.length > 0,
  });
  const names = command.positionalsFor?.(values as OptionValues) ?? declared;
  if (positionals.length < names.length)
    throw new UsageError(`Missing <${names[positionals.length]}>: ${synopsis(command)}`);
  if (positionals.length > names.length)
    throw new UsageError(`Unexpected argument '${positionals[names.length]}': ${synopsis(command)}`);
  return { values: values as Record<string, string | boolean | undefined>, args: positionals };
}

export async function runCli(argv: string[], io: CliIO, commands: Command[] = COMMANDS): Promise<number> {
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    writeLines(argv.length === 0 ? io.stderr : io.stdout, help(commands));
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === '--version' || argv[0] === 'version') {
    if (argv.includes('--json')) writeLine(io.stdout, JSON.stringify({ version: packageJson.version }));
    else writeLine(io.stdout, `azure-onedrive-backup ${packageJson.version}`);
    return EXIT.ok;
  }
  const found = findCommand(argv, commands);
  const group = argv[0];
  if (!found && isGroup(group, commands)) {
    // The group alone (or with options such as --help) asks what is in it; a word after it that
    // matches nothing is a typo.
    const alone = argv.slice(1).every((arg) => arg.startsWith('-'));
    if (!alone) writeLine(io.stderr, `Unknown command '${argv.slice(0, 2).join(' ')}'.`);
    for (const line of groupHelp(group!, commands).split('\n'))
      writeLine(alone ? io.stdout : io.stderr, line);
    return alone ? EXIT.ok : EXIT.usage;
  }
  if (!found) {
    const known = [...new Set(commands.map((c) => c.path[0]))].join(', ');
    writeLine(
      io.stderr,
      `Unknown command '${argv.slice(0, 2).join(' ')}' (commands: ${known}; ${PROGRAM} help lists them).`,
    );
    return EXIT.usage;
  }
  const { command, rest } = found;
  if (rest.includes('--help') || rest.includes('-h')) {
    writeLines(io.stdout, usageOf(command));
    return 0;
  }
  const helpHint = `${PROGRAM} ${command.path.join(' ')} --help`;
  try {
    const { values, args } = parse(command, rest);
    return await command.run(values, io, args);
  } catch (error) {
    // parseArgs reports unknown options and missing values with codes starting ERR_PARSE_ARGS.
    const code = (error as { code?: string })?.code ?? '';
    if (error instanceof UsageError || code.startsWith('ERR_PARSE_ARGS')) {
      const message = (error as Error).message.split('\n')[0]!;
      writeLine(io.stderr, `${message} (${helpHint} shows the options)`);
      return EXIT.usage;
    }
    if (error instanceof CliFailure) {
      writeLine(io.stderr, error.message);
      return error.exitCode;
    }
    writeLine(io.stderr, `Failed: ${(error as Error)?.message ?? String(error)}`);
    return EXIT.failed;
  }
}

export const processIO: CliIO = {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  fetch: (...args) => fetch(...args),
};

if (require.main === module) {
  void runCli(process.argv.slice(2), processIO).then((code) => {
    process.exitCode = code;
  });
}
