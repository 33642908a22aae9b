// GET /api/health: what version runs and which backends are real or emulated. Anonymous on
// purpose (for probes and the local host banner), so it shows no names, URLs or keys.
import packageJson from '../../package.json';
import { jsonResult } from '../http/types';
import { getServices } from './services';
import type { FunctionDefinition } from './types';

export const healthFunctions: FunctionDefinition[] = [
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
          { status: 'ok', version: packageJson.version, backends: getServices().config.backends },
          { 'cache-control': 'no-store' },
        ),
    },
  },
];
