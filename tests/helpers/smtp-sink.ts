// A real SMTP server for tests: Python's standard smtpd module (Python <= 3.11), run as a child process,
// writing every message it accepts as one JSON line: who connected, the HELO/EHLO it was greeted with,
// the envelope and the DATA exactly as received (smtpd turns CRLF into LF and removes the final dot).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const SINK_SOURCE = `
import asyncore, json, smtpd, sys
listen, out = sys.argv[1], sys.argv[2]
class Channel(smtpd.SMTPChannel):
    def smtp_HELO(self, arg):
        self.smtp_server.greetings[self.peer] = 'HELO ' + arg
        super().smtp_HELO(arg)
    def smtp_EHLO(self, arg):
        self.smtp_server.greetings[self.peer] = 'EHLO ' + arg
        super().smtp_EHLO(arg)
class Sink(smtpd.SMTPServer):
    channel_class = Channel
    def __init__(self, *a, **k):
        self.greetings = {}
        super().__init__(*a, **k)
    def process_message(self, peer, mailfrom, rcpttos, data, **kw):
        rec = {'peer': peer[0], 'greeting': self.greetings.get(peer), 'mailfrom': mailfrom,
               'rcpttos': rcpttos, 'data': data.decode('latin-1')}
        with open(out, 'a') as f:
            f.write(json.dumps(rec) + '\\n')
host, port = listen.rsplit(':', 1)
server = Sink((host, int(port)), None, decode_data=False)
print('listening', server.socket.getsockname()[1], flush=True)
asyncore.loop()
`;

/** A python3 that still has smtpd (Debian 12's /usr/bin/python3 is 3.11), or undefined. */
export function smtpdPython(): string | undefined {
  for (const py of ['/usr/bin/python3', 'python3']) {
    if (py.startsWith('/') && !existsSync(py)) continue;
    const r = spawnSync(py, ['-W', 'ignore', '-c', 'import smtpd, asyncore'], { timeout: 10_000 });
    if (r.status === 0) return py;
  }
  return undefined;
}

export function smtpSinkSkipReason(): string | undefined {
  return smtpdPython() === undefined
    ? 'missing tool: python3 with the smtpd module, Python <= 3.11 (Debian 12 package python3)'
    : undefined;
}

export interface ReceivedMail {
  peer: string;
  /** 'HELO name' or 'EHLO name'. */
  greeting: string | null;
  mailfrom: string;
  rcpttos: string[];
  /** The DATA as received, LF line ends. */
  data: string;
}

/** Headers (name, value) in order, and the body, of a received DATA block. */
export function parseMail(data: string): { headers: Array<[string, string]>; body: string } {
  const split = data.indexOf('\n\n');
  const head = split < 0 ? data : data.slice(0, split);
  const body = split < 0 ? '' : data.slice(split + 2);
  const headers = head
    .split('\n')
    .filter((l) => l !== '')
    .map((l): [string, string] => {
      const colon = l.indexOf(':');
      return [l.slice(0, colon), l.slice(colon + 1).trim()];
    });
  return { headers, body };
}

export class SmtpSink {
  private constructor(
    readonly child: ChildProcess,
    readonly file: string,
    readonly port: number,
  ) {}

  /**
   * Starts the sink on `host:port` (port 0: any) writing to `file`. `wrap` prefixes the command, e.g.
   * ['ip', 'netns', 'exec', ns]; `spawnIn` lets a lab start (and later kill) the process.
   */
  static async start(
    host: string,
    port: number,
    file: string,
    spawnIn: (argv: string[]) => ChildProcess = (argv) =>
      spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }),
  ): Promise<SmtpSink> {
    const py = smtpdPython();
    if (py === undefined) throw new Error('no python3 with smtpd');
    const child = spawnIn([py, '-W', 'ignore', '-c', SINK_SOURCE, `${host}:${port}`, file]);
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    let out = '';
    let err = '';
    child.stderr?.on('data', (c: string) => (err += c));
    const bound = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`SMTP sink did not start: ${err}`)), 10_000);
      child.stdout?.on('data', (c: string) => {
        out += c;
        const m = /listening (\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`SMTP sink exited (${code}): ${err}`));
      });
    });
    return new SmtpSink(child, file, bound);
  }

  messages(): ReceivedMail[] {
    if (!existsSync(this.file)) return [];
    return readFileSync(this.file, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as ReceivedMail);
  }

  /** Waits until `done(messages)` holds; rejects after `timeoutMs` listing what arrived. */
  async waitFor(
    done: (mails: ReceivedMail[]) => boolean,
    what: string,
    timeoutMs = 20_000,
  ): Promise<ReceivedMail[]> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const mails = this.messages();
      if (done(mails)) return mails;
      if (Date.now() > end) {
        const subjects = mails.map((m) => parseMail(m.data).headers.find(([n]) => n === 'Subject')?.[1]);
        throw new Error(`timed out waiting for ${what}; received:\n${subjects.join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  stop(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** The Subject: of a received mail. */
export function subjectOf(m: ReceivedMail): string | undefined {
  return parseMail(m.data).headers.find(([n]) => n === 'Subject')?.[1];
}
