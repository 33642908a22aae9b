// Local TLS for the emulators. The Graph client and MSAL refuse plain http, so every emulator serves
// HTTPS with a leaf certificate signed by a CA generated here once per machine. Processes trust the
// CA through NODE_EXTRA_CA_CERTS (see scripts/with-ca.ts), exactly as they would a corporate CA.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import forge from 'node-forge';

export interface TlsMaterial {
  caCertPath: string;
  caCertPem: string;
  certPem: string;
  keyPem: string;
}

function repoRoot(from: string): string {
  // Source runs from emulators/shared and compiled code from dist/emulators/shared: walk up to package.json.
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

export const DEFAULT_TLS_DIR = path.join(repoRoot(__dirname), '.local', 'tls');

/** Host names the leaf certificate is valid for: two distinct names so upload URLs can live on a host other than the API's. */
export const LOCAL_HOST_NAMES = ['localhost', '127.0.0.1', '::1'];

function rsaKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  // node:crypto generates keys in milliseconds; node-forge's pure-JS generator takes seconds.
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function newCertificate(publicKeyPem: string, validDays: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 24 * 3600 * 1000);
  cert.validity.notAfter = new Date(Date.now() + validDays * 24 * 3600 * 1000);
  return cert;
}

function generate(): { caCertPem: string; certPem: string; keyPem: string } {
  const caKeys = rsaKeyPair();
  const caKey = forge.pki.privateKeyFromPem(caKeys.privateKeyPem);
  const ca = newCertificate(caKeys.publicKeyPem, 3650);
  const caName = [{ name: 'commonName', value: 'azure-onedrive-backup local emulators CA' }];
  ca.setSubject(caName);
  ca.setIssuer(caName);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKey, forge.md.sha256.create());

  const leafKeys = rsaKeyPair();
  const leaf = newCertificate(leafKeys.publicKeyPem, 825);
  leaf.setSubject([{ name: 'commonName', value: 'localhost' }]);
  leaf.setIssuer(caName);
  leaf.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 2, value: 'localhost' },
        { type: 7, ip: '127.0.0.1' },
        { type: 7, ip: '::1' },
      ],
    },
  ]);
  leaf.sign(caKey, forge.md.sha256.create());
  return {
    caCertPem: forge.pki.certificateToPem(ca),
    certPem: forge.pki.certificateToPem(leaf),
    keyPem: leafKeys.privateKeyPem,
  };
}

/** Returns the CA and leaf certificate, generating them on first use. Safe to call from many processes. */
export function ensureTls(dir: string = DEFAULT_TLS_DIR): TlsMaterial {
  const caCertPath = path.join(dir, 'ca.pem');
  const certPath = path.join(dir, 'localhost.pem');
  const keyPath = path.join(dir, 'localhost-key.pem');
  if (!existsSync(caCertPath) || !existsSync(certPath) || !existsSync(keyPath)) {
    mkdirSync(dir, { recursive: true });
    const material = generate();
    // Write the key and leaf before the CA: a reader that sees ca.pem sees a complete set.
    writeFileSync(keyPath, material.keyPem, { mode: 0o600 });
    writeFileSync(certPath, material.certPem);
    writeFileSync(caCertPath, material.caCertPem);
  }
  return {
    caCertPath,
    caCertPem: readFileSync(caCertPath, 'utf8'),
    certPem: readFileSync(certPath, 'utf8'),
    keyPem: readFileSync(keyPath, 'utf8'),
  };
}
