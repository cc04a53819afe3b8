// Runs nftables_ipvs's marking tables (src/lb/ipvs/group-marks.ts) in a test namespace
// (`ip netns exec NS node group-marks.agent.js CONFIG...`): the first configuration as a start, each next
// one as a reload (the marks given before carried over), then the stop. Prints `nft list ruleset` after
// each step, steps separated by a line `@@@`.
import { execFileSync } from 'node:child_process';
import { loadModel } from '../../src/config/index.js';
import { FsConfigHost } from '../../src/daemon/process/fs-config-host.js';
import { GroupMarkTables } from '../../src/lb/ipvs/group-marks.js';
import { resolveLbConfig, type MarkAllocation } from '../../src/lb/table/resolve.js';
import { refuseOutsideSuiteNamespace } from '../helpers/namespace-guard.js';

refuseOutsideSuiteNamespace('group-marks.agent.js');
const tables = GroupMarkTables.open();
const ruleset = (): string => execFileSync('nft', ['list', 'ruleset'], { encoding: 'utf8' });
const steps: string[] = [];
let given: MarkAllocation | undefined;
for (const path of process.argv.slice(2)) {
  const { model } = loadModel(path, new FsConfigHost());
  const config = resolveLbConfig(model, { ipvs: true, previous: given });
  given = config.groupMarks?.given;
  await tables.apply(config.groupMarks);
  steps.push(ruleset());
}
await tables.remove();
steps.push(ruleset());
tables.close();
process.stdout.write(steps.join('@@@\n'));
