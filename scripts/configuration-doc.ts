// Renders docs/configuration.md from the settings table (src/config/settings.ts), so the reference
// can never list a setting the code does not read, miss one it does, or show a stale default.
// test/unit/docs.test.ts compares the committed file with this output.
// Regenerate with: npx tsx scripts/configuration-doc.ts > docs/configuration.md
import path from 'node:path';
import { format, resolveConfig } from 'prettier';
import { expectation } from '../src/config/parse';
import { SETTINGS, type SettingSource, type SettingSpec } from '../src/config/settings';

const SOURCES: Record<SettingSource, string> = {
  template: 'the Bicep template (`infra/`) sets it on the function app',
  platform: 'you or the platform set it outside the template (an app setting added by hand)',
  local: 'development only (the local host, Azurite and the emulators); unset in Azure',
};

/** Markdown table cells: a pipe would split the cell, a newline would end the row. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/\r?\n/g, ' ');
}

function defaultOf(spec: SettingSpec): string {
  return spec.default === undefined ? '—' : `\`${spec.default}\``;
}

function requiredOf(spec: SettingSpec): string {
  if (!spec.required) return 'no';
  return spec.default === undefined ? 'yes' : 'in Azure (locally the default applies)';
}

/** The page as plain markdown, before formatting. */
export function renderConfigurationMarkdown(): string {
  const lines = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config/settings.ts by scripts/configuration-doc.ts; do not edit by hand.',
    '     Regenerate: npx tsx scripts/configuration-doc.ts > docs/configuration.md -->',
    '',
    'Every setting the product reads, generated from the one settings table in',
    '`src/config/settings.ts`; a test fails when this page and the table disagree. At start',
    '`loadConfig()` (`src/config/load.ts`) reads each setting from the environment (in Azure: the',
    "function app's app settings; locally: the environment over `local.settings.json`), treats an",
    'empty value as unset, applies the default, validates the type and stops with one',
    '`ConfigInvalid` error that lists every problem, each with the setting name and what it expects.',
    'Values of free-text settings (connection strings, tokens) are never echoed in that error.',
    '',
    '**Run mode.** `RUN_MODE=azure` requires every required setting (their defaults are local ones)',
    'and https URLs. `RUN_MODE=local` lets a required setting with a default fall back to it. When',
    '`RUN_MODE` is unset, the mode is `local` if an emulator override (`LOGIN_ENDPOINT_OVERRIDE`,',
    '`GRAPH_ENDPOINT_OVERRIDE`, `KEY_VAULT_TOKEN_OVERRIDE`) or development storage is configured,',
    'else `azure`, so a deployed app missing a setting fails loudly.',
    '',
    '**Storage.** One of `AzureWebJobsStorage` (a connection string) or',
    '`AzureWebJobsStorage__accountName` (managed identity) must be given.',
    '',
    '**Where a value comes from** (the Source column):',
    '',
    ...(Object.keys(SOURCES) as SettingSource[]).map((s) => `- \`${s}\`: ${SOURCES[s]}.`),
    '',
    '| Setting | Type | Default | Required | Source | Meaning | Accepted values |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...SETTINGS.map((spec) =>
      [
        '',
        `\`${spec.name}\``,
        spec.type,
        defaultOf(spec),
        requiredOf(spec),
        spec.source,
        cell(spec.description),
        cell(expectation(spec, false)),
        '',
      ]
        .join(' | ')
        .trim(),
    ),
    '',
    `${SETTINGS.length} settings. \`local.settings.example.json\` lists the same settings with their defaults.`,
    '',
  ];
  return lines.join('\n');
}

export const CONFIGURATION_DOC = path.join(__dirname, '..', 'docs', 'configuration.md');

/** The page exactly as committed: formatted with the repository's prettier settings (npm run lint checks them). */
export async function renderConfigurationDoc(): Promise<string> {
  const options = (await resolveConfig(CONFIGURATION_DOC)) ?? {};
  return format(renderConfigurationMarkdown(), { ...options, parser: 'markdown' });
}

if (require.main === module) void renderConfigurationDoc().then((text) => process.stdout.write(text));
