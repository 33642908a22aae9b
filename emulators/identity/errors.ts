// The catalogue of AADSTS errors the emulator produces: code -> OAuth `error`, HTTP status, optional
// `suberror` and the message Microsoft sends (texts taken from real responses quoted in public issue
// threads). One module so the product's tests can reuse the exact texts.
import { randomUUID } from 'node:crypto';
import { LOGIN_HOST } from './constants';

export interface ErrorParams {
  appId?: string;
  appName?: string;
  redirectUri?: string;
  expectedRedirectUri?: string;
  tenant?: string;
  tenantName?: string;
  upn?: string;
  identityProvider?: string;
  issuedAt?: string;
  validFrom?: string;
  resourceAppId?: string;
  scope?: string;
  parameter?: string;
  grantType?: string;
  responseType?: string;
  /** Client assertions: what was wrong with the key, and the thumbprint (hex) the client named. */
  keyProblem?: 'notFound' | 'badSignature' | 'expired' | 'notYetValid';
  thumbprint?: string;
  keyStart?: string;
  keyEnd?: string;
  currentTime?: string;
  assertionValidFrom?: string;
  assertionExpiry?: string;
  reason?: string;
  issuer?: string;
  subject?: string;
  audience?: string;
}

export interface AadstsEntry {
  code: number;
  error: string;
  status: number;
  suberror?: string;
  /** What the authorize endpoint puts in `error` when it redirects this failure (defaults to `error`). */
  authorizeError?: string;
  message: (p: ErrorParams) => string;
}

const app = (p: ErrorParams) => `'${p.appId ?? '00000000-0000-0000-0000-000000000000'}'`;
const named = (p: ErrorParams) => `${app(p)}(${p.appName ?? 'app'})`;
const resource = (p: ErrorParams) => `'${p.resourceAppId ?? '00000003-0000-0000-c000-000000000000'}'`;

const CERT_DOCS = 'https://learn.microsoft.com/entra/identity-platform/certificate-credentials';
const WIF_DOCS = 'https://learn.microsoft.com/entra/workload-id/workload-identity-federation';
const keysHint = (p: ErrorParams) =>
  `Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${p.appId}'. Review the documentation at https://docs.microsoft.com/en-us/graph/deployelevatedaccess for more information.`;
const foundKey = (p: ErrorParams) => `Found key 'Start=${p.keyStart}, End=${p.keyEnd}'`;

/**
 * AADSTS700027's texts. "not registered" is verbatim from service responses quoted in public issue
 * threads (AzureAD/microsoft-authentication-library-for-js#8339); "invalid signature" follows the
 * quoted first sentence (AzureAD/passport-azure-ad#453) with the same bracket; the expired and
 * not-yet-valid reasons are worded in the same pattern, their exact text not being published.
 */
function keyProblemMessage(p: ErrorParams): string {
  const thumb = `Thumbprint of key used by client: '${p.thumbprint ?? ''}'`;
  switch (p.keyProblem) {
    case 'badSignature':
      return `Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value., ${thumb}, ${foundKey(p)}, ${keysHint(p)}]`;
    case 'expired':
      return `Client assertion failed signature validation. [Reason - The key used is expired., ${thumb}, ${foundKey(p)}, ${keysHint(p)}]`;
    case 'notYetValid':
      return `Client assertion failed signature validation. [Reason - The key used is not yet valid., ${thumb}, ${foundKey(p)}, ${keysHint(p)}]`;
    default:
      return `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., ${thumb}, ${keysHint(p)}]`;
  }
}

const entries: AadstsEntry[] = [
  {
    code: 700027,
    error: 'invalid_client',
    status: 401,
    message: keyProblemMessage,
  },
  {
    // Verbatim in service responses quoted in Azure/login#180 and microsoft-authentication-library-for-java#984.
    code: 700024,
    error: 'invalid_client',
    status: 401,
    message: (p) =>
      `Client assertion is not within its valid time range. Current time: ${p.currentTime}, assertion valid from ${p.assertionValidFrom}, expiry time of assertion ${p.assertionExpiry}. Review the documentation at ${CERT_DOCS} .`,
  },
  {
    // The wording reported in AzureAD/microsoft-identity-web#16; the rest of the text is not published.
    code: 700023,
    error: 'invalid_client',
    status: 401,
    message: () =>
      `Client assertion audience claim does not match Realm issuer. Review the documentation at ${CERT_DOCS} .`,
  },
  {
    code: 700021,
    error: 'invalid_client',
    status: 401,
    message: () =>
      `Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at ${CERT_DOCS} .`,
  },
  {
    // "AADSTS50027: Invalid JWT token. No certificate thumbprint specified in token header." (quoted in
    // AzureAD/microsoft-authentication-library-for-dotnet#124); the reason varies.
    code: 50027,
    error: 'invalid_request',
    status: 400,
    message: (p) => `Invalid JWT token. ${p.reason ?? 'The token is malformed.'}`,
  },
  {
    // 700211 and 700213 verbatim from responses quoted in Azure/azure-workload-identity#1200; 700212
    // follows the same pattern for the audience.
    code: 700211,
    error: 'invalid_client',
    status: 401,
    message: (p) =>
      `No matching federated identity record found for presented assertion issuer '${p.issuer}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${WIF_DOCS}`,
  },
  {
    code: 700212,
    error: 'invalid_client',
    status: 401,
    message: (p) =>
      `No matching federated identity record found for presented assertion audience '${p.audience}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${WIF_DOCS}`,
  },
  {
    code: 700213,
    error: 'invalid_client',
    status: 401,
    message: (p) =>
      `No matching federated identity record found for presented assertion subject '${p.subject}'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${WIF_DOCS}`,
  },
  {
    code: 50011,
    error: 'invalid_request',
    status: 400,
    message: (p) =>
      `The redirect URI '${p.redirectUri}' specified in the request does not match the redirect URIs configured for the application ${app(p)}. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.`,
  },
  {
    code: 500112,
    error: 'invalid_grant',
    status: 400,
    message: (p) =>
      `The reply address '${p.redirectUri}' does not match the reply address '${p.expectedRedirectUri}' provided when requesting Authorization code.`,
  },
  {
    code: 700016,
    error: 'unauthorized_client',
    status: 400,
    message: (p) =>
      `Application with identifier ${app(p)} was not found in the directory '${p.tenantName ?? p.tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
  },
  {
    code: 700025,
    error: 'invalid_client',
    status: 401,
    message: () => `Client is public so neither 'client_assertion' nor 'client_secret' should be presented.`,
  },
  {
    code: 9002331,
    error: 'invalid_request',
    status: 400,
    message: (p) =>
      `Application ${named(p)} is configured for use by Microsoft Account users only. Please use the /consumers endpoint to serve this request.`,
  },
  {
    code: 9002332,
    error: 'invalid_request',
    status: 400,
    message: (p) =>
      `Application ${named(p)} is configured for use by Azure Active Directory users only. Please do not use the /consumers endpoint to serve this request.`,
  },
  {
    code: 50194,
    error: 'invalid_request',
    status: 400,
    message: (p) =>
      `Application ${named(p)} is not configured as a multi-tenant application. Usage of the /common endpoint is not supported for such applications created after '10/15/2018'. Use a tenant-specific endpoint or configure the application to be multi-tenant.`,
  },
  {
    code: 50020,
    error: 'invalid_request',
    status: 400,
    message: (p) =>
      `User account '${p.upn}' from identity provider '${p.identityProvider}' does not exist in tenant '${p.tenantName}' and cannot access the application ${named(p)} in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Azure Active Directory user account.`,
  },
  {
    code: 500200,
    error: 'invalid_request',
    status: 400,
    message: (p) =>
      `User account '${p.upn}' is a personal Microsoft account. Personal Microsoft accounts are not supported for this application unless explicitly invited to an organization. Try signing out and signing back in with an organizational account.`,
  },
  {
    code: 90002,
    error: 'invalid_request',
    status: 400,
    message: (p) =>
      `Tenant '${p.tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
  },
  {
    code: 7000215,
    error: 'invalid_client',
    status: 401,
    message: (p) =>
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app ${app(p)}.`,
  },
  {
    code: 7000222,
    error: 'invalid_client',
    status: 401,
    message: (p) =>
      `The provided client secret keys for app ${app(p)} are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
  },
  {
    code: 7000218,
    error: 'invalid_client',
    status: 401,
    message: () =>
      `The request body must contain the following parameter: 'client_assertion' or 'client_secret'.`,
  },
  {
    code: 70008,
    error: 'invalid_grant',
    status: 400,
    message: () =>
      `The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.`,
  },
  {
    code: 700082,
    error: 'invalid_grant',
    status: 400,
    suberror: 'bad_token',
    message: (p) =>
      `The refresh token has expired due to inactivity. The token was issued on ${p.issuedAt} and was inactive for 90.00:00:00.`,
  },
  {
    code: 50173,
    error: 'invalid_grant',
    status: 400,
    suberror: 'bad_token',
    message: (p) =>
      `The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '${p.issuedAt}' and the TokensValidFrom date (before which tokens are not valid) for this user is '${p.validFrom}'.`,
  },
  {
    code: 54005,
    error: 'invalid_grant',
    status: 400,
    message: () =>
      `OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.`,
  },
  {
    code: 501481,
    error: 'invalid_grant',
    status: 400,
    message: () =>
      `The Code_Verifier does not match the code_challenge supplied in the authorization request.`,
  },
  {
    code: 50149,
    error: 'invalid_request',
    status: 400,
    message: () => `Invalid Code_Challenge_method parameter.`,
  },
  {
    code: 9002313,
    error: 'invalid_grant',
    status: 400,
    message: () => `Invalid request. Request is malformed or invalid.`,
  },
  {
    code: 65001,
    error: 'invalid_grant',
    status: 400,
    suberror: 'consent_required',
    authorizeError: 'consent_required',
    message: (p) =>
      `The user or administrator has not consented to use the application with ID ${app(p)} named '${p.appName}'. Send an interactive authorization request for this user and resource.`,
  },
  {
    code: 65004,
    error: 'access_denied',
    status: 400,
    message: () => `User declined to consent to access the app.`,
  },
  {
    code: 50076,
    error: 'invalid_grant',
    status: 400,
    suberror: 'basic_action',
    authorizeError: 'interaction_required',
    message: (p) =>
      `Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access ${resource(p)}.`,
  },
  {
    code: 50079,
    error: 'invalid_grant',
    status: 400,
    suberror: 'basic_action',
    authorizeError: 'interaction_required',
    message: (p) =>
      `Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access ${resource(p)}.`,
  },
  {
    code: 53003,
    error: 'interaction_required',
    status: 400,
    suberror: 'message_only',
    message: () =>
      `Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.`,
  },
  {
    code: 1002012,
    error: 'invalid_scope',
    status: 400,
    message: (p) =>
      `The provided value for scope ${p.scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
  },
  {
    code: 28000,
    error: 'invalid_scope',
    status: 400,
    message: (p) =>
      `Provided value for the input parameter scope is not valid because it contains more than one resource. Scope ${p.scope} is not valid.`,
  },
  {
    code: 900144,
    error: 'invalid_request',
    status: 400,
    message: (p) => `The request body must contain the following parameter: '${p.parameter}'.`,
  },
  {
    code: 70003,
    error: 'unsupported_grant_type',
    status: 400,
    message: (p) => `The app requested an unsupported grant type '${p.grantType}'.`,
  },
  {
    code: 700054,
    error: 'unsupported_response_type',
    status: 400,
    message: (p) => `response_type '${p.responseType}' is not enabled for the application.`,
  },
];

export const AADSTS: ReadonlyMap<number, AadstsEntry> = new Map(entries.map((e) => [e.code, e]));

export function catalogueEntry(code: number): AadstsEntry {
  const entry = AADSTS.get(code);
  if (!entry) throw new Error(`AADSTS${code} is not in the emulator's catalogue`);
  return entry;
}

export interface AadErrorBody {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
  error_uri: string;
  suberror?: string;
  claims?: string;
}

/** The STS timestamp format: `2023-05-06 06:03:00Z`. */
export function stsTimestamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

export interface ErrorContext {
  now: number;
  /** Echoed from the client's `client-request-id` header, as Entra does. */
  correlationId?: string;
}

/** A complete error as the token endpoint sends it. */
export function aadError(
  code: number,
  params: ErrorParams,
  ctx: ErrorContext,
): { status: number; body: AadErrorBody } {
  const entry = catalogueEntry(code);
  const traceId = randomUUID();
  const correlationId = ctx.correlationId ?? randomUUID();
  const timestamp = stsTimestamp(ctx.now);
  const body: AadErrorBody = {
    error: entry.error,
    error_description: `AADSTS${code}: ${entry.message(params)}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${LOGIN_HOST}/error?code=${code}`,
  };
  if (entry.suberror) body.suberror = entry.suberror;
  if (entry.code === 50076 || entry.code === 50079) {
    // MFA challenges carry the claims the client must request on the next interactive sign-in.
    body.claims = JSON.stringify({
      access_token: { capolids: { essential: true, values: ['emulator-mfa'] } },
    });
  }
  return { status: entry.status, body };
}
