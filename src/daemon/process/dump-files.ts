// Where the dump files go (/tmp/keepalived.data and friends), as keepalived 2.2.7 decides: in TMPDIR when
// it is set to an absolute path, else /tmp; with `data_use_instance` the files that open_dump_file()
// writes carry the network namespace and instance name (keepalived.NS_INST.data). Tests give each daemon
// its own TMPDIR, so no test writes the host's /tmp/keepalived.*.
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
}

/** The naming of this run: -s (or net_namespace), `instance`, `data_use_instance`. */
export function dumpNaming(
  options: { namespace?: string },
  global: { dataUseInstance: boolean; instanceName?: string; netNamespace?: string },
): DumpNaming {
  const namespace = options.namespace ?? global.netNamespace;
  return {
    useInstance: global.dataUseInstance,
    ...(global.instanceName !== undefined ? { instance: global.instanceName } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
  };
}

/** A file keepalived writes with open_dump_file() (keepalived.data, keepalived_check.data, keepalived_bfd.data). */
export function dumpFile(name: string, naming: DumpNaming, env: NodeJS.ProcessEnv = process.env): string {
  const { useInstance, instance, namespace } = naming;
  if (!useInstance || (instance === undefined && namespace === undefined)) return tmpFile(name, env);
  const dot = name.lastIndexOf('.');
  const stem = dot < 0 ? name : name.slice(0, dot);
  const ext = dot < 0 ? '' : name.slice(dot);
  const tag = `${namespace ?? ''}${instance !== undefined && namespace !== undefined ? '_' : ''}${instance ?? ''}`;
  return join(tmpDir(env), `${stem}.${tag}${ext}`);
}
