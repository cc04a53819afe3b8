// auth_hmac keys as written in keepalived.conf (`hex:...`, `file:/path`, or the ASCII string itself) turned
// into the wire layer's HmacConfig. Reading key files is I/O: the caller passes the reader.
import type { AuthHmac } from '../../config/model/vrrp/auth.js';
import { defaultHmacTimeWindowS, hmacConfigProblems, type HmacConfig, type HmacKey } from './auth-hmac.js';

/** Reads a `file:` key (the daemon reads the file: system/key-file.ts). */
export type ReadKeyFile = (path: string) => Uint8Array;

function keyBytes(value: string, readKeyFile: ReadKeyFile): Uint8Array {
  if (value.startsWith('hex:')) return Uint8Array.from(Buffer.from(value.slice(4), 'hex'));
  if (value.startsWith('file:')) return readKeyFile(value.slice(5));
  return new TextEncoder().encode(value);
}

/** The config, and what is wrong with it. A config with problems still fails closed: a missing key verifies
 * nothing, and a missing active key signs with a zero HMAC every receiver rejects. */
export interface HmacResolution {
  config: HmacConfig;
  problems: string[];
}

/** The instance's HmacConfig, and the reasons it cannot fully work (unreadable key file, bad length...). */
export function resolveHmacConfig(
  model: AuthHmac,
  advertIntervalCs: number,
  readKeyFile: ReadKeyFile,
): HmacResolution {
  const problems: string[] = [];
  const keys: HmacKey[] = [];
  for (const k of model.keys) {
    try {
      keys.push({ id: k.id, key: keyBytes(k.value, readKeyFile) });
    } catch (e) {
      problems.push(`key ${k.id}: ${(e as Error).message}`);
    }
  }
  const config: HmacConfig = {
    keys,
    activeKeyId: model.activeKey ?? keys[0]?.id ?? 0,
    antiReplay: model.antiReplay,
    timeWindowS: model.timeWindow ?? defaultHmacTimeWindowS(advertIntervalCs),
    mode: model.mode,
  };
  problems.push(...hmacConfigProblems(config));
  return { config, problems };
}
