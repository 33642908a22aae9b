// Who may sign in where: the tenant segment of the URL (common, consumers, organizations or a tenant
// id), the app's sign-in audience and the user's account type, with the AADSTS code Entra answers
// when they do not fit.
import { CONSUMER_TENANT_ID, CONSUMER_TENANT_NAME } from './constants';
import type { AppRegistration, Directory, User } from './directory';
import type { ErrorParams } from './errors';

export interface RuleFailure {
  code: number;
  params: ErrorParams;
}

const isConsumers = (tenant: string) => tenant === 'consumers' || tenant === CONSUMER_TENANT_ID;
const isMultiTenantSegment = (tenant: string) => tenant === 'common' || tenant === 'organizations';
const aadOnly = (app: AppRegistration) =>
  app.signInAudience === 'AzureADMyOrg' || app.signInAudience === 'AzureADMultipleOrgs';

function appParams(app: AppRegistration): ErrorParams {
  return { appId: app.clientId, appName: app.displayName };
}

/** Rules that depend only on the app and the endpoint, checked before anyone signs in. */
export function checkAppForTenant(app: AppRegistration, tenant: string): RuleFailure | undefined {
  if (app.signInAudience === 'PersonalMicrosoftAccount' && !isConsumers(tenant)) {
    return { code: 9002331, params: appParams(app) };
  }
  if (aadOnly(app) && isConsumers(tenant)) return { code: 9002332, params: appParams(app) };
  if (app.signInAudience === 'AzureADMyOrg') {
    if (isMultiTenantSegment(tenant)) return { code: 50194, params: appParams(app) };
    if (tenant !== app.homeTenantId) {
      return { code: 700016, params: { ...appParams(app), tenant, tenantName: tenant } };
    }
  }
  return undefined;
}

/** Rules on the account chosen at sign-in; Entra shows these on its own page. */
export function checkUser(app: AppRegistration, tenant: string, user: User): RuleFailure | undefined {
  const params = { ...appParams(app), upn: user.upn };
  if (user.accountType === 'personal') {
    if (isConsumers(tenant)) return undefined;
    if (tenant === 'organizations' || (tenant === 'common' && aadOnly(app))) {
      return { code: 500200, params };
    }
    if (tenant === 'common') return undefined;
    return { code: 50020, params: { ...params, identityProvider: 'live.com', tenantName: tenant } };
  }
  const workIdp = `https://sts.windows.net/${user.tenantId}/`;
  if (isConsumers(tenant)) {
    return {
      code: 50020,
      params: { ...params, identityProvider: workIdp, tenantName: CONSUMER_TENANT_NAME },
    };
  }
  if (!isMultiTenantSegment(tenant) && tenant !== user.tenantId) {
    return { code: 50020, params: { ...params, identityProvider: workIdp, tenantName: tenant } };
  }
  return undefined;
}

/** The account that signs in when a test did not name one: the login hint, else the first fitting user. */
export function defaultUser(
  directory: Directory,
  app: AppRegistration,
  tenant: string,
  loginHint?: string | null,
): User | undefined {
  if (loginHint) {
    const hinted = directory.userByUpn(loginHint);
    if (hinted) return hinted;
  }
  const users = [...directory.users.values()];
  const personal = users.find((u) => u.accountType === 'personal');
  const work = (tid?: string) => users.find((u) => u.accountType === 'work' && (!tid || u.tenantId === tid));
  if (isConsumers(tenant)) return personal;
  if (tenant === 'organizations') return work();
  if (tenant === 'common') {
    if (aadOnly(app)) return work();
    return personal ?? work();
  }
  return work(tenant);
}

/** Whether the segment names a tenant the emulator serves. */
export function knownTenantSegment(directory: Directory, tenant: string): boolean {
  return ['common', 'consumers', 'organizations'].includes(tenant) || directory.knownTenant(tenant);
}
