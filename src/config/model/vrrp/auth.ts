// A vrrp_instance's authentication: the VRRPv2 `authentication` block (PASS, AH) and keepalived 2.4's
// `auth_hmac` extension.
import type { ConfigNode, SourceLocation } from '../../types.js';
import { type BuildContext, blockChildren, choice, int, missingArgument, walk } from '../shared/values.js';

export interface Authentication {
  location: SourceLocation;
  type: 'PASS' | 'AH';
  /** At most 8 characters (longer ones are cut, as keepalived does). */
  password: string;
}

export interface HmacKey {
  id: number;
  /** The key as written: `hex:...`, `file:...` or an ASCII string. */
  value: string;
}

export interface AuthHmac {
  location: SourceLocation;
  keys: HmacKey[];
  activeKey?: number;
  antiReplay: 'time' | 'monotonic';
  /** Seconds; undefined means max(3 x advert_int, 5). */
  timeWindow?: number;
  mode: 'enforce' | 'permissive' | 'receive-only';
}

/** The `authentication { auth_type PASS|AH; auth_pass ... }` block. */
export function readAuthentication(
  node: ConfigNode,
  ctx: BuildContext,
  instanceName: string,
): Authentication | undefined {
  let type: 'PASS' | 'AH' | undefined;
  let typeGiven = false;
  let password: string | undefined;
  walk(
    blockChildren(node, ctx),
    ctx,
    {
      auth_type: (n) => {
        typeGiven = true;
        type = choice(n, ctx, ['PASS', 'AH'] as const);
      },
      auth_pass: (n) => {
        const p = n.args[0];
        if (p === undefined) {
          missingArgument(n, ctx);
          return;
        }
        if (p.length > 8)
          ctx.diags.warn(n, n.keyword, `password longer than 8 characters, cut to '${p.slice(0, 8)}'`);
        password = p.slice(0, 8);
      },
    },
    'authentication',
  );
  // keepalived takes a block without a (valid) auth_type as no authentication, and says nothing more
  if (type === undefined) {
    if (!typeGiven)
      ctx.diags.note(node, node.keyword, 'no auth_type (PASS or AH): no authentication, as keepalived does');
    return undefined;
  }
  if (password === undefined) {
    ctx.diags.error(
      node,
      node.keyword,
      `(${instanceName}) Authentication specified but no password given. Ignoring`,
    );
    return undefined;
  }
  return { location: { file: node.file, line: node.line }, type, password };
}

/** The `auth_hmac { key ...; active_key; anti_replay; time_window; mode }` block (keepalived 2.4). */
export function readAuthHmac(node: ConfigNode, ctx: BuildContext): AuthHmac | undefined {
  const h: AuthHmac = {
    location: { file: node.file, line: node.line },
    keys: [],
    antiReplay: 'time',
    mode: 'enforce',
  };
  walk(
    blockChildren(node, ctx),
    ctx,
    {
      key: (n) => {
        const id = int(n, ctx, 1, 255, 0);
        const value = n.args[1];
        if (id === undefined) return;
        if (value === undefined) {
          ctx.diags.error(n, n.keyword, `key ${id} has no value`);
          return;
        }
        if (h.keys.some((k) => k.id === id)) {
          ctx.diags.error(n, n.keyword, `key ${id} is defined twice`);
          return;
        }
        if (value.startsWith('hex:')) {
          const hex = value.slice(4);
          if (!/^([0-9a-fA-F]{2})+$/.test(hex) || hex.length < 64 || hex.length > 128) {
            ctx.diags.error(n, n.keyword, `key ${id}: hex key must be 32 to 64 bytes`);
            return;
          }
        } else if (!value.startsWith('file:') && (value.length < 32 || value.length > 64)) {
          ctx.diags.error(n, n.keyword, `key ${id}: key must be 32 to 64 bytes`);
          return;
        }
        h.keys.push({ id, value });
      },
      active_key: (n) => {
        const v = int(n, ctx, 1, 255);
        if (v !== undefined) h.activeKey = v;
      },
      anti_replay: (n) => {
        const v = choice(n, ctx, ['time', 'monotonic'] as const);
        if (v) h.antiReplay = v;
      },
      time_window: (n) => {
        const v = int(n, ctx, 1, 300);
        if (v !== undefined) h.timeWindow = v;
      },
      mode: (n) => {
        const v = choice(n, ctx, ['enforce', 'permissive', 'receive-only'] as const);
        if (v) h.mode = v;
      },
    },
    'auth_hmac',
  );
  if (h.keys.length === 0) {
    ctx.diags.error(node, node.keyword, 'at least one key is required');
    return undefined;
  }
  if (h.activeKey === undefined) {
    if (h.keys.length > 1) {
      ctx.diags.error(node, node.keyword, 'active_key is required when several keys are defined');
      return undefined;
    }
    h.activeKey = h.keys[0]?.id;
  } else if (!h.keys.some((k) => k.id === h.activeKey)) {
    ctx.diags.error(node, node.keyword, `active_key ${h.activeKey} is not a defined key`);
    return undefined;
  }
  return h;
}
