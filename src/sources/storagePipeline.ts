// The request pipeline the source's own storage requests go through (the listing, range reads):
// the Azure SDK's pieces as its clients assemble them, so retries and signing are the SDK's.
import { isTokenCredential } from '@azure/core-auth';
import { createRequestPolicyFactoryPolicy } from '@azure/core-http-compat';
import {
  bearerTokenAuthenticationPolicy,
  createPipelineFromOptions,
  decompressResponsePolicyName,
  RestError,
  type Pipeline,
} from '@azure/core-rest-pipeline';
import { StorageOAuthScopes, StorageSharedKeyCredential, type ContainerClient } from '@azure/storage-blob';
import { storageRetryPolicy, type StorageRetryOptions } from '@azure/storage-common';

/**
 * The service version the storage SDK sends on its own requests (the test checks they agree), so
 * the service answers with the same features: index tags (2019-12-12 and later) and listed names
 * the XML cannot carry percent-encoded with `Encoded="true"`.
 */
export const SOURCE_SERVICE_VERSION = '2026-04-06';

/** The pipeline for requests to the container `client` names, signed with its credential. */
export function sourcePipeline(client: ContainerClient, retry: StorageRetryOptions): Pipeline {
  const pipeline = createPipelineFromOptions({});
  // As the storage SDK builds its own: no Accept-Encoding (the service answers uncompressed), and
  // the storage retry policy instead of the generic one.
  pipeline.removePolicy({ name: decompressResponsePolicyName });
  pipeline.removePolicy({ phase: 'Retry' });
  pipeline.addPolicy(storageRetryPolicy(retry), { phase: 'Retry' });
  const credential = client.credential;
  // No tenant-challenge callback (the SDK's clients answer a 401 naming another tenant with a token
  // for it): the source's identity is a managed identity, which gets tokens from its own tenant
  // only, and a challenge's resource_id would choose what the token is for.
  if (isTokenCredential(credential))
    pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential, scopes: StorageOAuthScopes }), {
      phase: 'Sign',
    });
  else if (credential instanceof StorageSharedKeyCredential)
    pipeline.addPolicy(createRequestPolicyFactoryPolicy([credential]), { phase: 'Sign' });
  // Otherwise anonymous: a SAS, if any, is already in the client's URL.
  return pipeline;
}

/**
 * The service's error, as the SDK would raise it (status and error code), for toSourceError. A 400
 * names the query parameter it refused (`<QueryParameterName>`), kept in `details`: the source
 * tells a refusal of `include=tags` from a refusal of anything else by it.
 */
export function storageError(
  operation: string,
  status: number,
  errorCode: string | undefined,
  body: string | undefined,
): RestError {
  const code = errorCode ?? /<Code>([^<]*)<\/Code>/.exec(body ?? '')?.[1];
  const error = new RestError(`${operation} answered HTTP ${status}${code ? ` ${code}` : ''}`, {
    statusCode: status,
    code,
  });
  const queryParameterName = /<QueryParameterName>([^<]*)<\/QueryParameterName>/.exec(body ?? '')?.[1];
  if (queryParameterName !== undefined) error.details = { queryParameterName };
  return error;
}
