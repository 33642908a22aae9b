// Azure Functions entry point (package.json "main" → dist/functions/index.js): registers the
// function table. Nothing else belongs here; behaviour lives in src/.
import { app } from '@azure/functions';
import { FUNCTIONS, assertValidTable } from '../src/app/functionTable';
import { registerFunctions } from './register';

assertValidTable(FUNCTIONS);
registerFunctions(app, FUNCTIONS);
