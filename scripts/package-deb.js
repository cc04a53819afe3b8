// Builds a Debian package of keepalived-ts with dpkg-deb, from this checkout as built by `npm ci`
// (dist/, the native addon) and its production dependencies (copied from node_modules, so no network):
//   /usr/lib/keepalived-ts/{package.json,bin,dist/src,native/build/Release/{keepalived_native.node,kts_locked_discard.so},
//                          node_modules}
//   /usr/bin/keepalived-ts                 launcher (finds the tree relative to itself)
//   /lib/systemd/system/keepalived-ts.service, /etc/default/keepalived-ts (a conffile)
// The maintainer scripts never enable or start the service (see packaging/debian/postinst).
//
//   node scripts/package-deb.js [--out DIR]     prints the path of the .deb it wrote (default DIR: dist/deb)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const LIB = 'usr/lib/keepalived-ts';

function fail(message) {
  console.error(`package-deb: ${message}`);
  process.exit(1);
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  if (r.error) fail(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

const outIndex = process.argv.indexOf('--out');
const outDir = outIndex > 0 ? process.argv[outIndex + 1] : join(root, 'dist', 'deb');
if (!outDir) fail('--out needs a directory');

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const nativeBuilt = ['keepalived_native.node', 'kts_locked_discard.so'].map((name) =>
  join(root, 'native', 'build', 'Release', name),
);
for (const built of [join(root, 'dist', 'src', 'cli', 'main.js'), ...nativeBuilt])
  if (!existsSync(built)) fail(`${relative(root, built)} is missing: run npm ci (or npm run prepare) first`);

const stage = mkdtempSync(join(tmpdir(), 'kts-deb-'));
try {
  chmodSync(stage, 0o755); // the archive's ./ entry: mkdtemp made it 0700
  const lib = join(stage, LIB);
  mkdirSync(lib, { recursive: true });
  // package.json says "type": "module": dist/ and bin/ are ES modules because of it.
  cpSync(join(root, 'package.json'), join(lib, 'package.json'));
  cpSync(join(root, 'bin'), join(lib, 'bin'), { recursive: true });
  cpSync(join(root, 'dist', 'src'), join(lib, 'dist', 'src'), { recursive: true });
  mkdirSync(join(lib, 'native', 'build', 'Release'), { recursive: true });
  for (const built of nativeBuilt) cpSync(built, join(lib, relative(root, built)));

  // Production dependencies only: the directories npm itself lists for --omit=dev, nesting kept.
  const prodDirs = run('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root })
    .split('\n')
    .filter((p) => p.startsWith(join(root, 'node_modules') + '/'));
  for (const dir of prodDirs) cpSync(dir, join(lib, relative(root, dir)), { recursive: true });

  mkdirSync(join(stage, 'usr', 'bin'), { recursive: true });
  writeFileSync(
    join(stage, 'usr', 'bin', 'keepalived-ts'),
    [
      '#!/bin/sh',
      '# keepalived-ts launcher: the tree is ../lib/keepalived-ts from here (also when unpacked elsewhere).',
      'here=$(dirname "$(readlink -f "$0")")',
      'exec node "$here/../lib/keepalived-ts/bin/keepalived-ts" "$@"',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );

  const unitDir = join(stage, 'lib', 'systemd', 'system');
  mkdirSync(unitDir, { recursive: true });
  cpSync(join(root, 'packaging', 'keepalived-ts.service'), join(unitDir, 'keepalived-ts.service'));
  // enable_dbus: the system bus lets root own org.keepalived.Vrrp1 (a policy in /usr/share is the
  // package's default; an administrator's file in /etc/dbus-1/system.d overrides it).
  const busPolicyDir = join(stage, 'usr', 'share', 'dbus-1', 'system.d');
  mkdirSync(busPolicyDir, { recursive: true });
  cpSync(join(root, 'packaging', 'dbus', 'keepalived-ts.conf'), join(busPolicyDir, 'keepalived-ts.conf'));
  mkdirSync(join(stage, 'etc', 'default'), { recursive: true });
  cpSync(join(root, 'packaging', 'default', 'keepalived-ts'), join(stage, 'etc', 'default', 'keepalived-ts'));

  const docDir = join(stage, 'usr', 'share', 'doc', 'keepalived-ts');
  mkdirSync(docDir, { recursive: true });
  writeFileSync(
    join(docDir, 'copyright'),
    `keepalived-ts ${pkg.version}\nLicense: ${pkg.license}\n` +
      'On Debian systems the GNU General Public License version 2 is in /usr/share/common-licenses/GPL-2.\n',
  );

  const debian = join(stage, 'DEBIAN');
  mkdirSync(debian);
  const arch = run('dpkg', ['--print-architecture']).trim(); // the native addon is built for this machine
  const sizeKiB = Math.ceil(duKiB(stage) - duKiB(debian));
  writeFileSync(
    join(debian, 'control'),
    [
      'Package: keepalived-ts',
      `Version: ${pkg.version}`,
      `Architecture: ${arch}`,
      'Maintainer: keepalived-ts maintainers <root@localhost>',
      `Installed-Size: ${sizeKiB}`,
      // Node 20 is not in Debian 12 (it has 18): NodeSource's "nodejs" package, or Debian 13's, provides it.
      'Depends: nodejs (>= 20)',
      'Suggests: keepalived',
      'Section: admin',
      'Priority: optional',
      'Homepage: https://keepalived.org',
      `Description: ${pkg.description.split(':')[0]}`,
      ' VRRP, health checkers and load balancing with keepalived.conf, in TypeScript.',
      ' Installs keepalived-ts.service next to keepalived.service: the two units',
      ' exclude each other (Conflicts=), the packages coexist. The service is',
      ' neither enabled nor started on install.',
      '',
    ].join('\n'),
  );
  writeFileSync(join(debian, 'conffiles'), '/etc/default/keepalived-ts\n');
  // DEBIAN/md5sums, as dh_md5sums writes it (debsums and dpkg --verify check the installed files against it)
  writeFileSync(join(debian, 'md5sums'), md5sums(stage, ['DEBIAN', 'etc']));
  for (const script of ['postinst', 'prerm', 'postrm']) {
    cpSync(join(root, 'packaging', 'debian', script), join(debian, script));
    chmodSync(join(debian, script), 0o755);
  }

  mkdirSync(outDir, { recursive: true });
  const deb = join(outDir, `keepalived-ts_${pkg.version}_${arch}.deb`);
  // --root-owner-group: files owned by root in the archive without fakeroot.
  run('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', stage, deb]);
  console.log(deb);
} finally {
  rmSync(stage, { recursive: true, force: true });
}

/** Disk use of a tree in KiB, as dpkg counts Installed-Size (apparent sizes, rounded up per file). */
function duKiB(dir) {
  let total = 0;
  const walk = (p) => {
    const s = lstatSync(p);
    if (s.isDirectory()) {
      total += 1;
      for (const name of readdirSync(p)) walk(join(p, name));
    } else total += Math.ceil(s.size / 1024);
  };
  walk(dir);
  return total;
}

/** `md5  path` lines for every regular file under `dir` but the top-level folders `skip` (conffiles have
 * their sums in the conffiles database, as with dh_md5sums), sorted by path. */
function md5sums(dir, skip) {
  const lines = [];
  const walk = (rel) => {
    const p = join(dir, rel);
    const s = lstatSync(p);
    if (s.isDirectory()) {
      for (const name of readdirSync(p).sort()) walk(rel === '' ? name : `${rel}/${name}`);
    } else if (s.isFile()) lines.push(`${createHash('md5').update(readFileSync(p)).digest('hex')}  ${rel}`);
  };
  for (const top of readdirSync(dir).sort()) if (!skip.includes(top)) walk(top);
  return lines.join('\n') + '\n';
}
