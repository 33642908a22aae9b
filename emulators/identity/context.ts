// State shared by the identity emulator's route modules.
import type { ReplayCache } from './clientAssertion';
import type { Directory } from './directory';
import type { GrantStore } from './grants';
import type { Script } from './script';
import type { TokenMinter } from './tokens';

export interface IdentitySettings {
  accessTokenLifetimeSeconds: number;
  codeLifetimeMs: number;
  refreshInactivityMs: number;
}

export interface Counters {
  authorize: number;
  token: number;
  tokenByGrant: Record<string, number>;
  codesIssued: number;
  codesRedeemed: number;
  /** Successful client authentications by method (secret, certificate, federated). */
  clientAuth: Record<string, number>;
}

export interface IdentityContext {
  directory: Directory;
  grants: GrantStore;
  minter: TokenMinter;
  script: Script;
  /** jti values of certificate assertions already used. */
  replay: ReplayCache;
  counters: Counters;
  settings: IdentitySettings;
  now: () => number;
  baseUrl: () => string;
}
