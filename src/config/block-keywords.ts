// Which keywords keepalived 2.4.3 reads a block after, by the blocks they stand in ('' = the top level,
// ' > ' between levels). Its parser reads the lines after such a keyword as the block even when the `{`
// is missing (lib/parser.c process_stream for a keyword with a keyword table of its own, alloc_value_block
// for a list of values), up to the `}` that closes it; the block parser opens the block there as it does.

/** Keywords with keyword tables of their own (install_sublevel): a missing `{` is a configuration error. */
const KEYWORD_BLOCKS: Readonly<Record<string, readonly string[]>> = {
  '': [
    'global_defs',
    'vrrp_instance',
    'vrrp_sync_group',
    'vrrp_script',
    'vrrp_track_process',
    'track_file',
    'vrrp_track_file',
    'garp_group',
    'track_group',
    'bfd_instance',
    'virtual_server',
    'SSL',
    // keepalived-ts's own
    'status_http',
  ],
  vrrp_instance: ['authentication', 'auth_hmac'],
  virtual_server: ['real_server'],
  'virtual_server > real_server': [
    'HTTP_GET',
    'SSL_GET',
    'TCP_CHECK',
    'SMTP_CHECK',
    'MISC_CHECK',
    'DNS_CHECK',
    'UDP_CHECK',
    'PING_CHECK',
    'FILE_CHECK',
    'BFD_CHECK',
  ],
  'virtual_server > real_server > HTTP_GET': ['url'],
  'virtual_server > real_server > SSL_GET': ['url'],
  'virtual_server > real_server > SMTP_CHECK': ['host'],
};

/** Keywords followed by a list of values (alloc_value_block): a missing `{` is only logged. */
const VALUE_BLOCKS: Readonly<Record<string, readonly string[]>> = {
  '': [
    'static_ipaddress',
    'static_routes',
    'static_rules',
    'linkbeat_interfaces',
    'interface_up_down_delays',
    'virtual_server_group',
  ],
  global_defs: ['notification_email'],
  track_group: ['group'],
  vrrp_sync_group: ['group', 'track_interface', 'track_script', 'track_file', 'track_process', 'track_bfd'],
  vrrp_instance: [
    'virtual_ipaddress',
    'virtual_ipaddress_excluded',
    'virtual_routes',
    'virtual_rules',
    'track_interface',
    'track_script',
    'track_file',
    'track_process',
    'track_bfd',
    'unicast_peer',
  ],
  garp_group: ['interfaces'],
};

export type BlockKind = 'keywords' | 'values';

/** Every keyword with a keyword table of its own, wherever it stands: its block is its own even when its
 * handler rejects it and reads no further. */
export const KEYWORD_TABLES: ReadonlySet<string> = new Set(Object.values(KEYWORD_BLOCKS).flat());

/** Every keyword that opens a block somewhere: a keyword table or a list of values. */
export const BLOCK_KEYWORDS: ReadonlySet<string> = new Set([
  ...KEYWORD_TABLES,
  ...Object.values(VALUE_BLOCKS).flat(),
]);

const KINDS = new Map<string, BlockKind>();
for (const [path, keywords] of Object.entries(KEYWORD_BLOCKS))
  for (const k of keywords) KINDS.set(`${path}\n${k}`, 'keywords');
for (const [path, keywords] of Object.entries(VALUE_BLOCKS))
  for (const k of keywords) KINDS.set(`${path}\n${k}`, 'values');

/** The kind of block `keyword` opens inside the blocks `path` (outermost first), if it opens one. */
export function blockKind(path: readonly string[], keyword: string): BlockKind | undefined {
  return KINDS.get(`${path.join(' > ')}\n${keyword}`);
}
