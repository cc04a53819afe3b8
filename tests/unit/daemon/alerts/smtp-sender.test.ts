// The sender's pure helpers: keepalived-worded failure lines and the host's canonical name.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { localIdentity, smtpFailureText } from '../../../../src/daemon/alerts/smtp-sender.js';

describe('smtpFailureText', () => {
  const server = '[10.0.0.9]:25';

  test('a rejected command is reported with its status code', () => {
    const e = Object.assign(new Error('Mail command failed'), { command: 'MAIL FROM', responseCode: 550 });
    assert.equal(
      smtpFailureText(e, server),
      'Error processing MAIL cmd on SMTP server [10.0.0.9]:25. SMTP status code = 550',
    );
    const r = Object.assign(new Error('x'), { command: 'RCPT TO', responseCode: 554 });
    assert.match(smtpFailureText(r, server), /^Error processing RCPT cmd .* = 554$/);
  });

  test('timeouts and connection errors', () => {
    const connect = Object.assign(new Error('Connection timeout'), { code: 'ETIMEDOUT' });
    assert.equal(smtpFailureText(connect, server), 'Timeout connecting SMTP server [10.0.0.9]:25.');
    const greet = Object.assign(new Error('Greeting never received'), { code: 'ETIMEDOUT' });
    assert.equal(
      smtpFailureText(greet, server),
      'Timeout reading data to remote SMTP server [10.0.0.9]:25. (Greeting never received)',
    );
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.9:25'), { code: 'ESOCKET' });
    assert.equal(
      smtpFailureText(refused, server),
      'SMTP connection ERROR to [10.0.0.9]:25. (connect ECONNREFUSED 10.0.0.9:25)',
    );
    assert.match(smtpFailureText('boom', server), /\(boom\)$/);
  });
});

describe('localIdentity', () => {
  test('the first name of the hosts line that lists our node name, else the node name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kts-hosts-'));
    try {
      const file = join(dir, 'hosts');
      writeFileSync(
        file,
        `# comment ${hostname()}\n127.0.0.1 localhost\n127.0.1.1 lb1.example.com ${hostname()} # here\n`,
      );
      assert.equal(localIdentity(file).hostName, 'lb1.example.com');
      writeFileSync(file, '127.0.0.1 localhost\n');
      assert.equal(localIdentity(file).hostName, hostname());
      assert.equal(localIdentity(join(dir, 'missing')).hostName, hostname());
      assert.ok(localIdentity(file).userName.length > 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
