// The AgentX protocol's PDUs (RFC 2741 section 6) as plain data, with the protocol's numbers: PDU types,
// header flags, value types, error and close-reason codes. The codec (codec.ts) turns these into bytes and
// back. Pure.
import type { Oid, VarBind } from '../types.js';

/** h.version of every PDU (RFC 2741 6.1). */
export const AGENTX_VERSION = 1;
/** The fixed header: version, type, flags, reserved, sessionID, transactionID, packetID, payload_length. */
export const HEADER_LENGTH = 20;

/** h.type (RFC 2741 6.1). */
export const PDU_TYPE = {
  open: 1,
  close: 2,
  register: 3,
  unregister: 4,
  get: 5,
  getNext: 6,
  getBulk: 7,
  testSet: 8,
  commitSet: 9,
  undoSet: 10,
  cleanupSet: 11,
  notify: 12,
  ping: 13,
  indexAllocate: 14,
  indexDeallocate: 15,
  addAgentCaps: 16,
  removeAgentCaps: 17,
  response: 18,
} as const;

export type PduTypeName = keyof typeof PDU_TYPE;

/** h.flags bits (RFC 2741 6.1). */
export const FLAG = {
  instanceRegistration: 0x01,
  newIndex: 0x02,
  anyIndex: 0x04,
  nonDefaultContext: 0x08,
  networkByteOrder: 0x10,
} as const;

/** v.type of a varbind (RFC 2741 5.4). */
export const VALUE_TYPE = {
  integer: 2,
  octets: 4,
  null: 5,
  oid: 6,
  ipaddress: 64,
  counter32: 65,
  gauge32: 66,
  timeticks: 67,
  opaque: 68,
  counter64: 70,
  noSuchObject: 128,
  noSuchInstance: 129,
  endOfMibView: 130,
} as const;

/** res.error: AgentX's own errors (RFC 2741 6.2.16) and the SNMP errors a subagent may return. */
export const AGENTX_ERROR = {
  noError: 0,
  genErr: 5,
  noAccess: 6,
  wrongType: 7,
  notWritable: 17,
  openFailed: 256,
  notOpen: 257,
  indexWrongType: 258,
  indexAlreadyAllocated: 259,
  indexNoneAvailable: 260,
  indexNotAllocated: 261,
  unsupportedContext: 262,
  duplicateRegistration: 263,
  unknownRegistration: 264,
  unknownAgentCaps: 265,
  parseError: 266,
  requestDenied: 267,
  processingError: 268,
} as const;

/** c.reason of a Close-PDU (RFC 2741 6.2.2). */
export const CLOSE_REASON = {
  other: 1,
  parseError: 2,
  protocolError: 3,
  timeouts: 4,
  shutdown: 5,
  byManager: 6,
} as const;

/** A SearchRange (RFC 2741 5.2): from `start` (itself included when `include`) up to `end`, exclusive;
 * an empty `end` means no upper bound. */
export interface SearchRange {
  start: Oid;
  include: boolean;
  end: Oid;
}

/** What every PDU carries in its header; `context` is the optional non-default context (5.1). */
export interface PduHeader {
  sessionId: number;
  transactionId: number;
  packetId: number;
  /** Present when h.flags has NON_DEFAULT_CONTEXT, for the PDU types that may carry one. */
  context?: Uint8Array;
  /** INSTANCE_REGISTRATION, NEW_INDEX, ANY_INDEX as received or to send (byte order and context are the
   * codec's business). */
  flags?: number;
}

export type Pdu = PduHeader &
  (
    | { type: 'open'; timeout: number; id: Oid; descr: Uint8Array }
    | { type: 'close'; reason: number }
    | {
        type: 'register';
        timeout: number;
        priority: number;
        rangeSubid: number;
        subtree: Oid;
        upperBound?: number;
      }
    | { type: 'unregister'; priority: number; rangeSubid: number; subtree: Oid; upperBound?: number }
    | { type: 'get'; ranges: SearchRange[] }
    | { type: 'getNext'; ranges: SearchRange[] }
    | { type: 'getBulk'; nonRepeaters: number; maxRepetitions: number; ranges: SearchRange[] }
    | { type: 'testSet'; varbinds: VarBind[] }
    | { type: 'commitSet' }
    | { type: 'undoSet' }
    | { type: 'cleanupSet' }
    | { type: 'notify'; varbinds: VarBind[] }
    | { type: 'ping' }
    | { type: 'indexAllocate'; varbinds: VarBind[] }
    | { type: 'indexDeallocate'; varbinds: VarBind[] }
    | { type: 'addAgentCaps'; id: Oid; descr: Uint8Array }
    | { type: 'removeAgentCaps'; id: Oid }
    | { type: 'response'; sysUpTime: number; error: number; index: number; varbinds: VarBind[] }
  );

export type PduOf<T extends PduTypeName> = Extract<Pdu, { type: T }>;

/** The PDU types whose payload may start with a context: RFC 2741 6.1.1 names all but Open, Close, the
 * three Set phases after TestSet and Response; net-snmp's subagent also puts an (empty) one in its
 * Responses when it registered with one, so a Response may carry it too. */
export const MAY_HAVE_CONTEXT: ReadonlySet<PduTypeName> = new Set<PduTypeName>([
  'response',
  'register',
  'unregister',
  'get',
  'getNext',
  'getBulk',
  'testSet',
  'notify',
  'ping',
  'indexAllocate',
  'indexDeallocate',
  'addAgentCaps',
  'removeAgentCaps',
]);
