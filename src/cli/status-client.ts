// The status listener's client side, for `keepalived-ts status` and `keepalived-ts events`: where to
// connect (--url, else the configuration's first status_http listen line), the bearer token (--token,
// KEEPALIVED_TS_TOKEN, else the configuration's), one GET, or an event stream read frame by frame.
import { splitLongOption } from './long-option.js';
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { loadModel } from '../config/index.js';
import { FsConfigHost } from '../daemon/process/fs-config-host.js';

export const DEFAULT_CONFIG = '/etc/keepalived/keepalived.conf';
export const DEFAULT_URL = 'http://127.0.0.1:9650';

export interface Target {
  url: string;
  token?: string;
  /** A CA certificate file for a listener with its own certificate. */
  ca?: string;
  /** Accept any certificate (a self-signed one on localhost). */
  insecure: boolean;
}

export interface ClientOptions extends Target {
  json: boolean;
  follow: boolean;
  since?: number;
}

/** Reads --url, --token, --ca, --insecure, -f, --json, --follow, --since; the rest is an error. */
export function parseClientArgs(args: readonly string[], env: NodeJS.ProcessEnv): ClientOptions | string {
  let url: string | undefined;
  let token = env.KEEPALIVED_TS_TOKEN;
  let config: string | undefined;
  const out: Omit<ClientOptions, 'url'> = { insecure: false, json: false, follow: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const [name, attached] = splitLongOption(a);
    const value = (): string | undefined => attached ?? args[++i];
    switch (name) {
      case '--url':
        url = value();
        if (url === undefined) return '--url needs a URL';
        break;
      case '--token':
        token = value();
        if (token === undefined) return '--token needs a value';
        break;
      case '--ca':
        out.ca = value();
        if (out.ca === undefined) return '--ca needs a file';
        break;
      case '--insecure':
        out.insecure = true;
        break;
      case '-f':
      case '--use-file':
        config = value();
        if (config === undefined) return `${name} needs a file`;
        break;
      case '--json':
        out.json = true;
        break;
      case '--follow':
        out.follow = true;
        break;
      case '--since': {
        const v = value();
        if (v === undefined || !/^\d+$/.test(v)) return '--since needs an event number';
        out.since = Number(v);
        break;
      }
      default:
        return `unknown argument '${a}'`;
    }
  }
  // the configuration says where the listener is, and its token, unless given
  if (url === undefined || token === undefined) {
    const fromConfig = targetFromConfig(config ?? DEFAULT_CONFIG, config !== undefined);
    if (typeof fromConfig === 'string') return fromConfig;
    url ??= fromConfig?.url ?? DEFAULT_URL;
    token ??= fromConfig?.token;
  }
  return { ...out, url, ...(token !== undefined ? { token } : {}) };
}

function targetFromConfig(
  file: string,
  required: boolean,
): { url: string; token?: string } | string | undefined {
  try {
    readFileSync(file);
  } catch (e) {
    return required ? `cannot read ${file}: ${(e as Error).message}` : undefined;
  }
  const { model } = loadModel(file, new FsConfigHost());
  const cfg = model.statusHttp;
  const first = cfg?.listen[0];
  if (cfg === undefined || first === undefined)
    return required ? `${file} has no status_http block` : undefined;
  const host = first.family === 6 ? `[${first.address}]` : first.address;
  // an unspecified address listens everywhere: ask loopback
  const ask = first.address === '0.0.0.0' ? '127.0.0.1' : first.address === '::' ? '[::1]' : host;
  const scheme = cfg.tlsCertificate !== undefined ? 'https' : 'http';
  return {
    url: `${scheme}://${ask}:${first.port}`,
    ...(cfg.token !== undefined ? { token: cfg.token } : {}),
  };
}

/** Opens `path` on the listener (a POST when `body` is given); resolves with the response (status and a
 * readable body). */
export function open(
  target: Target,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<IncomingMessage> {
  const url = new URL(path, target.url.endsWith('/') ? target.url : `${target.url}/`);
  const all: Record<string, string> = { accept: '*/*', ...headers };
  if (target.token !== undefined) all.authorization = `Bearer ${target.token}`;
  const method = body !== undefined ? 'POST' : 'GET';
  if (body !== undefined) {
    all['content-type'] = 'application/json';
    all['content-length'] = String(Buffer.byteLength(body));
  }
  return new Promise((resolve, reject) => {
    const req =
      url.protocol === 'https:'
        ? httpsRequest(url, {
            method,
            headers: all,
            rejectUnauthorized: !target.insecure,
            ...(target.ca !== undefined ? { ca: readFileSync(target.ca) } : {}),
          })
        : httpRequest(url, { method, headers: all });
    req.on('response', resolve);
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${url.origin} within 10 s`)));
    req.end(body);
  });
}

/** One POST of a JSON body; the status code and the body as text. */
export async function postJson(
  target: Target,
  path: string,
  body: string,
): Promise<{ code: number; body: string }> {
  const res = await open(target, path, {}, body);
  res.setEncoding('utf8');
  let text = '';
  for await (const chunk of res) text += chunk as string;
  return { code: res.statusCode ?? 0, body: text };
}

/** One GET; the body as text, or an error naming the status. */
export async function getText(target: Target, path: string): Promise<string> {
  const res = await open(target, path);
  res.setEncoding('utf8');
  let body = '';
  for await (const chunk of res) body += chunk as string;
  if (res.statusCode !== 200) throw new Error(`${path}: HTTP ${res.statusCode ?? '?'}: ${body.trim()}`);
  return body;
}

export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

/** Reads an event stream, calling `onMessage` per message, until the stream ends (or `stop()` returns true). */
export async function readEvents(
  target: Target,
  path: string,
  headers: Record<string, string>,
  onMessage: (m: SseMessage) => boolean | void,
): Promise<void> {
  const res = await open(target, path, { accept: 'text/event-stream', ...headers });
  res.setEncoding('utf8');
  if (res.statusCode !== 200) {
    let body = '';
    for await (const chunk of res) body += chunk as string;
    throw new Error(`${path}: HTTP ${res.statusCode ?? '?'}: ${body.trim()}`);
  }
  let buffer = '';
  for await (const chunk of res) {
    buffer += chunk as string;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const m: SseMessage = { event: 'message', data: '' };
      let hasData = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':') || line === '') continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') m.id = value;
        else if (field === 'event') m.event = value;
        else if (field === 'data') {
          m.data += (hasData ? '\n' : '') + value;
          hasData = true;
        }
      }
      if (hasData && onMessage(m) === true) {
        res.destroy();
        return;
      }
    }
  }
}
