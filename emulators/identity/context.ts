// State shared by the identity emulator's route modules.
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
}

export interface IdentityContext {
  directory: Directory;
  grants: GrantStore;
  minter: TokenMinter;
  script: Script;
  counters: Counters;
  settings: IdentitySettings;
  now: () => number;
  baseUrl: () => string;
}
