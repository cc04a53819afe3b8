// A node:test reporter that writes one JSON line per test (suites excluded): its file, name, outcome
// and, for a skip, the reason. scripts/run-tests.js adds the lines up into the closing summary (every
// test that did not run is counted, by reason); tests/helpers/inner-suite.ts reads them from a suite run
// inside a namespace to report each of its tests to the outer run.
export default async function* testResults(source) {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const data = event.data;
    // Top-level tests and suites add up to each file's share of the run (run-tests.js prints the slowest).
    if (data.nesting === 0 && typeof data.details?.duration_ms === 'number')
      yield `${JSON.stringify({ file: data.file, timing: Math.round(data.details.duration_ms) })}\n`;
    if (data.details?.type === 'suite') {
      // A skipped describe() hides how many tests it holds (node 20 counts none of them): the suite
      // must gate its tests one by one instead (tests/helpers/requirements.ts); run-tests.js fails it.
      if (data.skip !== undefined && data.skip !== false) {
        yield line(data, 'hidden-skip');
        continue;
      }
      // A suite only matters here when it failed by itself (a throwing `before` hook, say): its tests
      // then never report, and the failure must still be counted.
      if (event.type === 'test:fail' && data.details?.error?.failureType !== 'subtestsFailed')
        yield line(data, 'fail');
      continue;
    }
    let outcome = event.type === 'test:pass' ? 'pass' : 'fail';
    if (data.skip !== undefined && data.skip !== false) outcome = 'skip';
    else if (data.todo !== undefined && data.todo !== false) outcome = 'todo';
    else if (event.type === 'test:fail' && data.details?.error?.failureType === 'cancelledByParent')
      outcome = 'cancelled';
    yield line(data, outcome);
  }
}

function line(data, outcome) {
  const record = { file: data.file, name: data.name, nesting: data.nesting, outcome };
  if (outcome === 'skip' || outcome === 'hidden-skip')
    record.reason = typeof data.skip === 'string' ? data.skip : '(no reason given)';
  if (outcome === 'fail' || outcome === 'cancelled') {
    const error = data.details?.error;
    record.error = String(error?.cause?.message ?? error?.message ?? error ?? 'failed').slice(0, 4000);
  }
  return `${JSON.stringify(record)}\n`;
}
