// `certificate`: prints the public half of the app's client certificate in the form the Azure portal
// takes (App registrations > Certificates & secrets > Upload certificate accepts a .cer/.pem file),
// with its SHA-1 thumbprint (what the portal lists) and the x5t#S256 the assertions carry. --out
// writes the PEM to a file to upload; --der prints the base64 DER (the manifest's keyCredentials
// `key`). Only the public certificate: Key Vault's key cannot be exported and is never asked for.
import { writeFile } from 'node:fs/promises';
import { clientFrom, CONNECT_OPTIONS, JSON_OPTION } from './client';
import { writeLine, type Command } from './command';
import { printJson } from './format';

interface CertificateView {
  certificateName: string;
  version: string;
  thumbprint: string;
  x5tS256: string;
  notBefore?: string;
  expiresOn?: string;
  acceptedByMicrosoft?: boolean;
  versions?: Array<{ version: string; thumbprint: string; expiresOn?: string }>;
  base64Der: string;
  pem: string;
}

export const certificateCommand: Command = {
  path: ['certificate'],
  summary: "Print the app's client certificate (public half) to upload to the app registration",
  usage: '[--version <version>] [--out <file.cer>] [--der] [--json]',
  options: {
    version: { type: 'string', description: 'A certificate version (default: the newest enabled one)' },
    out: { type: 'string', description: 'Write the PEM certificate to this file (upload it in the portal)' },
    der: { type: 'boolean', description: 'Print the base64 DER instead of the PEM' },
    ...CONNECT_OPTIONS,
    ...JSON_OPTION,
  },
  async run(values, io) {
    const client = clientFrom(values, io);
    const version = typeof values.version === 'string' ? values.version : undefined;
    const cert = await client.get<CertificateView>('credential/certificate', { query: { version } });
    if (values.json) {
      printJson(io, cert);
      return 0;
    }
    writeLine(io.stdout, `Certificate '${cert.certificateName}', version ${cert.version}`);
    writeLine(io.stdout, `Thumbprint (SHA-1, as the portal lists it): ${cert.thumbprint}`);
    writeLine(io.stdout, `x5t#S256: ${cert.x5tS256}`);
    writeLine(
      io.stdout,
      `Valid ${cert.notBefore?.slice(0, 10) ?? '?'} to ${cert.expiresOn?.slice(0, 10) ?? '?'}; ${
        cert.acceptedByMicrosoft ? 'Microsoft has accepted it.' : 'not yet accepted by Microsoft (upload it).'
      }`,
    );
    if (typeof values.out === 'string') {
      await writeFile(values.out, cert.pem, { mode: 0o644 });
      writeLine(io.stdout, `Wrote ${values.out}.`);
    } else {
      writeLine(io.stdout, '');
      io.stdout.write(values.der ? `${cert.base64Der}\n` : cert.pem);
    }
    writeLine(
      io.stdout,
      'Upload it: Microsoft Entra ID > App registrations > this app > Certificates & secrets > Certificates > Upload certificate.',
    );
    return 0;
  },
};
