// The soak's verdicts and pictures, apart from the lab: trend of a series (Theil-Sen), the memory and
// descriptor criteria, the CSV and a small hand-written SVG of the memory curves.

/** A series point: seconds since the soak started, a value. */
export interface Point {
  t: number;
  v: number;
}

/**
 * Theil-Sen slope: the median of the slopes between every pair of points. Unlike least squares, a few
 * outliers (a GC pause, an allocator step) do not tilt it; 30 to 180 points make at most 16,110 pairs.
 */
export function theilSen(points: Point[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++)
    for (let j = i + 1; j < points.length; j++) {
      const a = points[i] as Point;
      const b = points[j] as Point;
      if (b.t !== a.t) slopes.push((b.v - a.v) / (b.t - a.t));
    }
  if (slopes.length === 0) return NaN;
  slopes.sort((x, y) => x - y);
  const mid = slopes.length >> 1;
  return slopes.length % 2
    ? (slopes[mid] as number)
    : ((slopes[mid - 1] as number) + (slopes[mid] as number)) / 2;
}

/**
 * The floor of a series: each point replaced by the lowest value of the `windowS` seconds up to it.
 * Memory between collections, a render in flight or a message being relayed lift single samples; what a
 * process keeps lifts the floor.
 */
export function rollingMin(points: Point[], windowS: number): Point[] {
  return points.map((p, i) => {
    let v = p.v;
    for (let j = i - 1; j >= 0 && (points[j] as Point).t >= p.t - windowS; j--)
      v = Math.min(v, (points[j] as Point).v);
    return { t: p.t, v };
  });
}

/** The points of the second half of the run (the first half holds start-up and warm-up growth). */
export function secondHalf(points: Point[]): Point[] {
  if (points.length === 0) return [];
  const t0 = (points[0] as Point).t;
  const t1 = (points.at(-1) as Point).t;
  return points.filter((p) => p.t >= t0 + (t1 - t0) / 2);
}

/**
 * Memory growth: the Theil-Sen slope of the series' floor (rollingMin, 60 s) over the second half, in MB
 * per hour, fails when it is above
 * `maxMbPerHour` AND the growth it implies over that window is above `minRiseMb` (a 10-minute run cannot
 * tell 4 MB/h from noise; an hour-long one can).
 */
export interface GrowthLimit {
  maxMbPerHour: number;
  minRiseMb: number;
}

export interface Growth {
  mbPerHour: number;
  riseMb: number;
  failed: boolean;
}

export function memoryGrowth(points: Point[], limit: GrowthLimit, floorWindowS = 60): Growth {
  const half = secondHalf(rollingMin(points, floorWindowS));
  const slope = theilSen(half); // MB per second when the values are MB
  const span = half.length > 1 ? (half.at(-1) as Point).t - (half[0] as Point).t : 0;
  const mbPerHour = slope * 3600;
  const riseMb = slope * span;
  return {
    mbPerHour,
    riseMb,
    failed: Number.isFinite(mbPerHour) && mbPerHour > limit.maxMbPerHour && riseMb > limit.minRiseMb,
  };
}

/**
 * Descriptor growth: fails when the lowest count of the last quarter is above the highest count of the
 * second quarter (the first is start-up). Descriptors in flight (a checker's connects) make the count
 * jitter; a leak raises its floor above anything seen before, jitter does not.
 */
export interface FdGrowth {
  secondQuarterMax: number;
  lastQuarterMin: number;
  perHour: number;
  failed: boolean;
}

export function fdGrowth(points: Point[]): FdGrowth {
  const n = points.length;
  const q2 = points.slice(Math.floor(n / 4), Math.floor(n / 2)).map((p) => p.v);
  const q4 = points.slice(Math.floor((3 * n) / 4)).map((p) => p.v);
  const secondQuarterMax = q2.length ? Math.max(...q2) : NaN;
  const lastQuarterMin = q4.length ? Math.min(...q4) : NaN;
  return {
    secondQuarterMax,
    lastQuarterMin,
    perHour: theilSen(secondHalf(points)) * 3600,
    failed: lastQuarterMin > secondQuarterMax,
  };
}

/** Rows as CSV (values are numbers or plain words: no quoting needed). */
export function toCsv(columns: string[], rows: (string | number)[][]): string {
  const cell = (v: string | number): string =>
    typeof v === 'number' ? (Number.isFinite(v) ? String(Math.round(v * 1000) / 1000) : '') : v;
  return [columns.join(','), ...rows.map((r) => r.map(cell).join(','))].join('\n') + '\n';
}

export interface SvgSeries {
  label: string;
  color: string;
  dashed?: boolean;
  points: Point[];
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A line chart: minutes on x, MB on y, the second half (where the criterion looks) shaded. */
export function memorySvg(title: string, series: SvgSeries[], width = 760, height = 380): string {
  const pad = { left: 56, right: 170, top: 34, bottom: 42 };
  const all = series.flatMap((s) => s.points);
  const tMax = Math.max(60, ...all.map((p) => p.t));
  const vMax = Math.max(1, ...all.map((p) => p.v)) * 1.08;
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const x = (t: number): number => pad.left + (t / tMax) * plotW;
  const y = (v: number): number => pad.top + plotH - (v / vMax) * plotH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${pad.left}" y="18" font-size="13">${esc(title)}</text>`,
    `<rect x="${x(tMax / 2).toFixed(1)}" y="${pad.top}" width="${(plotW / 2).toFixed(1)}" height="${plotH}" fill="#f2f2f2"/>`,
    `<text x="${(x(tMax / 2) + 4).toFixed(1)}" y="${pad.top + 12}" fill="#777">trend window</text>`,
  ];
  const yStep = niceStep(vMax / 6);
  for (let v = 0; v <= vMax; v += yStep)
    out.push(
      `<line x1="${pad.left}" x2="${pad.left + plotW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`,
      `<text x="${pad.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v}</text>`,
    );
  const minutes = tMax / 60;
  const xStep = niceStep(minutes / 8);
  for (let m = 0; m <= minutes + 1e-9; m += xStep)
    out.push(
      `<line x1="${x(m * 60).toFixed(1)}" x2="${x(m * 60).toFixed(1)}" y1="${pad.top + plotH}" y2="${pad.top + plotH + 4}" stroke="#333"/>`,
      `<text x="${x(m * 60).toFixed(1)}" y="${pad.top + plotH + 16}" text-anchor="middle">${Math.round(m * 100) / 100}</text>`,
    );
  out.push(
    `<rect x="${pad.left}" y="${pad.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`,
    `<text x="${pad.left + plotW / 2}" y="${height - 8}" text-anchor="middle">minutes</text>`,
    `<text x="14" y="${pad.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 14 ${pad.top + plotH / 2})">MB</text>`,
  );
  series.forEach((s, i) => {
    const d = s.points.map((p, k) => `${k ? 'L' : 'M'}${x(p.t).toFixed(1)} ${y(p.v).toFixed(1)}`).join('');
    const dash = s.dashed ? ' stroke-dasharray="5 3"' : '';
    if (d) out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"${dash}/>`);
    const ly = pad.top + 8 + i * 16;
    const lx = pad.left + plotW + 12;
    out.push(
      `<line x1="${lx}" x2="${lx + 22}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`,
      `<text x="${lx + 28}" y="${ly + 4}">${esc(s.label)}</text>`,
    );
  });
  out.push('</svg>', '');
  return out.join('\n');
}

/** 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}
