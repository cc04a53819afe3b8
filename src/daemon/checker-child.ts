// Entry point of the checker child process. The health checkers are wired in by the checker daemon.
import { parseCommandLine } from '../cli/options.js';
import { daemonLogger } from './run.js';
import { removePidFile, writePidFile } from './pidfile.js';

const parsed = parseCommandLine(process.argv.slice(2));
if (parsed.kind !== 'daemon') process.exit(2);
const o = parsed.options;
const log = daemonLogger(o, 'Keepalived_healthcheckers');
writePidFile(o.checkersPidFile);
log.info('health checkers started');
const stop = (): void => {
  removePidFile(o.checkersPidFile);
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
setInterval(() => undefined, 1 << 30);
