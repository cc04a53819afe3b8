// A script a keyword names (notify scripts, startup/shutdown scripts, notify_up / notify_down, the user a
// vrrp_script runs as), read and printed the same way by the VRRP and the LVS blocks.
import type { ConfigNode } from '../../types.js';
import { quoteWord } from './quote.js';
import { type BuildContext, missingArgument } from './values.js';
import { defaultScriptUserUsable, type ScriptReader } from './script-user.js';

/** A script to run, with the user (and group) to run it as. */
export interface ScriptCommand {
  /** The command line; a quoted string in the config is one command line with arguments. */
  command: string;
  user?: string;
  /** Group; a leading ':' (set supplementary groups) is kept. */
  group?: string;
}

/** `KEYWORD SCRIPT [username [:][groupname]]` (notify_*, startup_script, user of vrrp_script), met by
 * keepalived's `reader`. */
export function readScriptCommand(
  node: ConfigNode,
  ctx: BuildContext,
  reader: ScriptReader,
): ScriptCommand | undefined {
  const [command, user, group, ...extra] = node.args;
  if (command === undefined) {
    missingArgument(node, ctx);
    return undefined;
  }
  // keepalived reads the words after the script as USER [GROUP] and ignores any more; arguments meant
  // for the script are a classic slip, so say what happens (the script runs as that user, if it exists).
  // keepalived logs this but does not count it against the config (-t passes): a note here too.
  if (extra.length > 0)
    ctx.diags.note(
      node,
      node.keyword,
      `'${user} ${group}' is read as the user and group to run ${command} as, and '${extra.join(' ')}' is ignored: ` +
        `quote the command to pass it arguments ("${node.args.join(' ')}")`,
    );
  // keepalived drops the script when its user or group does not exist (notify_script_init), logging it
  // without counting it: a note, and no script.
  const facts = ctx.hostFacts;
  if (user !== undefined && facts?.userExists !== undefined) {
    const groupOk =
      group === undefined ||
      group === ':' || // ':' alone: the user's own group, with its supplementary groups
      facts.groupExists === undefined ||
      facts.groupExists(group.replace(/^:/, ''));
    if (!facts.userExists(user) || !groupOk) {
      ctx.diags.note(
        node,
        node.keyword,
        `Invalid user/group for ${node.keyword} script ${command} - ignoring`,
      );
      return undefined;
    }
  }
  // No user: keepalived's default one, which may fail (script security without keepalived_script)
  if (user === undefined && !defaultScriptUserUsable(ctx, node, reader)) {
    ctx.diags.note(
      node,
      node.keyword,
      `Failed to set default user for ${node.keyword} script ${command} - ignoring`,
    );
    return undefined;
  }
  const out: ScriptCommand = { command };
  if (user !== undefined) out.user = user;
  if (group !== undefined) out.group = group;
  return out;
}

export function formatScriptCommand(keyword: string, s: ScriptCommand): string {
  const parts = [keyword, quoteWord(s.command)];
  if (s.user !== undefined) parts.push(s.user);
  if (s.group !== undefined) parts.push(s.group);
  return parts.join(' ');
}
