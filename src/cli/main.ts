// The command-line entry: `npm run cli -- <command words> [options]` (or the
// `azure-onedrive-backup` bin). A small router: each command lives in its own module and is listed
// in COMMANDS; the longest matching word path wins, so `secret set` and `secret list` can coexist.
import { parseArgs } from 'node:util';
import { UsageError, writeLine, type CliIO, type Command } from './command';
import { secretSetCommand } from './secretSet';

export const COMMANDS: Command[] = [secretSetCommand];

function usageOf(command: Command): string {
  const options = Object.entries(command.options).map(
    ([name, spec]) => `  --${name}${spec.type === 'string' ? ' <value>' : ''}  ${spec.description}`,
  );
  return [
    `Usage: npm run cli -- ${command.path.join(' ')} ${command.usage}`,
    '',
    command.summary,
    '',
    ...options,
  ].join('\n');
}

function help(commands: Command[]): string {
  return [
    'Usage: npm run cli -- <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.path.join(' ').padEnd(16)} ${c.summary}`),
    '',
    'Add --help after a command for its options.',
  ].join('\n');
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

export async function runCli(argv: string[], io: CliIO, commands: Command[] = COMMANDS): Promise<number> {
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    writeLine(argv.length === 0 ? io.stderr : io.stdout, help(commands));
    return argv.length === 0 ? 2 : 0;
  }
  const found = findCommand(argv, commands);
  if (!found) {
    writeLine(io.stderr, `Unknown command: ${argv.slice(0, 2).join(' ')}\n\n${help(commands)}`);
    return 2;
  }
  const { command, rest } = found;
  if (rest.includes('--help') || rest.includes('-h')) {
    writeLine(io.stdout, usageOf(command));
    return 0;
  }
  try {
    const { values } = parseArgs({
      args: rest,
      options: Object.fromEntries(
        Object.entries(command.options).map(([name, spec]) => [name, { type: spec.type }]),
      ),
      strict: true,
      allowPositionals: false,
    });
    return await command.run(values as Record<string, string | boolean | undefined>, io);
  } catch (error) {
    // parseArgs reports unknown options and missing values with codes starting ERR_PARSE_ARGS.
    const code = (error as { code?: string })?.code ?? '';
    if (error instanceof UsageError || code.startsWith('ERR_PARSE_ARGS')) {
      writeLine(io.stderr, `${(error as Error).message}\n\n${usageOf(command)}`);
      return 2;
    }
    writeLine(io.stderr, `Failed: ${(error as Error).message}`);
    return 1;
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
