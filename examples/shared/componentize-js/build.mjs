// Runs componentize-js for componentize.sh, in the directory that holds app.js and wit/:
//   node build.mjs COMPONENTIZE_JS_DIR WIZER OUT WORLD [DISABLED_FEATURE...]
//
// componentize-js names its work directory after Math.random() and passes that path (and
// the directory of the source) to the engine, which keeps them in the snapshot: with
// componentize.sh's fixed directories and TMPDIR, a fixed Math.random makes them the same
// on every build.
import { writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { join, resolve } from 'node:path';

const [tool, wizerBin, out, worldName, ...disableFeatures] = process.argv.slice(2);
let seed = 0;
Math.random = () => (seed = (seed * 16807 + 12345) % 2147483647) / 2147483647;

const { componentize } = await import(
  pathToFileURL(join(tool, 'node_modules/@bytecodealliance/componentize-js/src/componentize.js'))
);
const { component } = await componentize({
  sourcePath: resolve('app.js'),
  witPath: resolve('wit'),
  worldName,
  disableFeatures,
  wizerBin,
});
await writeFile(out, component);
