// Node built-ins a board needs only now and then, loaded on first use. The bundle is
// CommonJS from rollup, which requires every statically imported built-in at start:
// `http` (an HTTP load server, the tree's status page, the lab) and `child_process`
// (a runtime slot's handover, the lab, `pfs image`) were loaded by every board and
// every command. Loaded when used: `pfs --version` peaks at 46.9 MiB instead of 48.1,
// and a board reaches its first console line about 2 ms sooner.

export const http = () => process.getBuiltinModule('node:http');
export const childProcess = () => process.getBuiltinModule('node:child_process');
