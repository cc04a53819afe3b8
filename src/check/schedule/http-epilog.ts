// HTTP_GET / SSL_GET count differently from the other checkers (keepalived 2.4.3 check_http.c epilog):
// each probe fetches ONE url, the next one a delay_loop later; the checker comes UP only when every url
// has passed in one round, and a failing url is the one retried. Once a url has failed (the checker went
// DOWN), the next success of that url only starts a new round from the first url. fast_recovery removes
// the delay_loop between urls while the checker is not known to be healthy (at start, and during that
// recovery round), so a server comes back after one round instead of one delay_loop per url. Pure.
import type { CheckerTiming } from './spec.js';

/** What keepalived keeps per HTTP checker on top of the common state. */
export interface HttpRoundState {
  isUp: boolean;
  hasRun: boolean;
  retryIt: number;
  /** The url the next probe fetches (keepalived's url_it; urlCount means "round complete"). */
  urlIt: number;
  /** The url that took the checker DOWN, until it passes again (keepalived's failed_url). */
  failedUrl: number | undefined;
}

export interface HttpEpilogOutcome {
  /** How long until the next probe (0: at once). */
  delayMs: number;
  /** 'up' / 'down' when the checker's verdict changed. */
  change?: 'up' | 'down';
}

/** Applies one probe result (of url state.urlIt) to `state`, as keepalived's epilog does. */
export function httpEpilog(
  state: HttpRoundState,
  ok: boolean,
  urlCount: number,
  timing: Pick<CheckerTiming, 'retry' | 'delayLoopMs' | 'delayBeforeRetryMs'>,
  fastRecovery: boolean,
): HttpEpilogOutcome {
  let change: 'up' | 'down' | undefined;
  // a failure of a checker that is up (or has not run) is retried; of one already down, only noted
  let method: 'new' | 'retry' | 'failed' = 'new';
  if (!ok) {
    if (state.isUp || !state.hasRun) {
      state.hasRun = true;
      method = 'retry';
    } else method = 'failed';
  }
  if (method === 'new') {
    state.urlIt++;
    state.retryIt = 0;
  } else if (method === 'retry') state.retryIt++;

  if (method === 'new' && state.urlIt >= urlCount && state.failedUrl === undefined) {
    // every url passed in this round
    if (!state.isUp || !state.hasRun) {
      if (!state.isUp) change = 'up';
      state.isUp = true;
      state.hasRun = true;
    }
    state.urlIt = 0;
    state.retryIt = 0;
  } else if (method === 'retry' && state.retryIt > timing.retry) {
    if (state.isUp) change = 'down';
    state.isUp = false;
    state.failedUrl = state.urlIt;
  } else if (method === 'new' && state.failedUrl !== undefined) {
    // the failed url passes again: check them all, from the first
    state.failedUrl = undefined;
    state.urlIt = 0;
    state.retryIt = 0;
  }

  let delayMs: number;
  if (method === 'new') {
    delayMs = timing.delayLoopMs;
    if (!state.hasRun) state.retryIt = timing.retry;
  } else if (state.failedUrl !== undefined) delayMs = Math.max(timing.delayBeforeRetryMs, timing.delayLoopMs);
  else delayMs = timing.delayBeforeRetryMs;

  if (fastRecovery && (!state.hasRun || (!state.isUp && state.failedUrl === undefined))) delayMs = 0;
  return change === undefined ? { delayMs } : { delayMs, change };
}
