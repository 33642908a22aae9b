import { CLOUDS, isValidTenant, resolveEndpoints, validateTenant } from '../../../src/config/clouds';
import { isAppError } from '../../../src/errors';

describe('national clouds', () => {
  it.each([
    ['global', 'login.microsoftonline.com', 'graph.microsoft.com'],
    ['usgov', 'login.microsoftonline.us', 'graph.microsoft.us'],
    ['usgov-dod', 'login.microsoftonline.us', 'dod-graph.microsoft.us'],
    ['china', 'login.chinacloudapi.cn', 'microsoftgraph.chinacloudapi.cn'],
  ] as const)('%s signs in at %s and calls Graph at %s', (cloud, login, graph) => {
    const endpoints = resolveEndpoints(cloud);
    expect(endpoints.authorizeUrl('contoso.onmicrosoft.com')).toBe(
      `https://${login}/contoso.onmicrosoft.com/oauth2/v2.0/authorize`,
    );
    expect(endpoints.tokenUrl('common')).toBe(`https://${login}/common/oauth2/v2.0/token`);
    expect(endpoints.graphBaseUrl).toBe(`https://${graph}/v1.0`);
    expect(endpoints.graphResource).toBe(`https://${graph}`);
  });

  it('offers personal accounts only in the global cloud', () => {
    expect(
      Object.values(CLOUDS)
        .filter((c) => c.personalAccounts)
        .map((c) => c.name),
    ).toEqual(['global']);
  });

  it('replaces only the origin when an emulator override is set, keeping the real resource', () => {
    const endpoints = resolveEndpoints('china', {
      loginEndpointOverride: 'https://localhost:4443/ignored/path',
      graphEndpointOverride: 'https://localhost:5443',
    });
    expect(endpoints.tokenUrl('organizations')).toBe(
      'https://localhost:4443/organizations/oauth2/v2.0/token',
    );
    expect(endpoints.graphBaseUrl).toBe('https://localhost:5443/v1.0');
    expect(endpoints.graphResource).toBe('https://microsoftgraph.chinacloudapi.cn');
  });
});

describe('tenant validation', () => {
  it.each([
    'common',
    'consumers',
    'organizations',
    '72f988bf-86f1-41af-91ab-2d7cd011db47',
    'contoso.onmicrosoft.com',
    'fabrikam.com',
  ])('accepts %s', (tenant) => expect(isValidTenant(tenant)).toBe(true));

  it.each(['', 'Common ', 'contoso', '../common', 'a b.com', '72f988bf-86f1-41af-91ab', 'x.c0m', 42])(
    'refuses %p',
    (tenant) => expect(isValidTenant(tenant)).toBe(false),
  );

  it('names the field and the rule when a tenant is refused', () => {
    expect.assertions(3);
    try {
      validateTenant('not a tenant', 'global');
    } catch (error) {
      expect(isAppError(error, 'ValidationFailed')).toBe(true);
      expect((error as { field: string }).field).toBe('tenant');
      expect((error as Error).message).toMatch(/tenant id \(GUID\) or a verified domain/);
    }
  });

  it('refuses personal accounts outside the global cloud', () => {
    expect(() => validateTenant('consumers', 'usgov')).toThrow(/only in the global cloud/);
    expect(validateTenant('consumers', 'global')).toBe('consumers');
    expect(validateTenant('organizations', 'usgov-dod')).toBe('organizations');
  });
});

describe('token exchange audience (federated credential)', () => {
  // "Configure an application to trust a managed identity": the audience per cloud.
  it.each([
    ['global', 'api://AzureADTokenExchange'],
    ['usgov', 'api://AzureADTokenExchangeUSGov'],
    ['usgov-dod', 'api://AzureADTokenExchangeUSGov'],
    ['china', 'api://AzureADTokenExchangeChina'],
  ] as const)('%s uses %s, also behind the emulator override', (cloud, audience) => {
    expect(resolveEndpoints(cloud).tokenExchangeAudience).toBe(audience);
    expect(
      resolveEndpoints(cloud, { loginEndpointOverride: 'https://localhost:1' }).tokenExchangeAudience,
    ).toBe(audience);
  });
});
