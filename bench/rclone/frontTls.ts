// A certificate authority made for one bench run, and a leaf signed by it for the host names the TLS
// front answers for (graph.microsoft.com, login.microsoftonline.com, the upload host). The local
// CA of emulators/shared/tls.ts cannot sign these: it keeps only its certificate, not its key (so
// nothing on the machine can mint certificates it trusts). This one lives in memory for the run and
// only rclone, through SSL_CERT_FILE, ever trusts it. node-forge (already a dependency for the
// local CA) builds the certificates; node:crypto makes the keys.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface FrontTls {
  caCertPem: string;
  certPem: string;
  keyPem: string;
}

function keys(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function certificate(publicKeyPem: string, days: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 3600_000);
  cert.validity.notAfter = new Date(Date.now() + days * 86_400_000);
  return cert;
}

export function makeFrontTls(hostNames: readonly string[]): FrontTls {
  const caKeys = keys();
  const caKey = forge.pki.privateKeyFromPem(caKeys.privateKeyPem);
  const ca = certificate(caKeys.publicKeyPem, 2);
  const caName = [{ name: 'commonName', value: 'azure-onedrive-backup bench TLS front (one run)' }];
  ca.setSubject(caName);
  ca.setIssuer(caName);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ]);
  ca.sign(caKey, forge.md.sha256.create());
  const leafKeys = keys();
  const leaf = certificate(leafKeys.publicKeyPem, 1);
  leaf.setSubject([{ name: 'commonName', value: hostNames[0] }]);
  leaf.setIssuer(caName);
  leaf.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: hostNames.map((value) => ({ type: 2, value })) },
  ]);
  leaf.sign(caKey, forge.md.sha256.create());
  return {
    caCertPem: forge.pki.certificateToPem(ca),
    certPem: forge.pki.certificateToPem(leaf),
    keyPem: leafKeys.privateKeyPem,
  };
}
