// The setup page's entries in the function table. The page itself is anonymous because it holds
// no data: it asks for the function key and calls the admin API with it. The schedule helper is an
// admin route like the others (function key).
import type { FunctionDefinition } from '../app/types';
import { setupPageResult } from './page';
import { scheduleDescription } from './schedule';

export function createUiFunctions(): FunctionDefinition[] {
  return [
    {
      name: 'setupPage',
      trigger: {
        type: 'http',
        route: 'ui',
        methods: ['GET'],
        authLevel: 'anonymous',
        handler: async () => setupPageResult(),
      },
    },
    {
      name: 'scheduleDescribe',
      trigger: {
        type: 'http',
        route: 'ui/schedule',
        methods: ['GET'],
        authLevel: 'function',
        handler: async (request) => scheduleDescription(request),
      },
    },
  ];
}
