import { adviseIdentityError, adviseStateProblem } from '../../../src/auth/advice';

const ctx = {
  redirectUri: 'https://backup.example/api/auth/callback',
  clientId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  clientSecretName: 'graph-client-secret',
  tenant: 'contoso.onmicrosoft.com',
  loginOrigin: 'https://login.microsoftonline.com',
};

describe('identity error advice', () => {
  it.each([
    [{ error: 'access_denied' }, 'access_denied', 'retry-signin', /Accept/],
    [{ error: 'consent_required' }, 'consent_required', 'fix-setup', /Grant admin consent/],
    [
      { error: 'invalid_request', errorCodes: [50011] },
      'AADSTS50011',
      'fix-setup',
      /add exactly “https:\/\/backup\.example\/api\/auth\/callback”/,
    ],
    [
      { error: 'invalid_client', errorCodes: [7000215] },
      'AADSTS7000215',
      'fix-client',
      /Value \(not the Secret ID\).*“graph-client-secret”/,
    ],
    [
      { error: 'invalid_client', errorCodes: [7000222] },
      'AADSTS7000222',
      'fix-client',
      /create a new client secret/,
    ],
    [{ error: 'invalid_client', errorCodes: [700025] }, 'AADSTS700025', 'fix-setup', /Web platform/],
    [
      { error: 'invalid_request', errorCodes: [9002331] },
      'AADSTS9002331',
      'fix-setup',
      /Supported account types/,
    ],
    [
      { error: 'invalid_request', errorCodes: [9002332] },
      'AADSTS9002332',
      'fix-setup',
      /Supported account types/,
    ],
    [
      { error: 'invalid_grant', errorCodes: [65001] },
      'AADSTS65001',
      'fix-setup',
      /adminconsent\?client_id=aaaaaaaa/,
    ],
    [{ error: 'invalid_grant', errorCodes: [70008] }, 'AADSTS70008', 'reauthorize', /Authorize again/],
    [{ error: 'invalid_grant', errorCodes: [700082] }, 'AADSTS700082', 'reauthorize', /Authorize again/],
    [{ error: 'interaction_required', errorCodes: [50076] }, 'AADSTS50076', 'reauthorize', /multi-factor/],
    [{ error: 'interaction_required', errorCodes: [50079] }, 'AADSTS50079', 'reauthorize', /multi-factor/],
    [
      { error: 'interaction_required', errorCodes: [53003] },
      'AADSTS53003',
      'reauthorize',
      /Conditional Access/,
    ],
    [{ error: 'invalid_grant' }, 'invalid_grant', 'reauthorize', /Authorize again/],
    [{ error: 'temporarily_unavailable' }, 'temporarily_unavailable', 'retry-later', /few minutes/],
  ])('%j → %s', (error, code, action, fix) => {
    const advice = adviseIdentityError(error, ctx);
    expect(advice.code).toBe(code);
    expect(advice.action).toBe(action);
    expect(advice.fix).toMatch(fix);
    expect(advice.explanation.length).toBeGreaterThan(20);
  });

  it('finds the AADSTS code in the description when error_codes is missing', () => {
    const advice = adviseIdentityError({
      error: 'invalid_request',
      description: 'AADSTS50011: The redirect URI specified in the request does not match.',
    });
    expect(advice.code).toBe('AADSTS50011');
  });

  it('still explains an unknown error and keeps its code', () => {
    const advice = adviseIdentityError({ error: 'invalid_request', errorCodes: [123456] });
    expect(advice.code).toBe('AADSTS123456');
    expect(advice.fix).toMatch(/AADSTS error reference/);
  });

  it.each(['missing', 'unknown', 'replayed', 'expired'] as const)('explains a %s state', (problem) => {
    const advice = adviseStateProblem(problem);
    expect(advice.code).toBe(`state-${problem}`);
    expect(advice.fix).toMatch(/Authorize/);
  });
});
