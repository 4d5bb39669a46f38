// Moved to src/io/iovec.ts (the bottom layer, beside writeAll); this re-export is
// here until src/net/peer/spool.ts imports it from there.
export { skipBytes } from '../io/iovec';
