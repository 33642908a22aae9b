// Azure Functions entry point (package.json "main" → dist/functions/index.js): registers the
// function table, built from the app settings. Nothing else belongs here; behaviour lives in src/.
import { app } from '@azure/functions';
import { createAppRoot } from '../src/app/root';
import { assertValidTable } from '../src/app/functionTable';
import { loadConfig } from '../src/config';
import { registerFunctions } from './register';

// The settings are read at the first invocation, not here: a missing one then answers with its
// name and what it expects, instead of a worker that fails to load and shows no functions at all.
const root = createAppRoot({ config: () => loadConfig(process.env) });
assertValidTable(root.functions);
registerFunctions(app, root.functions);
