// The certificate policy of a create request, checked and completed with the service's defaults
// ("Create Certificate" and "Certificate policy" in the Key Vault REST reference and "About Azure Key
// Vault certificates"): RSA 2048 exportable, PKCS#12 secret, digitalSignature + keyEncipherment,
// server and client authentication EKUs, 12 months, and one AutoRenew action at 80% of the lifetime.
import type { CertificatePolicy, LifetimeAction } from './certificates';
import { checkKeySize } from './certificates';
import { parseSubject } from './crypto';
import { badParameter } from './errors';

const CONTENT_TYPES = ['application/x-pkcs12', 'application/x-pem-file'];
const KEY_USAGES = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});

export function parsePolicy(raw: unknown, now: number): CertificatePolicy {
  if (!raw || typeof raw !== 'object') throw badParameter('Property policy is required.');
  const p = raw as Json;
  const keyProps = obj(p.key_props);
  const kty = keyProps.kty ?? 'RSA';
  if (kty !== 'RSA')
    throw badParameter(`Key type ${String(kty)} is not supported by the emulator (RSA only).`);
  const issuerName = String(obj(p.issuer).name ?? 'Self');
  // Unknown (a CSR merged later) and partner CAs need an issuer the emulator does not have.
  if (issuerName.toLowerCase() !== 'self') {
    throw badParameter(`Issuer ${issuerName} is not supported by the emulator (Self only).`);
  }
  const x509 = obj(p.x509_props);
  const subject = typeof x509.subject === 'string' ? x509.subject : '';
  const sans = obj(x509.sans);
  const dnsNames = Array.isArray(sans.dns_names) ? sans.dns_names.map(String) : undefined;
  if (!subject && !dnsNames?.length) {
    throw badParameter('The certificate policy needs a subject or subject alternative names.');
  }
  if (subject && !parseSubject(subject))
    throw badParameter(`The subject '${subject}' is not a valid X.500 name.`);
  const keyUsage = Array.isArray(x509.key_usage)
    ? x509.key_usage.map(String)
    : ['digitalSignature', 'keyEncipherment'];
  for (const usage of keyUsage) {
    if (!KEY_USAGES.includes(usage)) throw badParameter(`Unknown key usage ${usage}.`);
  }
  const validity = x509.validity_months ?? 12;
  if (typeof validity !== 'number' || !Number.isInteger(validity) || validity < 1 || validity > 1200) {
    throw badParameter('Property validity_months must be a whole number of months.');
  }
  const contentType = String(obj(p.secret_props).contentType ?? 'application/x-pkcs12');
  if (!CONTENT_TYPES.includes(contentType))
    throw badParameter(`Unsupported secret content type ${contentType}.`);
  return {
    key_props: {
      exportable: keyProps.exportable === undefined ? true : keyProps.exportable === true,
      kty: 'RSA',
      key_size: checkKeySize(keyProps.key_size),
      reuse_key: keyProps.reuse_key === true,
    },
    secret_props: { contentType },
    x509_props: {
      subject: subject || `CN=${dnsNames![0]}`,
      ...(dnsNames?.length ? { sans: { dns_names: dnsNames } } : {}),
      ekus: Array.isArray(x509.ekus) ? x509.ekus.map(String) : ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'],
      key_usage: keyUsage,
      validity_months: validity,
    },
    lifetime_actions: parseLifetimeActions(p.lifetime_actions),
    issuer: { name: 'Self' },
    attributes: { enabled: obj(p.attributes).enabled !== false, created: now, updated: now },
  };
}

function parseLifetimeActions(raw: unknown): LifetimeAction[] {
  if (raw === undefined || raw === null) {
    return [{ trigger: { lifetime_percentage: 80 }, action: { action_type: 'AutoRenew' } }];
  }
  if (!Array.isArray(raw)) throw badParameter('Property lifetime_actions must be an array.');
  return raw.map((item) => {
    const trigger = obj(obj(item).trigger);
    const type = obj(obj(item).action).action_type;
    if (type !== 'AutoRenew' && type !== 'EmailContacts') {
      throw badParameter(`Unknown lifetime action ${String(type)}.`);
    }
    const pct = trigger.lifetime_percentage;
    const days = trigger.days_before_expiry;
    if ((pct === undefined) === (days === undefined)) {
      throw badParameter(
        'A lifetime action trigger needs exactly one of lifetime_percentage and days_before_expiry.',
      );
    }
    if (pct !== undefined && (typeof pct !== 'number' || pct < 1 || pct > 99)) {
      throw badParameter('lifetime_percentage must be between 1 and 99.');
    }
    if (days !== undefined && (typeof days !== 'number' || days < 1)) {
      throw badParameter('days_before_expiry must be a positive number of days.');
    }
    return {
      trigger:
        pct !== undefined ? { lifetime_percentage: pct as number } : { days_before_expiry: days as number },
      action: { action_type: type },
    };
  });
}
