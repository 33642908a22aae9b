// Storing the client secret: the expiry date and the value as typed, and the app registration cross-check.
import { compareWithAppRegistration } from '../../../src/alerts/appRegistration';
import { checkSecretValue, parseExpiry } from '../../../src/alerts/secretSet';
import { isAppError } from '../../../src/errors';

describe('storing the client secret: input rules', () => {
  const now = new Date('2026-06-01T12:00:00Z');

  it('reads a date as the start of that day in UTC and accepts ISO date-times with a zone', () => {
    expect(parseExpiry('2027-05-01', now).toISOString()).toBe('2027-05-01T00:00:00.000Z');
    expect(parseExpiry('2027-05-01T10:30:00+02:00', now).toISOString()).toBe('2027-05-01T08:30:00.000Z');
  });

  it.each([
    [undefined, /required/],
    ['', /required/],
    ['01/05/2027', /expected/],
    ['2027-02-30', /not a calendar date/],
    ['2027-05-01T10:30:00', /expected/],
    ['2026-05-31', /in the past/],
  ])('rejects expiry %p', (input, message) => {
    expect(() => parseExpiry(input, now)).toThrow(message);
  });

  it('refuses the Secret ID in place of the Value, without echoing either', () => {
    const secretId = '8a6f3c2e-1b4d-4e5f-9a7b-0c1d2e3f4a5b';
    let error: unknown;
    try {
      checkSecretValue(secretId);
    } catch (e) {
      error = e;
    }
    expect(isAppError(error, 'ValidationFailed')).toBe(true);
    expect(JSON.stringify((error as { toJSON(): unknown }).toJSON())).not.toContain(secretId);
    expect((error as Error).message).toMatch(/Secret ID/);
    expect(checkSecretValue('  abc~DEF.ghi_jkl-MNO012345678901  \n')).toBe('abc~DEF.ghi_jkl-MNO012345678901');
  });

  it('compares the date with the app registration credential the value starts with', () => {
    const expires = new Date('2027-05-01T00:00:00Z');
    const creds = [
      { keyId: 'k1', hint: 'abc', endDateTime: '2027-05-01T09:12:00Z' },
      { keyId: 'k2', hint: 'xyz', endDateTime: '2026-12-01T00:00:00Z' },
    ];
    expect(compareWithAppRegistration('abc~restofvalue1234', expires, creds).status).toBe('match');
    const mismatch = compareWithAppRegistration('xyz~restofvalue1234', expires, creds);
    expect(mismatch).toMatchObject({ status: 'mismatch', endDateTime: '2026-12-01T00:00:00.000Z' });
    expect(mismatch.message).toContain('--expires 2026-12-01');
    expect(compareWithAppRegistration('qqq~restofvalue1234', expires, creds).status).toBe('not-found');
    expect(compareWithAppRegistration('abc', expires, undefined).status).toBe('unavailable');
  });
});
