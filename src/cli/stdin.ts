// Reading a secret from standard input. Secrets never come from argv: command lines end up in shell
// history and in every process listing. Piped input is read to the end; a terminal gets a prompt
// and the typed or pasted characters are not echoed.
import type { CliIO } from './command';

export async function readPiped(stdin: CliIO['stdin']): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

/** One line from a terminal with echo off (raw mode), ending at Enter; Ctrl+C aborts. */
export function readHiddenLine(io: CliIO, prompt: string): Promise<string> {
  const { stdin, stderr } = io;
  stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let line = '';
    const done = (error?: Error) => {
      stdin.removeListener('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      stderr.write('\n');
      if (error) reject(error);
      else resolve(line);
    };
    const onData = (data: Buffer | string) => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new Error('Cancelled'));
        if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
        else line += ch;
      }
    };
    stdin.setRawMode?.(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

export async function readSecretInput(io: CliIO, prompt: string): Promise<string> {
  const text = io.stdin.isTTY ? await readHiddenLine(io, prompt) : await readPiped(io.stdin);
  return text.trim();
}
