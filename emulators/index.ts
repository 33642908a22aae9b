// Starts the three Microsoft emulators wired together: Graph accepts the access tokens the identity
// emulator issues (asking it who a token belongs to). Key Vault accepts one bearer token only, made
// here and handed to the local app (KEY_VAULT_TOKEN_OVERRIDE stands in for managed identity), so no
// other process on the machine can read the vault with a made-up token. The three share one control
// key for their /_emulator/* routes, handed out to whoever started them. The harness also joins the
// vault to the identity platform for credentials that cannot leak: a certificate created in the vault
// (non-exportable key) is registered on the app registration by its public half, and a user-assigned
// managed identity can be made a federated credential of the app.
import { randomBytes, randomUUID } from 'node:crypto';
import { GraphEmulator } from './graph';
import {
  DEFAULT_CLIENT_ID,
  IdentityEmulator,
  type FederatedIdentityCredential,
  type KeyCredential,
  type ManagedIdentity,
} from './identity';
import { KeyVaultEmulator, VAULT_RESOURCE, type Grant } from './keyvault';
import type { Principal } from './shared/principal';

export interface StartEmulatorsOptions {
  /** Fixed ports (0 or omitted: any free port). */
  ports?: { identity?: number; graph?: number; keyVault?: number };
}

export interface Emulators {
  identity: IdentityEmulator;
  graph: GraphEmulator;
  keyVault: KeyVaultEmulator;
  /** The only bearer token the Key Vault emulator accepts. */
  keyVaultToken: string;
  /** Sent as X-Emulator-Control-Key to any of the three's /_emulator/* routes. */
  controlKey: string;
  /**
   * Another bearer token the vault accepts, limited to these RBAC grants (e.g. Key Vault Crypto User at
   * `/keys/{name}` scope plus certificates/read): for tests that the product needs no more.
   */
  grantKeyVaultToken(grants: readonly Grant[]): string;
  /**
   * Creates a certificate in the vault for the app's client assertion: self-signed RSA (2048 unless
   * `keySize`), key not exportable, AutoRenew 30 days before expiry unless `policy` says otherwise
   * (REST shape: key_props, x509_props, lifetime_actions ...). Does not register it; see below.
   */
  createAppCertificate(
    name: string,
    options?: { keySize?: 2048 | 3072 | 4096; policy?: Record<string, unknown> },
  ): Promise<{ version: string; x5t: string; der: Buffer }>;
  /**
   * Uploads the public half of a vault certificate (the latest version, or `version`) to the app
   * registration as a keyCredential, as the portal's "Upload certificate" does. Returns it.
   */
  registerVaultCertificate(
    name: string,
    options?: { clientId?: string; version?: string; startDateTime?: number; endDateTime?: number },
  ): KeyCredential;
  /**
   * A user-assigned managed identity trusted by the app (a federated identity credential), and the
   * IDENTITY_ENDPOINT / IDENTITY_HEADER values that make ManagedIdentityCredential (with the identity's
   * client id) fetch its api://AzureADTokenExchange token from the identity emulator.
   */
  federateManagedIdentity(options?: { clientId?: string; tenantId?: string }): {
    identity: ManagedIdentity;
    credential: FederatedIdentityCredential;
    environment: { IDENTITY_ENDPOINT: string; IDENTITY_HEADER: string };
  };
  /** Stops all three; safe to call more than once. */
  stop(): Promise<void>;
}

export async function startEmulators(options: StartEmulatorsOptions = {}): Promise<Emulators> {
  const keyVaultToken = `local-${randomBytes(24).toString('base64url')}`;
  const controlKey = randomBytes(24).toString('base64url');
  // Extra vault tokens with limited grants, each its own principal (random ids: the token itself never
  // appears in a principal, so not in a 403 either). The main token keeps full access.
  const limited = new Map<string, { principal: Principal; grants: readonly Grant[] }>();
  const grantsByApp = new Map<string, readonly Grant[]>();
  const identity = new IdentityEmulator();
  const graph = new GraphEmulator({ authorize: identity.introspect });
  const keyVault = new KeyVaultEmulator({
    authorize: (sent) => (sent === keyVaultToken ? LOCAL_HOST_PRINCIPAL : limited.get(sent)?.principal),
    permissions: (principal) => grantsByApp.get(principal.appId),
  });
  for (const emulator of [identity, graph, keyVault]) emulator.server.controlKey = controlKey;
  const stop = async (): Promise<void> => {
    await Promise.allSettled([identity.stop(), graph.stop(), keyVault.stop()]);
  };
  try {
    await identity.start(options.ports?.identity ?? 0);
    await graph.start(options.ports?.graph ?? 0);
    await keyVault.start(options.ports?.keyVault ?? 0);
  } catch (error) {
    // Whatever started must not outlive a failed start.
    await stop();
    throw error;
  }
  return {
    identity,
    graph,
    keyVault,
    keyVaultToken,
    controlKey,
    stop,
    grantKeyVaultToken: (grants) => {
      const token = `limited-${randomBytes(24).toString('base64url')}`;
      const principal = { ...LOCAL_HOST_PRINCIPAL, oid: randomUUID(), appId: randomUUID() };
      limited.set(token, { principal, grants: [...grants] });
      grantsByApp.set(principal.appId, [...grants]);
      return token;
    },
    createAppCertificate: async (name, opts = {}) => {
      const created = await keyVault.createCertificate(name, {
        key_props: { exportable: false, kty: 'RSA', key_size: opts.keySize ?? 2048, reuse_key: false },
        x509_props: { subject: `CN=${name}`, validity_months: 12 },
        lifetime_actions: [{ trigger: { days_before_expiry: 30 }, action: { action_type: 'AutoRenew' } }],
        ...opts.policy,
      });
      return { version: created.version, x5t: created.x5t, der: created.der };
    },
    registerVaultCertificate: (name, opts = {}) => {
      const cert = keyVault.certificate(name);
      const version = opts.version
        ? cert?.versions.find((v) => v.version === opts.version)
        : cert?.versions.at(-1);
      if (!version)
        throw new Error(`No certificate ${name}${opts.version ? `/${opts.version}` : ''} in the vault`);
      return identity.addKeyCredential(opts.clientId ?? DEFAULT_CLIENT_ID, version.der, {
        startDateTime: opts.startDateTime,
        endDateTime: opts.endDateTime,
      });
    },
    federateManagedIdentity: (opts = {}) => {
      const managed = identity.addManagedIdentity({ tenantId: opts.tenantId });
      const credential = identity.trustManagedIdentity(opts.clientId ?? DEFAULT_CLIENT_ID, managed);
      return { identity: managed, credential, environment: identity.managedIdentityEnvironment() };
    },
  };
}

/** The vault principal of the main token: the local app's stand-in for its managed identity. */
const LOCAL_HOST_PRINCIPAL: Principal = {
  oid: '00000000-0000-0000-0000-00000000a11e',
  tenantId: '00000000-0000-4000-8000-00000000a11e',
  appId: 'local-host',
  appOnly: true,
  accountType: 'work',
  scopes: [],
  audience: VAULT_RESOURCE,
  expiresAt: Number.MAX_SAFE_INTEGER,
};
