import type { Command } from '../command';
import { tftpGetCommand } from './tftp-get';
import { tftpServeCommand } from './tftp-serve';

/** Every sub-command, in the order `pfs --help` lists them. */
export const commands: readonly Command[] = [tftpGetCommand, tftpServeCommand];
