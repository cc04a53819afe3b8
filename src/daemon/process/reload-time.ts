// The time in a reload_time_file, read as keepalived 2.4.3 reads it (reload_monitor.c parse_datetime):
// "HH:MM:SS" (today, or tomorrow once that time has passed), "YY-MM-DD HH:MM:SS" or "YYYY-MM-DD HH:MM:SS",
// in local time, or UTC with a trailing 'Z'. A time that does not exist (25:00:00, February 30th) is
// invalid, a dated time in the past is refused. Pure: the time now comes in.

export type ReloadTime =
  | { kind: 'at'; timeMs: number; dateSpecified: boolean }
  | { kind: 'invalid'; message: string }
  | { kind: 'past' };

interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function make(f: Fields, utc: boolean): Date {
  return utc
    ? new Date(Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second))
    : new Date(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
}

/** Whether `d` shows exactly these fields (mktime would have moved an impossible date or time). */
function exists(d: Date, f: Fields, utc: boolean): boolean {
  const got = utc
    ? [
        d.getUTCFullYear(),
        d.getUTCMonth() + 1,
        d.getUTCDate(),
        d.getUTCHours(),
        d.getUTCMinutes(),
        d.getUTCSeconds(),
      ]
    : [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()];
  return got.join() === [f.year, f.month, f.day, f.hour, f.minute, f.second].join();
}

export function parseReloadTime(text: string, nowMs: number): ReloadTime {
  const utc = text.endsWith('Z');
  const body = utc ? text.slice(0, -1) : text;
  if (body.length !== 8 && body.length !== 17 && body.length !== 19)
    return { kind: 'invalid', message: `Reload time ${text} format is incorrect - ignoring` };
  const m =
    body.length === 8
      ? /^()()()(\d{1,2}):(\d{1,2}):(\d{1,2})$/.exec(body)
      : /^(\d{2}|\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})$/.exec(body);
  if (m === null) return { kind: 'invalid', message: `Reload date/time ${text} invalid - ignoring` };
  const now = new Date(nowMs);
  const n = (i: number): number => Number(m[i]);
  let year = utc ? now.getUTCFullYear() : now.getFullYear();
  if (m[1] !== '') year = m[1]?.length === 2 ? (n(1) < 69 ? 2000 + n(1) : 1900 + n(1)) : n(1);
  const fields: Fields = {
    year,
    month: m[2] !== '' ? n(2) : (utc ? now.getUTCMonth() : now.getMonth()) + 1,
    day: m[3] !== '' ? n(3) : utc ? now.getUTCDate() : now.getDate(),
    hour: n(4),
    minute: n(5),
    second: n(6),
  };
  // strptime's own ranges, then mktime's round trip
  if (fields.hour > 23 || fields.minute > 59 || fields.second > 60 || fields.month < 1 || fields.month > 12)
    return { kind: 'invalid', message: `Reload date/time ${text} invalid - ignoring` };
  let at = make(fields, utc);
  if (!exists(at, fields, utc))
    return { kind: 'invalid', message: `Reload time ${text} is not valid - ignoring` };
  if (at.getTime() <= nowMs) {
    if (body.length !== 8) return { kind: 'past' };
    at = make({ ...fields, day: fields.day + 1 }, utc);
  }
  return { kind: 'at', timeMs: at.getTime(), dateSpecified: body.length >= 17 };
}

/** keepalived's "%Y-%m-%d %H:%M:%S" in local time, as its reload messages show times. */
export function formatLocalTime(ms: number): string {
  const d = new Date(ms);
  const p = (v: number): string => String(v).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
