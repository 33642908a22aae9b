// The service's JSON shapes: SecretBundle, SecretItem, DeletedSecretBundle and DeletedSecretItem.
// Identifiers are built from the origin the client addressed, as the service uses the vault's own
// DNS name, so ids round-trip through the SDK's identifier parser.
import { RECOVERABLE_DAYS, RECOVERY_LEVEL, type Deletion, type SecretVersion } from './store';

type Json = Record<string, unknown>;

function attributes(v: SecretVersion): Json {
  const a = v.attributes;
  return {
    enabled: a.enabled,
    ...(a.nbf !== undefined ? { nbf: a.nbf } : {}),
    ...(a.exp !== undefined ? { exp: a.exp } : {}),
    created: a.created,
    updated: a.updated,
    recoverableDays: RECOVERABLE_DAYS,
    recoveryLevel: RECOVERY_LEVEL,
  };
}

function common(v: SecretVersion): Json {
  return {
    ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
    ...(v.tags !== undefined ? { tags: v.tags } : {}),
    attributes: attributes(v),
  };
}

const enc = encodeURIComponent;

/** SecretBundle. Set and get include the value; update, delete and recover do not. */
export function secretBundle(origin: string, name: string, v: SecretVersion, withValue: boolean): Json {
  return {
    ...(withValue ? { value: v.value } : {}),
    id: `${origin}/secrets/${enc(name)}/${v.version}`,
    ...common(v),
  };
}

/** SecretItem: no value; versioned ids in a versions listing, bare ids in the secrets listing. */
export function secretItem(origin: string, name: string, v: SecretVersion, versioned: boolean): Json {
  const id = `${origin}/secrets/${enc(name)}${versioned ? `/${v.version}` : ''}`;
  return { id, ...common(v) };
}

function deletion(origin: string, name: string, d: Deletion): Json {
  return {
    recoveryId: `${origin}/deletedsecrets/${enc(name)}`,
    deletedDate: d.deletedDate,
    scheduledPurgeDate: d.scheduledPurgeDate,
  };
}

/** DeletedSecretBundle (delete and get-deleted): the latest version's id and attributes, no value. */
export function deletedBundle(origin: string, name: string, v: SecretVersion, d: Deletion): Json {
  return { ...deletion(origin, name, d), ...secretBundle(origin, name, v, false) };
}

export function deletedItem(origin: string, name: string, v: SecretVersion, d: Deletion): Json {
  return { ...deletion(origin, name, d), ...secretItem(origin, name, v, false) };
}
