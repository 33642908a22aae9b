// The setup page's whole script: the parts in one function scope, started last (session.ts boots).
// One IIFE keeps every name off the global object.
import { BROWSE } from './browse';
import { CONNECTIONS } from './connections';
import { CORE } from './core';
import { JOBS } from './jobs';
import { RUNS } from './runs';
import { SESSION } from './session';

export const CLIENT_SCRIPT = `(function () {\n${[CORE, CONNECTIONS, BROWSE, JOBS, RUNS, SESSION].join('\n')}\n})();\n`;
