// `npm run build`, after tsc: bundles the setup page's browser modules into the file the compiled
// app serves (dist/src/ui/client.bundle.js, beside dist/src/ui/clientScript.js, which looks for it
// there). The deployed package has no esbuild, so this is the only place the bundle is made for it.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleClientScript } from '../src/ui/clientBundle';
import { CLIENT_BUNDLE_FILE } from '../src/ui/clientScript';

/** tsc -p tsconfig.build.json writes src/ui/*.ts to this directory (outDir dist, rootDir the project). */
export const BUILT_UI_DIR = path.join(__dirname, '..', 'dist', 'src', 'ui');

export function writeClientBundle(dir: string = BUILT_UI_DIR): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, CLIENT_BUNDLE_FILE);
  writeFileSync(file, bundleClientScript(), 'utf8');
  return file;
}

if (require.main === module) {
  const file = writeClientBundle();
  console.log(`setup page script: ${path.relative(process.cwd(), file)}`);
}
