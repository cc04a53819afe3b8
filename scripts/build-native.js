// Builds native/ (the N-API addon) with node-gyp, offline: the headers come from the running node's
// installation (--nodedir), never from a download. Any failure exits non-zero so `npm ci` fails loudly.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const nativeDir = join(root, 'native');
const nodeDir = dirname(dirname(process.execPath));
const nodeGyp =
  process.env.npm_config_node_gyp || '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js';

function fail(message) {
  console.error(`build-native: ${message}`);
  process.exit(1);
}

if (!existsSync(nodeGyp)) fail(`node-gyp not found at ${nodeGyp}`);
if (!existsSync(join(nodeDir, 'include', 'node', 'node_api.h'))) {
  fail(`node headers missing under ${join(nodeDir, 'include', 'node')} (install the nodejs headers)`);
}

const result = spawnSync(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodeDir}`, '--loglevel=warn'], {
  cwd: nativeDir,
  stdio: 'inherit',
});
if (result.error) fail(result.error.message);
if (result.status !== 0) fail(`node-gyp rebuild exited with ${result.status ?? result.signal}`);
for (const name of ['keepalived_native.node', 'kts_locked_discard.so']) {
  const built = join(nativeDir, 'build', 'Release', name);
  if (!existsSync(built)) fail(`node-gyp succeeded but ${built} is missing`);
  console.log(`build-native: built ${built}`);
}
