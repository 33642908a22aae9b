// The app registration's own record of its client secrets. The true expiry of a client secret is
// its passwordCredential's endDateTime on the application object
// (GET /applications(appId='{id}')?$select=passwordCredentials, needs Application.Read.All). When
// the function's identity may read it, storing a secret compares the date a person typed with it.
// passwordCredential.hint holds the first three characters of the value, which tells which of the
// app's secrets was stored (the value itself is never returned by Graph, nor sent by us).
import type { TokenCredential } from '@azure/identity';
import type { Logger } from '../log/logger';

export interface PasswordCredentialInfo {
  keyId: string;
  displayName?: string;
  hint?: string;
  endDateTime?: string;
}

export interface AppRegistrationReader {
  /** The app's password credentials, or undefined when this identity may not read them. */
  passwordCredentials(appId: string): Promise<PasswordCredentialInfo[] | undefined>;
}

export type AppRegistrationCheck =
  | { status: 'match'; endDateTime: string; message: string }
  | { status: 'mismatch'; endDateTime: string; message: string }
  | { status: 'not-found'; message: string }
  | { status: 'unavailable'; message: string };

const DAY_MS = 86_400_000;

/** Compares the stored expiry with the credential whose hint the value starts with. */
export function compareWithAppRegistration(
  value: string,
  expiresOn: Date,
  credentials: PasswordCredentialInfo[] | undefined,
): AppRegistrationCheck {
  if (!credentials)
    return {
      status: 'unavailable',
      message:
        "The app registration could not be read (the function's identity needs Application.Read.All), so the date was not cross-checked.",
    };
  const candidates = credentials.filter((c) => c.hint && value.startsWith(c.hint) && c.endDateTime);
  if (candidates.length === 0)
    return {
      status: 'not-found',
      message:
        "None of the app registration's client secrets starts with this value: check that you copied the Value (not the Secret ID) of a secret of this app.",
    };
  // Several secrets may share the first three characters; the closest date is the best guess.
  const distance = (c: PasswordCredentialInfo) => Math.abs(Date.parse(c.endDateTime!) - expiresOn.getTime());
  const best = [...candidates].sort((a, b) => distance(a) - distance(b))[0];
  const endDateTime = new Date(best.endDateTime!).toISOString();
  // A date typed from the portal is a day, the real end a moment: within a day is the same date.
  if (distance(best) <= DAY_MS)
    return { status: 'match', endDateTime, message: 'The expiry matches the app registration.' };
  return {
    status: 'mismatch',
    endDateTime,
    message: `The app registration says this secret expires at ${endDateTime}, not ${expiresOn.toISOString()}. Warnings follow the date stored here: store it again with --expires ${endDateTime.slice(0, 10)}.`,
  };
}

export interface GraphAppRegistrationReaderOptions {
  /** Graph v1.0 root, e.g. https://graph.microsoft.com/v1.0 */
  graphBaseUrl: string;
  /** e.g. https://graph.microsoft.com (the token scope is `<resource>/.default`). */
  graphResource: string;
  credential: TokenCredential;
  log: Logger;
  fetch?: typeof fetch;
}

/** Reads the app registration with the function's managed identity (an application permission). */
export class GraphAppRegistrationReader implements AppRegistrationReader {
  constructor(private readonly options: GraphAppRegistrationReaderOptions) {}

  async passwordCredentials(appId: string): Promise<PasswordCredentialInfo[] | undefined> {
    const { graphBaseUrl, graphResource, credential, log } = this.options;
    try {
      const token = await credential.getToken(`${graphResource}/.default`);
      if (!token) return undefined;
      const url = `${graphBaseUrl}/applications(appId='${encodeURIComponent(appId)}')?$select=passwordCredentials`;
      const response = await (this.options.fetch ?? fetch)(url, {
        headers: { authorization: `Bearer ${token.token}` },
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) {
        // 403 (no Application.Read.All) and 404 (app in another tenant) are expected and quiet.
        log.info('app_registration.unavailable', { status: response.status });
        return undefined;
      }
      const body = (await response.json()) as { passwordCredentials?: PasswordCredentialInfo[] };
      return Array.isArray(body.passwordCredentials) ? body.passwordCredentials : undefined;
    } catch (error) {
      log.info('app_registration.unavailable', { error: (error as { name?: string })?.name });
      return undefined;
    }
  }
}
