import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/**
 * Opens `path` to read and write at chosen positions: created if missing, never
 * truncated. None of Node's string flags says that ('r+' needs the file, 'w'
 * truncates it, 'a' forces every write to the end), and creating it first with 'a'
 * was two more round trips to the thread pool for every file a download writes.
 */
export function openForWrite(path: string): Promise<FileHandle> {
  return open(path, constants.O_RDWR | constants.O_CREAT, 0o666);
}
