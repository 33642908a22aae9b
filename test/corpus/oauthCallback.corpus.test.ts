// Bad input for GET /api/auth/callback, the one anonymous route: anything can be put in its query by
// anyone who can make a browser open a link. Every entry must give a 400 page that shows nothing
// unescaped, store nothing (the connection row, its Key Vault refresh token and the token endpoint
// are untouched), and leave the genuine sign-in in flight still usable afterwards: a bad request
// must not burn the state it did not own.
import {
  callAuth,
  createConnection,
  signInRedirect,
  startAuthWorld,
  storedState,
  type AuthWorld,
} from './authHarness';

let world: AuthWorld;

beforeAll(async () => {
  world = await startAuthWorld();
});

afterAll(async () => {
  await world?.stop();
});

const KB100 = 100 * 1024;
const SCRIPT = '<script>alert(document.cookie)</script>';
const IMG = '"><img src=x onerror=alert(1)>';

/** A page is safe when no markup from the query made it through unescaped. */
function expectSafePage(result: { status: number; body?: unknown; headers?: Record<string, string> }): void {
  expect(result.status).toBe(400);
  expect(result.headers?.['content-type']).toMatch(/text\/html/);
  expect(result.headers?.['content-security-policy']).toMatch(/default-src 'none'/);
  const html = String(result.body);
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/<img/i);
  expect(html).not.toContain('javascript:');
  // A page echoing 100 KB of attacker text would be a reflection amplifier.
  expect(html.length).toBeLessThan(20_000);
}

type Tamper = (genuine: URLSearchParams) => URLSearchParams;
const q = (init: Record<string, string> | Array<[string, string]>): URLSearchParams =>
  new URLSearchParams(init);

const corpus: Array<[string, Tamper]> = [
  ['no parameters at all', () => q({})],
  ['a code without state', (g) => q({ code: g.get('code')! })],
  ['an empty state', (g) => q({ code: g.get('code')!, state: '' })],
  ['a 100 KB state', (g) => q({ code: g.get('code')!, state: 'A'.repeat(KB100) })],
  ['a 100 KB code with a forged state', () => q({ code: 'c'.repeat(KB100), state: 'B'.repeat(43) })],
  [
    'a forged state of the right shape',
    (g) => q({ code: g.get('code')!, state: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }),
  ],
  [
    'a forged state first, the genuine one repeated after it',
    (g) =>
      q([
        ['code', g.get('code')!],
        ['state', 'forged-state-value-000000000000000000000'],
        ['state', g.get('state')!],
      ]),
  ],
  [
    'Unicode in state (RTL override, zero-width, emoji, NFD)',
    (g) => q({ code: g.get('code')!, state: `\u202e\u200b${g.get('state')}\u{1f600}e\u0301` }),
  ],
  [
    'the genuine state in another Unicode normalization',
    (g) => q({ code: g.get('code')!, state: `${g.get('state')}\u00e9`.normalize('NFD') }),
  ],
  ['script injection in state', (g) => q({ code: g.get('code')!, state: SCRIPT })],
  ['attribute injection in state', (g) => q({ code: g.get('code')!, state: IMG })],
  [
    'control characters and CRLF in state',
    (g) => q({ code: g.get('code')!, state: `${g.get('state')}\r\nSet-Cookie: x=1\u0000` }),
  ],
  [
    'script injection in error_description with a forged state',
    () => q({ error: 'access_denied', error_description: SCRIPT.repeat(3), state: 'C'.repeat(43) }),
  ],
  [
    'a 100 KB error_description with a forged state',
    () =>
      q({
        error: 'access_denied',
        error_description: `${SCRIPT}${'x'.repeat(KB100)}`,
        state: 'D'.repeat(43),
      }),
  ],
];

describe('OAuth callback corpus: refused with an escaped 400 page, nothing stored, the genuine sign-in intact', () => {
  it.each(corpus)('%s', async (_label, tamper) => {
    const id = await createConnection(world);
    const genuine = await signInRedirect(world, id);
    const before = await storedState(world, id);

    expectSafePage(await callAuth(world, 'authCallback', { query: tamper(genuine) }));

    expect(await storedState(world, id)).toEqual(before);
    // The bad request did not consume the genuine state: the real sign-in still completes.
    expect((await callAuth(world, 'authCallback', { query: genuine })).status).toBe(200);
    expect((await storedState(world, id)).refreshTokens).toHaveLength(1);
  });
});

describe('OAuth callback corpus: errors on the genuine state', () => {
  // With the genuine state, an error from Microsoft is a real (failed) sign-in: the state is used up,
  // the page explains, and nothing is stored. The description is attacker-controllable text.
  it.each([
    [
      'script injection in error and error_description',
      { error: `access_denied${IMG}`, error_description: SCRIPT },
    ],
    [
      'a 100 KB error_description',
      { error: 'access_denied', error_description: `AADSTS65001: ${SCRIPT}${'y'.repeat(KB100)}` },
    ],
    [
      'Unicode and bidi controls in error_description',
      { error: 'consent_required', error_description: '\u202egnp.exe\u0000 \u{1f4a3}' },
    ],
    ['an unknown error code', { error: 'no_such_error_<b>bold</b>', error_description: '' }],
  ])('%s', async (_label, params) => {
    const id = await createConnection(world);
    const genuine = await signInRedirect(world, id);
    const before = await storedState(world, id);
    const query = q({ ...params, state: genuine.get('state')! });

    expectSafePage(await callAuth(world, 'authCallback', { query }));
    expect(await storedState(world, id)).toEqual(before);
    expect(before.connection).toMatchObject({ status: 'new' });
  });

  it('a replayed callback after a success is refused and changes nothing', async () => {
    const id = await createConnection(world);
    const genuine = await signInRedirect(world, id);
    expect((await callAuth(world, 'authCallback', { query: genuine })).status).toBe(200);
    const before = await storedState(world, id);
    const replay = await callAuth(world, 'authCallback', { query: genuine });
    expectSafePage(replay);
    expect(String(replay.body)).toContain('already used');
    expect(await storedState(world, id)).toEqual(before);
  });

  it('a repeated code parameter is not redeemed twice or mixed up', async () => {
    const id = await createConnection(world);
    const genuine = await signInRedirect(world, id);
    const query = q([
      ['code', 'attacker-code-that-is-not-valid-00000'],
      ['code', genuine.get('code')!],
      ['state', genuine.get('state')!],
    ]);
    const tokenRequests = world.identity.tokenRequests();
    const result = await callAuth(world, 'authCallback', { query });
    // The first value wins (as URLSearchParams.get does): the attacker's code fails at the token
    // endpoint, once, and no token is stored.
    expectSafePage(result);
    expect(world.identity.tokenRequests() - tokenRequests).toBe(1);
    expect((await storedState(world, id)).refreshTokens).toEqual([]);
  });
});
