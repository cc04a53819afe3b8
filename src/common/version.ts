// The version as keepalived shows it: "Keepalived vX (DATE)" at start and stop in the log, and the first
// line of -v. Monitoring greps "Starting Keepalived v"; the parenthesis says which implementation runs.
export const VERSION = '0.1.0';

export const VERSION_STRING = `Keepalived v${VERSION} (keepalived-ts)`;
