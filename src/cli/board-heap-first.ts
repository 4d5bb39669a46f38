// Imported first by bin.ts, so that it runs before the rest of pfs is evaluated: a board
// process takes its heap before loading pfs makes V8 collect its young generation. Set
// later (once the command was found, or a lab host's boards were handed to it), the
// nursery had sometimes grown already: a one-board lab host on a CI machine measured
// 4 MiB of young generation where a board keeps 2 (--semi-space-growth-factor only
// stops growth from the moment it is set).
import { useBoardHeap } from '../boot/board-heap';
import { isBoardProcess } from './board-process';

if (isBoardProcess(process.argv.slice(2))) useBoardHeap();
