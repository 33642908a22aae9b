import { createHash } from 'node:crypto';
import { buildAuthorizeUrl, delegatedScopes } from '../../../src/auth/authorizeUrl';
import { resolveEndpoints } from '../../../src/config/clouds';
import { challengeS256, deriveVerifier, newState } from '../../../src/auth/pkce';
import { hashState } from '../../../src/store/oauthStates';

describe('PKCE and state', () => {
  it('computes the S256 challenge as unpadded base64url of SHA-256', () => {
    // SHA-256("abc") = ba7816bf…15ad (FIPS 180-2), re-encoded as base64url without padding.
    expect(challengeS256('abc')).toBe(
      Buffer.from('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'hex').toString(
        'base64url',
      ),
    );
    expect(challengeS256('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });

  it('makes states of at least 128 random bits that never repeat', () => {
    const states = new Set(Array.from({ length: 1000 }, newState));
    expect(states.size).toBe(1000);
    for (const s of [...states].slice(0, 10))
      expect(Buffer.from(s, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
  });

  it('derives a valid verifier that depends on both the key and the state', () => {
    const key = Buffer.alloc(32, 1);
    const verifier = deriveVerifier(key, 'state-a');
    expect(verifier).toMatch(/^[A-Za-z0-9\-._~]{43,128}$/);
    expect(deriveVerifier(key, 'state-a')).toBe(verifier);
    expect(deriveVerifier(key, 'state-b')).not.toBe(verifier);
    expect(deriveVerifier(Buffer.alloc(32, 2), 'state-a')).not.toBe(verifier);
  });

  it('keys state rows by a hash, not the state itself', () => {
    const state = newState();
    expect(hashState(state)).toBe(createHash('sha256').update(state).digest('hex'));
    expect(hashState(state)).not.toContain(state);
  });
});

describe('authorize URL', () => {
  const base = {
    endpoints: resolveEndpoints('usgov'),
    tenant: 'organizations',
    clientId: '11111111-2222-3333-4444-555555555555',
    redirectUri: 'https://app.example/api/auth/callback',
    state: 'the-state',
    codeChallenge: 'the-challenge',
  };

  it('carries every parameter of the code flow with PKCE for the chosen cloud', () => {
    const url = new URL(
      buildAuthorizeUrl({ ...base, scopes: delegatedScopes('business'), reauthorize: false }),
    );
    expect(url.origin + url.pathname).toBe(
      'https://login.microsoftonline.us/organizations/oauth2/v2.0/authorize',
    );
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: base.clientId,
      response_type: 'code',
      redirect_uri: base.redirectUri,
      response_mode: 'query',
      scope: 'Files.ReadWrite.All offline_access User.Read',
      state: 'the-state',
      code_challenge: 'the-challenge',
      code_challenge_method: 'S256',
      prompt: 'select_account',
    });
  });

  it('asks for Sites.Read.All for SharePoint and for consent again when re-authorizing', () => {
    const url = new URL(
      buildAuthorizeUrl({ ...base, scopes: delegatedScopes('sharepoint'), reauthorize: true }),
    );
    expect(url.searchParams.get('scope')).toBe('Files.ReadWrite.All offline_access User.Read Sites.Read.All');
    expect(url.searchParams.get('prompt')).toBe('consent');
  });
});
