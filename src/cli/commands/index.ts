import type { Command } from '../command';
import { tftpGetCommand } from './tftp-get';
import { tftpServeCommand } from './tftp-serve';
import { labCommand, labHostCommand } from './lab';
import { simCommand } from './sim';

/** Every sub-command, in the order `pfs --help` lists them. */
export const commands: readonly Command[] = [labCommand, simCommand, tftpGetCommand, tftpServeCommand, labHostCommand];
