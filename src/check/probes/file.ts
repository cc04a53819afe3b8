// FILE_CHECK: read the tracked file's number (system/track-file.ts: the track_file reader the VRRP side
// uses too). With weight 0 any non-zero value fails the check;
// otherwise value x weight (negated with reverse) is the offset added to the server weight, and an
// offset at or below -254 (IPVS_WEIGHT_FAULT) fails it.
import { readTrackFileValue } from '../../system/track-file.js';
import type { CheckerSpec, FileCheckOptions, ProbeResult } from '../schedule/spec.js';

const WEIGHT_FAULT = -254;

export function judgeTrackedValue(options: FileCheckOptions, value: number): ProbeResult {
  if (options.weight === 0) {
    return value === 0 ? { ok: true, detail: 'value 0' } : { ok: false, detail: `value ${value}` };
  }
  const offset = value * options.weight * (options.reverse ? -1 : 1);
  if (offset <= WEIGHT_FAULT) return { ok: false, detail: `value ${value} -> weight ${offset} (fault)` };
  return { ok: true, detail: `value ${value}`, weightOffset: offset };
}

export function fileProbe(spec: CheckerSpec): Promise<ProbeResult> {
  const options = spec.options as FileCheckOptions;
  return Promise.resolve(judgeTrackedValue(options, readTrackFileValue(options.path)));
}
