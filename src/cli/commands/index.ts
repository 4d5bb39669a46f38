import type { Command } from '../command';
import { tftpGetCommand } from './tftp-get';
import { tftpServeCommand } from './tftp-serve';
import { labCommand, labHostCommand } from './lab';
import { simCommand } from './sim';
import { keygenCommand } from './keygen';
import { packCommand } from './pack';
import { bootCommand } from './boot';
import { imageCommand } from './image';
import { treeCommand } from './tree';

/** Every sub-command, in the order `pfs --help` lists them. */
export const commands: readonly Command[] = [labCommand, bootCommand, treeCommand, simCommand, keygenCommand, packCommand, imageCommand, tftpGetCommand, tftpServeCommand, labHostCommand];
