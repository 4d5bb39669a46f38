// Public surface of the DLoad core (sans-IO). The real-socket shell lives in src/net.
export { DLoadNode, type NodeCounters } from './node';
export { FileSession, compareRank, type Rank, type Role, type SessionStats } from './session';
export { Tracker, MAX_CHILDREN, type Placement } from './tracker';
export { hierarchyKey, shortKey, xid, type HierKey } from './key';
export { blockCount, blockHashes, blockLength, verifyBlock, DEFAULT_BLOCK_BYTES } from './integrity';
export { decode, encode, STREAM_STATUS, WIRE_VERSION, type Datagram, type Malformed, type Message, type StreamRequest, type StreamResponse } from './wire';
export { ANY_KEY, STATUS_ENTRIES, type RootAdvert, STATUS_ROLES, type StatusEntry, type StatusFailure, type StatusQuery, type StatusReply, type StatusRole } from './wire';
export { StatusLimiter, statusReply, STATUS_PER_NODE, STATUS_PER_SENDER } from './status';
export { fileView, type FileView } from './file-view';
export * from './types';
