// Bundles the setup page's browser modules (./client) into the one inline script the page carries.
// Build-time only: esbuild is a devDependency, so this module is loaded by the build script and,
// when running from the sources, at the first request for the page (./clientScript.ts); the
// deployed app serves the file the build wrote and never loads it.
import path from 'node:path';
import { buildSync } from 'esbuild';

const PROJECT_ROOT = path.join(__dirname, '..', '..');
const CLIENT_ENTRY = path.join(__dirname, 'client', 'index.ts');

/**
 * The page's script from its entry module. Only modules beside the entry may end up in it: the
 * page imports server types, and a value imported from the server by mistake would otherwise
 * bring Node code into the browser.
 */
export function bundleClientScript(entry: string = CLIENT_ENTRY): string {
  const result = buildSync({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    tsconfig: path.join(PROJECT_ROOT, 'tsconfig.client.json'),
    // The bundle names each module by its path from here: the same bytes from any working directory.
    absWorkingDir: PROJECT_ROOT,
    // Readable: a person looking at the page's source can follow it, and the script is small.
    minify: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const clientDir = path.dirname(entry);
  const outside = Object.keys(result.metafile.inputs)
    .map((input) => path.resolve(PROJECT_ROOT, input))
    .filter((input) => path.relative(clientDir, input).startsWith('..'));
  if (outside.length > 0)
    throw new Error(
      `The setup page's script may only import values from ${clientDir} (types from elsewhere are fine); it imports ${outside.join(', ')}.`,
    );
  return result.outputFiles[0].text;
}
