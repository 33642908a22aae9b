// Where the setup page's script comes from. The deployed app runs from dist/ with production
// dependencies only (no esbuild), so `npm run build` bundles the browser modules into a file beside
// the compiled copy of this module and the app serves that file as built. Run from the sources
// (npm start, npm test: tsx and ts-jest) there is no such file, and the script is bundled from the
// modules at the first request instead: no extra step before starting, and never a stale copy.
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export const CLIENT_BUNDLE_FILE = 'client.bundle.js';

/** The prebuilt bundle in `dir` when there is one, else the bundle built now from the sources. */
export async function loadClientScript(dir: string = __dirname): Promise<string> {
  const prebuilt = path.join(dir, CLIENT_BUNDLE_FILE);
  try {
    return await readFile(prebuilt, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  let bundler: typeof import('./clientBundle');
  try {
    // Loaded only here, so that the deployed app never needs esbuild.
    bundler = await import('./clientBundle');
  } catch (error) {
    throw new Error(
      `The setup page's script ${prebuilt} is missing and cannot be bundled here (${(error as Error).message}); run npm run build.`,
      { cause: error },
    );
  }
  return bundler.bundleClientScript();
}
