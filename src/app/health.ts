// GET /api/health: what version runs and which backends are real or emulated. Anonymous on
// purpose (for probes and the local host banner), so it shows no names, URLs or keys.
import packageJson from '../../package.json';
import type { Config } from '../config';
import { jsonResult } from '../http/types';
import type { FunctionDefinition } from './types';

/** `config` is read per request: before the first one, the settings may not have been read yet. */
export function createHealthFunctions(config: () => Pick<Config, 'backends'>): FunctionDefinition[] {
  return [
    {
      name: 'health',
      trigger: {
        type: 'http',
        route: 'health',
        methods: ['GET'],
        authLevel: 'anonymous',
        handler: async () =>
          jsonResult(
            200,
            { status: 'ok', version: packageJson.version, backends: config().backends },
            { 'cache-control': 'no-store' },
          ),
      },
    },
  ];
}
