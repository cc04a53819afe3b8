// SMTP_CHECK: a real SMTP dialog, as keepalived's check_smtp.c drives it: wait for the 220 banner,
// send "HELO <helo_name>", expect 250, send "QUIT", expect 221. Multi-line replies ("250-...") are
// read to their last line. The whole dialog shares one connect_timeout deadline.
import { connect } from 'node:net';
import type { CheckerSpec, ProbeResult, SmtpCheckOptions } from '../schedule/spec.js';
import { dialAddress, errorText, runProbe } from './common.js';

type Stage = { expect: number; next?: (heloName: string) => string; what: string };

const STAGES: Stage[] = [
  { expect: 220, next: (helo) => `HELO ${helo}\r\n`, what: 'banner' },
  { expect: 250, next: () => 'QUIT\r\n', what: 'HELO' },
  { expect: 221, what: 'QUIT' },
];

export function smtpProbe(spec: CheckerSpec, signal?: AbortSignal): Promise<ProbeResult> {
  const options = spec.options as SmtpCheckOptions;
  return runProbe(spec.connect.timeoutMs, signal, (ctx) => {
    const socket = connect({
      host: dialAddress(spec),
      port: spec.connect.port,
      localAddress: spec.connect.bindTo,
      localPort: spec.connect.bindPort,
    });
    ctx.onCleanup(() => socket.destroy());
    let stage = 0;
    let buffered = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      if (buffered.length > 64 * 1024) return ctx.fail('SMTP reply too long');
      for (;;) {
        const eol = buffered.indexOf('\n');
        if (eol < 0) return;
        const line = buffered.slice(0, eol).replace(/\r$/, '');
        buffered = buffered.slice(eol + 1);
        // "250-..." continues a multi-line reply; only the final "250 ..." line completes it.
        if (/^\d{3}-/.test(line)) continue;
        const code = Number(line.slice(0, 3));
        const current = STAGES[stage] as Stage;
        if (code !== current.expect) {
          return ctx.fail(
            `SMTP ${current.what} answered "${line.slice(0, 80)}" (expected ${current.expect})`,
          );
        }
        if (current.next === undefined) return ctx.succeed('SMTP dialog complete');
        socket.write(current.next(options.heloName));
        stage++;
      }
    });
    socket.once('error', (e) => ctx.fail(errorText(e)));
    socket.once('close', () => ctx.fail(`connection closed during SMTP ${(STAGES[stage] as Stage).what}`));
  });
}
