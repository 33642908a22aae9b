// Everything the auth handlers use, built once by ./wiring.ts (from Config) or by a test.
import type { GraphClient } from '../graph/client';
import type { DataKeyProvider } from '../secrets/dataKey';
import type { SecretStore } from '../secrets/secretStore';
import type { ConnectionStore } from '../store/connections';
import type { OAuthStateStore } from '../store/oauthStates';
import type { CloudName, EndpointOverrides } from '../config/clouds';
import type { AppDefaults } from './credentials';
import type { TokenClient } from './tokenClient';
import type { TokenService } from './tokenService';
import type { Connection } from '../store/connections';

export interface AuthDeps {
  connections: ConnectionStore;
  states: OAuthStateStore;
  secrets: SecretStore;
  /** The key PKCE verifiers are derived from (./stateKey.ts). */
  stateKeys: DataKeyProvider;
  tokenClient: TokenClient;
  tokens: TokenService;
  /** A Graph client that authenticates as the connection. */
  graph: (connection: Pick<Connection, 'id' | 'cloud'>) => GraphClient;
  app: AppDefaults;
  defaultTenant: string;
  defaultCloud: CloudName;
  overrides: EndpointOverrides;
  /** The exact redirect URI registered on the app. */
  redirectUri: string;
  now: () => Date;
}
