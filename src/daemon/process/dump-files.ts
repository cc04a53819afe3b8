// Where the dump files go (/tmp/keepalived.data and friends), as keepalived 2.4.3 decides: in TMPDIR when
// it is set to an absolute path, else /tmp. The files open_dump_file() writes (the data dumps of the VRRP,
// checker and BFD children) follow `state_dump_file` when it is set: an absolute name gives the directory
// (its whole self when it ends in '/'), the last component gives the name, whose stem takes the child's
// suffix (keepalived_check.data <- keepalived.data, state_check.dump <- state.dump); a relative name
// keeps TMPDIR and uses only its last component. With `data_use_instance` the name carries the network
// namespace and instance name before its extension (keepalived_check.NS_INST.data). keepalived 2.4.3
// reads stats_dump_file and json_dump_file but still writes keepalived.stats and keepalived.json in
// TMPDIR (make_tmp_filename), and so does this. Tests give each daemon its own TMPDIR, so no test writes
// the host's /tmp/keepalived.*.
import { join } from 'node:path';

/** keepalived's tmp_dir: TMPDIR if absolute, else /tmp. */
export function tmpDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.TMPDIR;
  return dir !== undefined && dir.startsWith('/') ? dir : '/tmp';
}

/** A file keepalived writes with make_tmp_filename() (keepalived.stats, keepalived.json). */
export function tmpFile(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(tmpDir(env), name);
}

export interface DumpNaming {
  /** `data_use_instance` in global_defs. */
  useInstance: boolean;
  instance?: string;
  namespace?: string;
  /** `state_dump_file` in global_defs. */
  stateDumpFile?: string;
}

/** The naming of this run: -s (or net_namespace), `instance`, `data_use_instance`, `state_dump_file`. */
export function dumpNaming(
  options: { namespace?: string },
  global: { dataUseInstance: boolean; instanceName?: string; netNamespace?: string; stateDumpFile?: string },
): DumpNaming {
  const namespace = options.namespace ?? global.netNamespace;
  return {
    useInstance: global.dataUseInstance,
    ...(global.instanceName !== undefined ? { instance: global.instanceName } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    ...(global.stateDumpFile !== undefined ? { stateDumpFile: global.stateDumpFile } : {}),
  };
}

const DEFAULT_DUMP_NAME = 'keepalived.data';

/** Splits a file name at its last dot: ['keepalived', '.data']; no dot: [name, '']. */
function splitExtension(name: string): [string, string] {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? [name, ''] : [name.slice(0, dot), name.slice(dot)];
}

/**
 * A file keepalived writes with open_dump_file(): `defaultName` is its name without state_dump_file
 * (keepalived.data, keepalived_check.data, keepalived_bfd.data), whose part after "keepalived" and before
 * the extension is the child's suffix.
 */
export function dumpFile(
  defaultName: string,
  naming: DumpNaming,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const { useInstance, instance, namespace, stateDumpFile } = naming;
  const suffix = splitExtension(defaultName)[0].replace(/^keepalived/, '');
  const configured = stateDumpFile !== undefined && stateDumpFile !== '' ? stateDumpFile : undefined;
  const lastSlash = configured?.lastIndexOf('/') ?? -1;
  const dir =
    configured?.startsWith('/') === true
      ? lastSlash === 0
        ? '/'
        : configured.slice(0, lastSlash)
      : tmpDir(env);
  const baseName =
    configured === undefined || configured.endsWith('/')
      ? DEFAULT_DUMP_NAME
      : configured.slice(lastSlash + 1);
  const [stem, ext] = splitExtension(baseName);
  const tagged = useInstance && (instance !== undefined || namespace !== undefined);
  const tag = tagged
    ? `.${namespace ?? ''}${instance !== undefined && namespace !== undefined ? '_' : ''}${instance ?? ''}`
    : '';
  return join(dir, `${stem}${suffix}${tag}${ext}`);
}
