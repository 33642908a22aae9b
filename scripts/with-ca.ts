// Runs a command with the local emulators' CA trusted (NODE_EXTRA_CA_CERTS is read only at process
// start, so it must be set before the test runner or local host starts, not from inside them).
// npm scripts run it as `node --import tsx`, never through the tsx CLI: that wrapper relays Ctrl-C to
// its child and SIGKILLs the child if it does not acknowledge within 30 ms, which on a busy machine
// cut the local host's orderly shutdown short.
import { spawn } from 'node:child_process';
import { ensureTls } from '../emulators/shared/tls';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: node --import tsx scripts/with-ca.ts <command> [args...]');
  process.exit(2);
}
const { caCertPath } = ensureTls();
const child = spawn(command, args, {
  stdio: 'inherit',
  env: { ...process.env, NODE_EXTRA_CA_CERTS: caCertPath },
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
