// The table `npm start` prints: what runs where, so a person can open the setup page at once.
import type { LocalHost } from './host';

export function banner(host: LocalHost): string {
  const rows: Array<[string, string]> = [
    ['Local host', `${host.url}/api`],
    ['Setup page', `${host.url}/api/ui?code=${encodeURIComponent(host.functionKey)}`],
    ['Health', `${host.url}/api/health`],
    ['Function key', host.functionKey],
    [
      'Mode',
      host.embedded
        ? 'embedded (Azurite + local Microsoft emulators)'
        : `real settings (${host.config.mode})`,
    ],
  ];
  const b = host.config.backends;
  rows.push([
    'Backends',
    `storage ${b.storage}, identity ${b.identity}, graph ${b.graph}, keyVault ${b.keyVault}`,
  ]);
  if (host.azurite) {
    rows.push(['Azurite blob', host.azurite.blobUrl]);
    rows.push(['Azurite queue', host.azurite.queueUrl]);
    rows.push(['Azurite table', host.azurite.tableUrl]);
  }
  if (host.emulators) {
    rows.push(['Identity emulator', host.emulators.identity.baseUrl]);
    rows.push(['Graph emulator', host.emulators.graph.baseUrl]);
    rows.push(['Key Vault emulator', host.emulators.keyVault.vaultUrl]);
  }
  if (host.config.eventsEnabled && host.config.mode === 'local')
    rows.push(['Blob events', 'local change detector (stand-in for Event Grid), lists every 2 s']);
  if (host.demoContainer) rows.push(['Demo source', `container "${host.demoContainer}" in Azurite blob`]);
  rows.push(['Functions', host.functions.map((f) => `${f.name} (${f.trigger.type})`).join(', ')]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return [
    '',
    'azure-onedrive-backup local host',
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
    '',
    'Ctrl-C stops everything.',
    '',
  ].join('\n');
}
