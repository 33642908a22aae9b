// The anonymous OAuth callback must not let a caller steer the log masker: a `code` sent with a
// state this app never issued is not registered, so it can neither hide chosen log text (an event
// name) nor grow the masker. The genuine sign-in's code is still masked once its state checked out.
import { createLogger, setLogSink, type LogSink } from '../../src/log/logger';
import { secretMasker } from '../../src/log/masker';
import {
  callAuth,
  createConnection,
  signInRedirect,
  startAuthWorld,
  type AuthWorld,
} from '../corpus/authHarness';

let world: AuthWorld;
const lines: string[] = [];
let previousSink: LogSink;

beforeAll(async () => {
  world = await startAuthWorld();
  previousSink = setLogSink((line) => lines.push(line));
});

afterAll(async () => {
  setLogSink(previousSink);
  await world?.stop();
});

const FORGED_STATE = 'F'.repeat(43);

describe('the callback does not let anyone register log-masker values', () => {
  it('a code chosen to match an event name does not hide that event from later log lines', async () => {
    const event = 'auth.callback.stateRefused';
    const result = await callAuth(world, 'authCallback', {
      query: new URLSearchParams({ code: event, state: FORGED_STATE }),
    });
    expect(result.status).toBe(400);
    lines.length = 0;
    createLogger().warn(event, { note: 'written after the forged callback' });
    const parsed = JSON.parse(lines.at(-1)!) as { event: string };
    expect(parsed.event).toBe(event);
  });

  it('hundreds of forged callbacks leave the masker the size it was', async () => {
    const before = secretMasker.size;
    for (let i = 0; i < 300; i++) {
      const result = await callAuth(world, 'authCallback', {
        query: new URLSearchParams({ code: `forged-code-${i}-${'x'.repeat(200)}`, state: FORGED_STATE }),
      });
      expect(result.status).toBe(400);
    }
    expect(secretMasker.size).toBe(before);
  });

  it('the genuine code is masked once its state was found valid', async () => {
    const id = await createConnection(world);
    const query = await signInRedirect(world, id);
    const code = query.get('code')!;
    const result = await callAuth(world, 'authCallback', { query });
    expect(result.status).toBe(200);
    lines.length = 0;
    createLogger().info('test.echo', { text: `leaked ${code} here` });
    expect(lines.at(-1)).not.toContain(code);
    expect(lines.at(-1)).toContain('[redacted]');
  });
});
