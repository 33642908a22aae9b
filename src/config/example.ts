// Renders local.settings.example.json from the settings table, so the example can never list a
// setting the code does not read, or miss one it does (test/unit/config/load.test.ts compares the
// committed file with this output). Regenerate with: npx tsx src/config/example.ts > local.settings.example.json
import { SETTINGS } from './settings';

/** Values Azure Functions Core Tools itself needs to run `func start`; not settings of the product. */
export const CORE_TOOLS_VALUES: Readonly<Record<string, string>> = { FUNCTIONS_WORKER_RUNTIME: 'node' };

/** Local values that differ from the table's default, so `func start` against Azurite works as is. */
const LOCAL_EXAMPLE_VALUES: Readonly<Record<string, string>> = {
  RUN_MODE: 'local',
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  SOURCE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
};

export function renderLocalSettingsExample(): string {
  const values: Record<string, string> = { ...CORE_TOOLS_VALUES };
  for (const spec of SETTINGS) values[spec.name] = LOCAL_EXAMPLE_VALUES[spec.name] ?? spec.default ?? '';
  return `${JSON.stringify({ IsEncrypted: false, Values: values }, null, 2)}\n`;
}

if (require.main === module) process.stdout.write(renderLocalSettingsExample());
