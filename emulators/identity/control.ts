// HTTP control for tests in other processes (local host, browser tests): the same levers the
// IdentityEmulator class offers in-process, under /_emulator/identity/. State never includes secret
// values or tokens, only fingerprints and counts.
import { json, type EmulatorRequest, type EmulatorServer } from '../shared/server';
import { catalogueEntry } from './errors';
import type { IdentityEmulator } from './index';

const bodyOf = (req: EmulatorRequest): Record<string, unknown> => {
  const text = req.body.toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
};

export function installControl(server: EmulatorServer, emulator: IdentityEmulator): void {
  const base = '/_emulator/identity';
  const ok = (extra: Record<string, unknown> = {}) => json(200, { ok: true, ...extra });

  server.route('GET', `${base}/state`, () => json(200, emulator.state()));
  server.route('POST', `${base}/fail-next-token`, (req) => {
    const { code, count } = bodyOf(req) as { code: number; count?: number };
    catalogueEntry(code);
    emulator.failNextToken(code, count ?? 1);
    return ok();
  });
  server.route('POST', `${base}/fail-next-authorize`, (req) => {
    emulator.failNextAuthorize(bodyOf(req) as { error: string; aadsts?: number });
    return ok();
  });
  server.route('POST', `${base}/next-sign-in`, (req) => {
    emulator.nextSignIn(bodyOf(req) as unknown as Parameters<IdentityEmulator['nextSignIn']>[0]);
    return ok();
  });
  server.route('POST', `${base}/consent-mode`, (req) => {
    emulator.setConsentMode((bodyOf(req) as { mode: 'auto' | 'interactive' }).mode);
    return ok();
  });
  server.route('POST', `${base}/admin-consent`, (req) => {
    const { clientId, tenantId, roles } = bodyOf(req) as {
      clientId: string;
      tenantId: string;
      roles?: string[];
    };
    emulator.grantAdminConsent(clientId, tenantId, roles);
    return ok();
  });
  server.route('POST', `${base}/revoke`, (req) => {
    emulator.revokeRefreshTokens((bodyOf(req) as { oid?: string }).oid);
    return ok();
  });
  server.route('POST', `${base}/expire-secret`, (req) => {
    emulator.expireClientSecret((bodyOf(req) as { clientId: string }).clientId);
    return ok();
  });
  server.route('POST', `${base}/apps`, (req) => {
    emulator.registerApp(bodyOf(req) as unknown as Parameters<IdentityEmulator['registerApp']>[0]);
    return ok();
  });
  server.route('POST', `${base}/users`, (req) => {
    emulator.addUser(bodyOf(req) as unknown as Parameters<IdentityEmulator['addUser']>[0]);
    return ok();
  });
  server.route('POST', `${base}/advance-clock`, (req) => {
    emulator.advanceClock(Number((bodyOf(req) as { ms: number }).ms));
    return ok({ now: emulator.now() });
  });
  // Credentials on an app registration: certificates (public half only: `key` is base64 DER or PEM,
  // dates in epoch ms) and federated identity credentials; and user-assigned managed identities.
  const guard = (fn: () => ReturnType<typeof ok>) => {
    try {
      return fn();
    } catch (error) {
      return json(400, { error: 'invalid_request', error_description: (error as Error).message });
    }
  };
  server.route('POST', `${base}/apps/:clientId/key-credentials`, (req) =>
    guard(() => {
      const { key, startDateTime, endDateTime, keyId, displayName } = bodyOf(req) as {
        key: string;
        startDateTime?: number;
        endDateTime?: number;
        keyId?: string;
        displayName?: string;
      };
      const created = emulator.addKeyCredential(decodeURIComponent(req.params.clientId), key, {
        startDateTime,
        endDateTime,
        keyId,
        displayName,
      });
      return ok({
        keyId: created.keyId,
        startDateTime: created.startDateTime,
        endDateTime: created.endDateTime,
      });
    }),
  );
  server.route('DELETE', `${base}/apps/:clientId/key-credentials/:keyId`, (req) =>
    guard(() =>
      ok({
        removed: emulator.removeKeyCredential(
          decodeURIComponent(req.params.clientId),
          decodeURIComponent(req.params.keyId),
        ),
      }),
    ),
  );
  server.route('POST', `${base}/apps/:clientId/federated-credentials`, (req) =>
    guard(() => {
      const created = emulator.addFederatedIdentityCredential(
        decodeURIComponent(req.params.clientId),
        bodyOf(req) as unknown as Parameters<IdentityEmulator['addFederatedIdentityCredential']>[1],
      );
      return ok({ credential: created });
    }),
  );
  server.route('DELETE', `${base}/apps/:clientId/federated-credentials/:name`, (req) =>
    guard(() =>
      ok({
        removed: emulator.removeFederatedIdentityCredential(
          decodeURIComponent(req.params.clientId),
          decodeURIComponent(req.params.name),
        ),
      }),
    ),
  );
  server.route('POST', `${base}/managed-identities`, (req) =>
    guard(() => {
      // `trust`: the client id of an app to add the matching federated credential to.
      const { trust, ...fields } = bodyOf(req) as { trust?: string } & Record<string, string>;
      const identity = emulator.addManagedIdentity(fields);
      if (trust) emulator.trustManagedIdentity(trust, identity);
      return ok({ identity, environment: emulator.managedIdentityEnvironment() });
    }),
  );
  server.route('POST', `${base}/reset-script`, () => {
    emulator.script.clear();
    return ok();
  });
}
