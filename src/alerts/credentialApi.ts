// GET /api/credential/certificate[?version=]: the public half of the app's client certificate in
// the forms the Azure portal takes (a PEM .cer, or the base64 DER the manifest's keyCredentials
// use), with the SHA-1 thumbprint the portal lists and the x5t#S256 the assertions carry. It works
// whichever CLIENT_CREDENTIAL is set, so the certificate can be uploaded before switching to it.
// The private key is never read: Key Vault's certificate object carries only the public X.509.
import { AppError } from '../errors';
import { jsonResult, type HttpRequestLike, type HttpResult } from '../http/types';
import { x5tS256 } from '../secrets/certificateStore';
import type { AlertDeps } from './deps';

export function pemOf(der: Uint8Array): string {
  const base64 = Buffer.from(der).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

export async function getClientCertificate(deps: AlertDeps, request: HttpRequestLike): Promise<HttpResult> {
  const credential = deps.credential;
  if (!credential?.certificates)
    throw new AppError('NotFound', 'No certificate store is configured', {
      field: 'CLIENT_CERTIFICATE_NAME',
    });
  const name = credential.certificateName;
  const versions = await credential.certificates.versions(name);
  const wanted = request.query.get('version');
  const version = wanted ? versions.find((v) => v.version === wanted) : versions[0];
  if (!version)
    throw new AppError(
      'NotFound',
      `The certificate '${name}'${wanted ? ` has no enabled version '${wanted}'` : ' is not in Key Vault'}`,
      {
        field: 'version',
        advice: `Create it with the post-provision hook (azd provision runs it) or az keyvault certificate create --vault-name <vault> -n ${name} -p @infra/hooks/certificate-policy.json.`,
      },
    );
  const health = await credential.health?.get(name);
  return jsonResult(
    200,
    {
      certificateName: name,
      version: version.version,
      thumbprint: version.thumbprint,
      x5tS256: x5tS256(version.cer),
      notBefore: version.notBefore?.toISOString(),
      expiresOn: version.expiresOn?.toISOString(),
      acceptedByMicrosoft: health?.acceptedVersion === version.version,
      versions: versions.map((v) => ({
        version: v.version,
        thumbprint: v.thumbprint,
        expiresOn: v.expiresOn?.toISOString(),
      })),
      base64Der: Buffer.from(version.cer).toString('base64'),
      pem: pemOf(version.cer),
    },
    { 'cache-control': 'no-store' },
  );
}
