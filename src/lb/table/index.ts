// The load-balancing table layer (pure): keepalived's virtual servers resolved from the config, the
// kernel table they call for, the state tracker that decides it, and the difference between two tables.
export * from './types.js';
export {
  resolveLbConfig,
  serviceNames,
  canonicalSchedFlags,
  WEIGHT_LIMIT,
  type FlushOnStop,
  type LbConfig,
  type LbModel,
  type LbRealServer,
  type LbSorryServer,
  type LbVirtualServer,
} from './resolve.js';
export {
  desiredTable,
  destinationId,
  serviceId,
  initialHealth,
  kernelWeight,
  type LbState,
  type ServerHealth,
} from './desired.js';
export { diffTables, sameDestination, sameServiceAttributes } from './diff.js';
export { applyChanges, ChangeRejected } from './apply.js';
export { VirtualServerTracker, type LbEffect, type ScriptEvent } from './tracker.js';
export { addressTrio, fwmarkName, groupMemberName, protocolWord } from './names.js';
