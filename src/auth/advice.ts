// Identity-platform errors translated into plain language and the exact fix, in one table. Used by
// the callback page, the token service (connection status and advice) and the connection test.
// Codes are the AADSTS numbers of Microsoft's identity-platform error reference that people setting
// up an app actually hit; wording aims at the person who registered the app, who may not know OAuth.

/** What the product does about an error. */
export type AdviceAction =
  /** Stop using the refresh token; the connection must be authorized again. */
  | 'reauthorize'
  /** The app's credentials are wrong: every connection of the app is affected. */
  | 'fix-client'
  /** The app registration or tenant setup must change; retrying will not help. */
  | 'fix-setup'
  /** A person chose not to continue; nothing is broken. */
  | 'retry-signin'
  /** Temporary: try again later. */
  | 'retry-later';

export interface Advice {
  /** Stable code: `AADSTS<n>`, the OAuth error, or `state-<problem>`. */
  code: string;
  title: string;
  /** What happened, in plain words. */
  explanation: string;
  /** The exact fix. */
  fix: string;
  action: AdviceAction;
}

export interface AdviceContext {
  redirectUri?: string;
  clientId?: string;
  tenant?: string;
  /** Key Vault secret that holds the client secret. */
  clientSecretName?: string;
  /** `https://login.microsoftonline.com` or the cloud's login origin, for admin-consent links. */
  loginOrigin?: string;
  /** How the app authenticates (CLIENT_CREDENTIAL); secret when unset. */
  credentialKind?: 'secret' | 'certificate' | 'federated';
  /** Key Vault certificate that signs the client assertion. */
  certificateName?: string;
}

export interface IdentityError {
  /** OAuth error (`invalid_grant`, `access_denied`...). */
  error: string;
  errorCodes?: number[];
  description?: string;
}

type Entry = (ctx: AdviceContext) => Omit<Advice, 'code'>;

const q = (value: string | undefined, fallback: string): string => (value ? `“${value}”` : fallback);

const REAUTHORIZE_FIX =
  'Open the connection in the setup page and choose Authorize again; sign in with the same account.';

const WRONG_ACCOUNT_TYPE: Entry = (ctx) => ({
  title: 'This account type is not allowed by the app registration',
  explanation:
    'The app registration only accepts some kinds of accounts (its “Supported account types”), and the account or the tenant used here is not one of them — for example a personal Microsoft account with an app that accepts work or school accounts only, or the reverse.',
  fix: `In the Entra admin center open App registrations › ${q(ctx.clientId, 'your app')} › Authentication and set Supported account types to match the accounts you use (“Accounts in any organizational directory and personal Microsoft accounts” accepts both), or set the connection's tenant to match: consumers for personal accounts, organizations or your tenant id for work or school accounts.`,
  action: 'fix-setup',
});

const ADMIN_CONSENT: Entry = (ctx) => ({
  title: 'An administrator must approve this app first',
  explanation:
    'Your organization does not let users grant these permissions (Files.ReadWrite.All and the others) on their own, so the sign-in stopped before any access was given.',
  fix: `Ask a Global Administrator or Privileged Role Administrator to open App registrations › ${q(ctx.clientId, 'your app')} › API permissions and choose “Grant admin consent”${
    ctx.loginOrigin && ctx.clientId
      ? `, or to open ${ctx.loginOrigin}/${ctx.tenant && ctx.tenant !== 'common' ? ctx.tenant : 'organizations'}/adminconsent?client_id=${ctx.clientId}`
      : ''
  }. Then authorize the connection again.`,
  action: 'fix-setup',
});

const MFA: Entry = () => ({
  title: 'Multi-factor sign-in is required',
  explanation:
    'Your organization requires a second sign-in step (multi-factor authentication) that was not completed, so the sign-in could not be used.',
  fix: `${REAUTHORIZE_FIX} Complete the multi-factor prompt in the browser when it appears.`,
  action: 'reauthorize',
});

const CONDITIONAL_ACCESS: Entry = () => ({
  title: 'Blocked by a Conditional Access policy',
  explanation:
    "A Conditional Access policy of your organization blocked this sign-in (for example because of the location, the device or the app). The backup service signs in from Azure's data centres, which such policies often do not allow.",
  fix: 'Ask your Entra administrator to review the sign-in logs for this app (Entra admin center › Sign-in logs, filter by the app) and allow it in the Conditional Access policy that blocked it; then authorize the connection again.',
  action: 'reauthorize',
});

const GRANT_EXPIRED: Entry = () => ({
  title: 'The sign-in has expired',
  explanation:
    'Microsoft no longer accepts the saved sign-in for this connection: it expired, was unused for too long (90 days), or was revoked (for example after a password change or a “revoke sessions”).',
  fix: REAUTHORIZE_FIX,
  action: 'reauthorize',
});

const BY_CODE_50011: Entry = (ctx) => ({
  title: 'The redirect URI is not registered for the app',
  explanation:
    'Microsoft only sends the sign-in back to addresses listed in the app registration, and the address of this service is not one of them (an exact match is required, including https, the host and the path).',
  fix: `In App registrations › ${q(ctx.clientId, 'your app')} › Authentication, under the Web platform, add exactly ${q(ctx.redirectUri, 'this service’s /api/auth/callback address')} as a redirect URI and save; then authorize again.`,
  action: 'fix-setup',
});

const UPLOAD_CERTIFICATE = (ctx: AdviceContext): string =>
  `Print the certificate with npm run cli -- certificate (it shows the thumbprint and a .cer to save), then in App registrations › ${q(ctx.clientId, 'your app')} › Certificates & secrets › Certificates choose Upload certificate and upload it; keep the previous certificate registered until it expires. Every connection of this app works again on the next attempt.`;

const CERTIFICATE_NOT_REGISTERED: Entry = (ctx) => ({
  title: 'Microsoft does not know the app’s certificate',
  explanation: `The app signed in with the certificate ${q(ctx.certificateName, 'in Key Vault')}, and Microsoft answered that the key it was signed with belongs to no certificate registered on the app registration: the public half of the certificate (or of its renewed version) was never uploaded, a different certificate was uploaded, or the one registered has expired.`,
  fix: UPLOAD_CERTIFICATE(ctx),
  action: 'fix-client',
});

const CERTIFICATE_EXPIRED: Entry = (ctx) => ({
  title: 'The app’s certificate has expired',
  explanation: `The certificate the app registration trusts has passed its expiry date, so Microsoft refuses assertions signed with it. Key Vault renews ${q(ctx.certificateName, 'the certificate')} before it expires, but only the renewed version’s public half, uploaded to the app registration, makes Microsoft accept it.`,
  fix: UPLOAD_CERTIFICATE(ctx),
  action: 'fix-client',
});

const FEDERATION_NOT_FOUND: Entry = (ctx) => ({
  title: 'The app registration does not trust this managed identity',
  explanation:
    'The app presented its managed identity’s token, and Microsoft found no federated credential on the app registration that matches it: the issuer, the subject (the managed identity’s object id) or the audience differ from what was entered, or the credential was added minutes ago and has not reached every server yet.',
  fix: `In App registrations › ${q(ctx.clientId, 'your app')} › Certificates & secrets › Federated credentials, add (or correct) a credential of scenario “Managed Identity”: issuer https://login.microsoftonline.com/<tenant id>/v2.0, the function app’s user-assigned identity (subject = its object id, shown as the deployment output federatedCredentialSubject) and audience api://AzureADTokenExchange (…USGov or …China in those clouds). Wait a few minutes and try again.`,
  action: 'fix-client',
});

const BY_CODE: Record<number, Entry> = {
  700027: CERTIFICATE_NOT_REGISTERED,
  700024: () => ({
    title: 'The app’s signed assertion was outside its valid time',
    explanation:
      'Microsoft refused the client assertion as not yet valid or already expired. It is valid for five minutes from when it is made, so the clock of the machine running the service is probably wrong.',
    fix: 'Check the clock of the machine that runs the service (in Azure this fixes itself; locally, turn on time synchronization) and try again.',
    action: 'fix-client',
  }),
  700021: (ctx) => ({
    title: 'The signed assertion names a different app',
    explanation: 'The client assertion was made for another client id than the one the request names.',
    fix: `Check that GRAPH_CLIENT_ID (or the connection's client id) is ${q(ctx.clientId, 'the Application (client) ID')} and that the certificate or federated credential belongs to that app registration.`,
    action: 'fix-client',
  }),
  700023: () => ({
    title: 'The signed assertion was made for another cloud or tenant',
    explanation:
      'The assertion’s audience does not match the token endpoint it was sent to (for example a national cloud’s connection signing for the global endpoint).',
    fix: 'Check the connection’s cloud and tenant: they must be those of the app registration.',
    action: 'fix-client',
  }),
  70021: FEDERATION_NOT_FOUND,
  700211: (ctx) => ({
    ...FEDERATION_NOT_FOUND(ctx),
    explanation:
      'The managed identity’s token comes from an issuer no federated credential on the app registration names: the issuer must be https://login.microsoftonline.com/<tenant id>/v2.0 of the tenant of both the app and the identity.',
  }),
  700212: (ctx) => ({
    ...FEDERATION_NOT_FOUND(ctx),
    explanation:
      'The managed identity’s token has an audience no federated credential on the app registration accepts: it must be api://AzureADTokenExchange (api://AzureADTokenExchangeUSGov or api://AzureADTokenExchangeChina in those clouds).',
  }),
  700213: (ctx) => ({
    ...FEDERATION_NOT_FOUND(ctx),
    title: 'The federated credential names another managed identity',
    explanation:
      'The federated credential on the app registration has a subject that is not this function app’s managed identity: the subject must be the identity’s object (principal) id, exactly, and the identity must be user-assigned.',
  }),
  50011: BY_CODE_50011,
  500112: (ctx) => ({
    ...BY_CODE_50011(ctx),
    explanation:
      'The address the sign-in came back to differs from the one it started with (the redirect URI setting changed during the sign-in, or two instances use different settings).',
  }),
  500113: (ctx) => ({
    title: 'The app registration has no redirect URI',
    explanation: 'The app registration lists no address Microsoft may send the sign-in back to.',
    fix: `In App registrations › ${q(ctx.clientId, 'your app')} › Authentication › Add a platform › Web, add ${q(ctx.redirectUri, 'this service’s /api/auth/callback address')}; then authorize again.`,
    action: 'fix-setup',
  }),
  700016: (ctx) => ({
    title: 'The app was not found',
    explanation:
      'Microsoft does not know an app with this client id in the tenant used (a typo in the client id, the wrong tenant, or the wrong national cloud).',
    fix: `Check that the client id ${q(ctx.clientId, '')} is the “Application (client) ID” shown on the app registration's Overview page, and that the connection's tenant and cloud are the ones the app lives in.`,
    action: 'fix-setup',
  }),
  700025: (ctx) => ({
    title: 'The app registration is set up as a public client',
    explanation:
      'The redirect URI is registered under “Mobile and desktop applications” or “Single-page application” (or public client flows are allowed), so Microsoft refuses the client secret this service must send.',
    fix: `In App registrations › ${q(ctx.clientId, 'your app')} › Authentication, remove ${q(ctx.redirectUri, 'the callback address')} from the mobile/desktop and single-page platforms, add it under the Web platform, and set “Allow public client flows” to No.`,
    action: 'fix-setup',
  }),
  9002331: WRONG_ACCOUNT_TYPE,
  9002332: WRONG_ACCOUNT_TYPE,
  50020: WRONG_ACCOUNT_TYPE,
  7000215: (ctx) => ({
    title: 'The client secret is wrong',
    explanation:
      'Microsoft rejected the client secret. Most often the “Secret ID” was copied instead of the secret’s “Value” (the Value is shown only once, right after the secret is created).',
    fix: `In App registrations › ${q(ctx.clientId, 'your app')} › Certificates & secrets, create a new client secret, copy its Value (not the Secret ID) and store it in Key Vault as ${q(ctx.clientSecretName, 'the client secret')} with its expiry date; every connection of this app works again on the next attempt.`,
    action: 'fix-client',
  }),
  7000222: (ctx) => ({
    title: 'The client secret has expired',
    explanation:
      'The app registration’s client secret reached its expiry date, so no connection of this app can sign in or refresh.',
    fix: `In App registrations › ${q(ctx.clientId, 'your app')} › Certificates & secrets, create a new client secret, copy its Value and store it in Key Vault as ${q(ctx.clientSecretName, 'the client secret')} with the new expiry date.`,
    action: 'fix-client',
  }),
  65001: ADMIN_CONSENT,
  65004: () => ({
    title: 'Permission was not granted',
    explanation: 'The consent screen was declined, so the app received no access to your files.',
    fix: 'Authorize the connection again and choose Accept on the permissions screen.',
    action: 'retry-signin',
  }),
  70008: GRANT_EXPIRED,
  // invalid_grant too, but nothing expired: the code or token was not one Microsoft issued to this app.
  9002313: (ctx) => ({
    title: 'Microsoft refused the sign-in as invalid',
    explanation:
      'Microsoft answered that the request was malformed or invalid: the sign-in code (or saved sign-in) it carried is not one Microsoft issued to this app — it was altered or cut short on the way (for example by a link scanner or a proxy rewriting the address), or it belongs to another app registration.',
    fix: `${REAUTHORIZE_FIX} Finish the sign-in in the same browser, straight from Microsoft's page; if it fails again, check that the connection uses the client id ${q(ctx.clientId, 'of the app you sign in to')}.`,
    action: 'reauthorize',
  }),
  700082: GRANT_EXPIRED,
  50173: GRANT_EXPIRED,
  50076: MFA,
  50079: MFA,
  53003: CONDITIONAL_ACCESS,
  50058: () => ({
    title: 'You are not signed in',
    explanation: 'The sign-in page needed to show a prompt but could not.',
    fix: REAUTHORIZE_FIX,
    action: 'reauthorize',
  }),
};

const BY_ERROR: Record<string, Entry> = {
  access_denied: () => ({
    title: 'Sign-in was cancelled',
    explanation:
      'The sign-in or the permissions screen was cancelled or declined, so no access was granted. Nothing changed.',
    fix: 'Authorize the connection again, sign in and choose Accept on the permissions screen. If your organization requires an administrator to approve apps, ask one to grant admin consent first.',
    action: 'retry-signin',
  }),
  consent_required: ADMIN_CONSENT,
  interaction_required: (ctx) => ({
    ...GRANT_EXPIRED(ctx),
    title: 'You need to sign in again',
    explanation:
      'Microsoft needs you to sign in again in a browser (for example a new multi-factor or terms-of-use requirement) before it issues more tokens for this connection.',
  }),
  login_required: GRANT_EXPIRED,
  invalid_grant: GRANT_EXPIRED,
  invalid_client: (ctx) => ({
    title: 'The app’s credentials were rejected',
    explanation: 'Microsoft rejected the app registration’s client id or client secret.',
    fix: `Check the client id ${q(ctx.clientId, '')} and store a current client secret Value in Key Vault as ${q(ctx.clientSecretName, 'the client secret')}.`,
    action: 'fix-client',
  }),
  unauthorized_client: (ctx) => ({
    title: 'The app may not use this sign-in method',
    explanation:
      'The app registration is not allowed to use this kind of sign-in (or is disabled in your tenant).',
    fix: `Check App registrations › ${q(ctx.clientId, 'your app')} › Authentication (Web platform, redirect URI) and that the app is enabled for users in Enterprise applications.`,
    action: 'fix-setup',
  }),
  invalid_scope: () => ({
    title: 'A requested permission is not valid',
    explanation: 'Microsoft did not accept one of the requested permissions for this account or cloud.',
    fix: 'Check that the app registration lists the Microsoft Graph delegated permissions Files.ReadWrite.All, offline_access and User.Read (and Sites.Read.All for SharePoint).',
    action: 'fix-setup',
  }),
  temporarily_unavailable: () => ({
    title: 'Microsoft sign-in is temporarily unavailable',
    explanation: 'The Microsoft identity platform did not answer properly just now.',
    fix: 'Try again in a few minutes.',
    action: 'retry-later',
  }),
  server_error: () => ({
    title: 'Microsoft sign-in had an internal error',
    explanation: 'The Microsoft identity platform reported an error of its own.',
    fix: 'Try again in a few minutes.',
    action: 'retry-later',
  }),
  network_error: () => ({
    title: 'Microsoft sign-in could not be reached',
    explanation: 'The service could not reach the Microsoft identity platform.',
    fix: 'Try again in a few minutes; if it keeps failing, check the function app’s outbound network access.',
    action: 'retry-later',
  }),
};

/** The explanation and fix for an identity-platform error. The AADSTS code wins over the OAuth error. */
export function adviseIdentityError(error: IdentityError, ctx: AdviceContext = {}): Advice {
  const codes = error.errorCodes?.length
    ? error.errorCodes
    : [...(error.description ?? '').matchAll(/AADSTS(\d+)/g)].map((m) => Number(m[1]));
  for (const code of codes) {
    // The same code covers a certificate that is unknown and one that has expired; the
    // description says which ("The key used is expired").
    if (code === 700027 && /expired/i.test(error.description ?? ''))
      return { code: `AADSTS${code}`, ...CERTIFICATE_EXPIRED(ctx) };
    const entry = BY_CODE[code];
    if (entry) return { code: `AADSTS${code}`, ...entry(ctx) };
  }
  if (error.error === 'invalid_client' && ctx.credentialKind && ctx.credentialKind !== 'secret') {
    const entry = ctx.credentialKind === 'federated' ? FEDERATION_NOT_FOUND : CERTIFICATE_NOT_REGISTERED;
    return { code: codes.length ? `AADSTS${codes[0]}` : error.error, ...entry(ctx) };
  }
  const byError = BY_ERROR[error.error];
  if (byError) return { code: codes.length ? `AADSTS${codes[0]}` : error.error, ...byError(ctx) };
  return {
    code: codes.length ? `AADSTS${codes[0]}` : error.error || 'unknown_error',
    title: 'Microsoft sign-in failed',
    explanation: 'Microsoft returned an error this service does not recognise.',
    fix: 'Try authorizing again. If it fails again, look up the error code shown below in Microsoft’s AADSTS error reference.',
    action: error.error?.startsWith('http_5') ? 'retry-later' : 'fix-setup',
  };
}

export type StateProblemName = 'missing' | 'unknown' | 'replayed' | 'expired';

const STATE: Record<StateProblemName, Omit<Advice, 'code'>> = {
  missing: {
    title: 'This address was opened without a sign-in in progress',
    explanation:
      'The callback address is where Microsoft sends the browser after signing in; it was opened without the “state” value that ties it to a sign-in started here.',
    fix: 'Start from the setup page and choose Authorize on the connection.',
    action: 'retry-signin',
  },
  unknown: {
    title: 'This sign-in was not started here',
    explanation:
      'The “state” value does not belong to any sign-in this service started, so the response was refused (this protects against forged sign-in links).',
    fix: 'Start from the setup page and choose Authorize on the connection. Do not use sign-in links from elsewhere.',
    action: 'retry-signin',
  },
  replayed: {
    title: 'This sign-in response was already used',
    explanation:
      'Each sign-in response can be used once; this one was used before (for example the page was reloaded or the browser went back).',
    fix: 'Check the connection’s status in the setup page: it may already be authorized. Otherwise choose Authorize again.',
    action: 'retry-signin',
  },
  expired: {
    title: 'The sign-in took too long',
    explanation: 'A sign-in must be completed within 10 minutes of choosing Authorize.',
    fix: 'Choose Authorize on the connection again and complete the sign-in within 10 minutes.',
    action: 'retry-signin',
  },
};

export function adviseStateProblem(problem: StateProblemName): Advice {
  return { code: `state-${problem}`, ...STATE[problem] };
}
