/**
 * Every `PFS_ERR_*` code the runtime raises, in one place: what it means to the
 * user or technician who meets it, what to do, and the exit code `pfs` ends with
 * when the error ends a command. `PfsError` takes its `code` from these keys, so a
 * code that is not listed here does not compile; docs/ERRORS.md is generated from
 * this table (`npm run docs:errors`) and test/errors/registry.test.ts keeps the
 * two, the throw sites and the tests in step.
 *
 * Exit codes follow what `pfs` did before the table existed: 2 for bad usage, 3
 * when `pfs boot` has no valid model (EXIT.NO_MODEL in src/boot/boot.ts), 1 for
 * every other failure (EXIT.FAILED).
 */
export interface ErrorCodeInfo {
  /** Process exit code of `pfs` when this error ends the command. */
  readonly exit: 1 | 2 | 3;
  /** What happened, in one line a technician can act on. */
  readonly meaning: string;
  /** What to do about it, in one line. */
  readonly action: string;
}

export const ERROR_CODES = {
  // --- the command line --------------------------------------------------------
  PFS_ERR_USAGE: {
    exit: 2,
    meaning: 'The command line is wrong: an unknown option, a missing argument, a value out of range.',
    action: 'Read the message and the usage printed with it, or run `pfs <command> --help`.',
  },
  PFS_ERR_LOG_LEVEL: {
    exit: 2,
    meaning: '`--log-level` names no known level.',
    action: 'Give one of err, wrn, not, inf, dbg.',
  },

  // --- the board: profiles, identity, configuration ----------------------------
  PFS_ERR_PROFILE: {
    exit: 1,
    meaning: 'A board or phone-model profile (boards/*.json, boards/models/*.json) is missing, unreadable or invalid.',
    action: 'Fix the file and field the message names; a profile\'s name must be its file\'s name.',
  },
  PFS_ERR_BOARD: {
    exit: 2,
    meaning: '`pfs boot` was given no --board, and neither the device tree (/proc/device-tree/model) nor board= in pfs.txt names a board file.',
    action: 'Give --board, or write board= into pfs.txt on the boot partition (pfs image does); the message lists the boards.',
  },
  PFS_ERR_MODEL: {
    exit: 3,
    meaning: 'No phone model is selected, or the one named is unknown: the board joins no hierarchy.',
    action: 'Set pfs.model= on the kernel command line, model= in pfs.txt, or --model, to one of the models the message lists.',
  },
  PFS_ERR_IDENTITY: {
    exit: 1,
    meaning: 'The board\'s MAC address is malformed, or its network interface has none.',
    action: 'Give the MAC with --mac or mac= in pfs.txt, or name the right interface in the board file.',
  },
  PFS_ERR_NETWORK: {
    exit: 1,
    meaning: 'The board file\'s network interface does not exist or has no IPv4 address.',
    action: 'Bring the interface up with an address, or give --addr and --broadcast.',
  },
  PFS_ERR_CONFIG: {
    exit: 1,
    meaning: 'A device configuration (cnf.xml) is malformed or names no load for this model, a HOST[:PORT] setting is malformed, or `pfs boot` has no TFTP server (no --server, no tftp= in pfs.txt).',
    action: 'Fix the file on the TFTP server or the setting the message names (docs/CONFIG.md).',
  },

  // --- the board's hardware -----------------------------------------------------
  PFS_ERR_NATIVE: {
    exit: 1,
    meaning: 'A back-end needs the native addon, which is not built or does not load on this machine.',
    action: 'Run `npm run build:native` and put the .node file beside pfs.cjs, or choose a back-end that needs no addon.',
  },
  PFS_ERR_CONSOLE: {
    exit: 1,
    meaning: 'The serial console named in the board file cannot be opened or set up.',
    action: 'Enable the serial port (enable_uart=1), run as root or in the dialout group, or set the console device to "-".',
  },
  PFS_ERR_DISPLAY: {
    exit: 1,
    meaning: 'The display back-end cannot open or drive its device, or the board file leaves out its device.',
    action: 'Check the board file\'s display section and the device (docs/DISPLAY.md); backend "none" runs without a screen.',
  },
  PFS_ERR_LED: {
    exit: 1,
    meaning: 'The LED back-end cannot drive its LED: not writable, not an LED, or the board file leaves out its path.',
    action: 'Run as root or give pfs the LED with a udev rule; check the board file\'s leds section (docs/LEDS.md).',
  },
  PFS_ERR_LED_MISSING: {
    exit: 1,
    meaning: 'The LED or GPIO chip the board file names does not exist on this board.',
    action: 'Name an LED listed in /sys/class/leds, or a /dev/gpiochipN that exists.',
  },

  // --- flash --------------------------------------------------------------------
  PFS_ERR_FLASH_CONFIG: {
    exit: 1,
    meaning: 'The board file\'s flash section cannot work: no such back-end, no A/B slots, or a device of the wrong kind.',
    action: 'Fix flash in the board file (docs/FLASH.md).',
  },
  PFS_ERR_FLASH_IO: {
    exit: 1,
    meaning: 'The flash medium failed: an open, read, write or erase failed, or a slot is full.',
    action: 'Check the device the message names (dmesg) and the slot size; the board keeps its current load.',
  },
  PFS_ERR_FLASH_WRITE: {
    exit: 1,
    meaning: 'A write to flash failed while a file was coming in; that file stops at once (the message names the device, file and offset).',
    action: 'Check the flash device (dmesg); the board keeps its current load and tries again at its next boot.',
  },
  PFS_ERR_FLASH_READBACK: {
    exit: 1,
    meaning: 'A component read back from flash before commit does not match its SHA-256, even after that part was fetched again: the load is not committed (the message names the file, block and device).',
    action: 'The flash does not keep what is written to it: check the device (dmesg, a bad block); the board keeps its current load.',
  },
  PFS_ERR_FLASH_STATE: {
    exit: 1,
    meaning: 'The flash\'s slot table is unreadable, or names a slot that holds no complete load (changed by hand).',
    action: 'Restore the slots as they were, or re-image the board.',
  },
  PFS_ERR_FLASH_INCOMPLETE: {
    exit: 1,
    meaning: 'A load was to be committed with a component missing or short on flash; nothing changed.',
    action: 'Run the upgrade again; if it recurs, look for a flash error before it in the log.',
  },
  PFS_ERR_FLASH_SEQUENCE: {
    exit: 1,
    meaning: 'Flash was used out of order (a write before beginInstall, a commit of another load): a program error.',
    action: 'Report it as a bug, with the log.',
  },
  PFS_ERR_FLASH_NAME: {
    exit: 1,
    meaning: 'A load or component name is not a plain file name, or is one flash keeps for itself.',
    action: 'Rename the load or component (letters, digits, . _ + -).',
  },
  PFS_ERR_FLASH_NO_PREVIOUS: {
    exit: 1,
    meaning: 'A rollback was asked for, but flash holds no complete previous load.',
    action: 'Nothing to roll back to: install a load instead.',
  },

  // --- loads: keys, manifests, packing -------------------------------------------
  PFS_ERR_KEY: {
    exit: 1,
    meaning: 'A signing key or a key in trust/ cannot be used: missing, unreadable, not Ed25519, a private key in trust/, or a key file that exists already.',
    action: 'Make keys with `pfs keygen`; put only .pub.pem files in the board\'s trust/.',
  },
  PFS_ERR_MANIFEST_UNSIGNED: {
    exit: 1,
    meaning: 'A .loads manifest carries no signature: refused.',
    action: 'Sign the load with `pfs pack`.',
  },
  PFS_ERR_MANIFEST_SIGNATURE: {
    exit: 1,
    meaning: 'A .loads manifest\'s signature is malformed, by a key not in trust/, or does not match (changed after signing).',
    action: 'Pack the load again with a trusted key, or add that key\'s .pub.pem to the board\'s trust/.',
  },
  PFS_ERR_MANIFEST_MALFORMED: {
    exit: 1,
    meaning: 'A correctly signed manifest is not a valid pfs-load/1 manifest.',
    action: 'Pack the load again with this version of `pfs pack`.',
  },
  PFS_ERR_MANIFEST_MISMATCH: {
    exit: 1,
    meaning: 'The manifest is for another model or load than the configuration names.',
    action: 'Fix <loadInformation> in the cnf.xml, or put the right .loads file on the TFTP server.',
  },
  PFS_ERR_PACK: {
    exit: 2,
    meaning: '`pfs pack` refused its input: a bad load or model name, a model with no profile, a load name outside the model family, no files, a missing file, a name twice, a bad block size; or it would replace what another load in the output folder needs (its manifest, a component with other content).',
    action: 'Fix the argument the message names; give a second model its own load name; --force replaces on purpose.',
  },
  PFS_ERR_PACK_IO: {
    exit: 1,
    meaning: '`pfs pack` could not read a component or write into the output folder.',
    action: 'Check that the output folder can be written and has room, and that every component can be read.',
  },

  // --- TFTP -----------------------------------------------------------------------
  PFS_ERR_TFTP_REMOTE: {
    exit: 1,
    meaning: 'The TFTP server refused the request (file not found, access denied, …) with an ERROR packet.',
    action: 'Check that the file is on the server under that name; the message quotes the server\'s reason.',
  },
  PFS_ERR_TFTP_TIMEOUT: {
    exit: 1,
    meaning: 'The TFTP server stopped answering, or the transfer ran past its deadline.',
    action: 'Check that the server is up and reachable (UDP 69 and the reply ports through firewalls); raise --timeout or --deadline on a slow link.',
  },
  PFS_ERR_TFTP_PROTOCOL: {
    exit: 1,
    meaning: 'The TFTP peer broke the protocol (a bad option answer, a wrong block size, more bytes than announced), or sent more than the receiver takes.',
    action: 'Try without options (--blksize 512 --windowsize 1) or another server; report it with a packet capture.',
  },
  PFS_ERR_TFTP_ABORTED: {
    exit: 1,
    meaning: 'A TFTP transfer was stopped by its caller (cancelled, or what consumed it stopped).',
    action: 'Usually the result of another error: read the one logged before it.',
  },
  PFS_ERR_TFTP_PATH: {
    exit: 1,
    meaning: 'The TFTP server refused a request: a path outside its folder, not a regular file, or a file that is not there.',
    action: 'Ask for a file inside the served folder, by its name relative to it.',
  },
  PFS_ERR_TFTP_OPTION: {
    exit: 2,
    meaning: 'A TFTP client option is out of range (port, blksize or windowsize).',
    action: 'Give a value within the range the message states.',
  },
  PFS_ERR_TFTP_NETWORK: {
    exit: 1,
    meaning: 'A TFTP socket cannot be used: the server\'s name does not resolve, the port cannot be bound, or the network refuses the datagram.',
    action: 'Check the host name, the network and routes; for a server, pick a free port or stop what holds it.',
  },
  // --- HTTP load server ---------------------------------------------------------------
  PFS_ERR_HTTP_STATUS: {
    exit: 1,
    meaning: 'The HTTP load server answered a file request with an error status (404 not found, 403, 5xx after retries). The root then takes the file over TFTP.',
    action: 'Check that the load is on the HTTP server (CUCM: port 6970) under the name the message gives, or drop <loadServerHttp> / --http.',
  },
  PFS_ERR_HTTP_TIMEOUT: {
    exit: 1,
    meaning: 'The HTTP load server sent no byte for the time allowed (connect, answer or body), again after every resume by range.',
    action: 'Check that the server is up and reachable on its TCP port; the root falls back to TFTP meanwhile.',
  },
  PFS_ERR_HTTP_NETWORK: {
    exit: 1,
    meaning: 'The HTTP load server cannot be reached or kept cutting the connection (refused, reset, closed early) without progress, after every resume by range.',
    action: 'Check the host, port and firewalls between the board and the server; the root falls back to TFTP meanwhile.',
  },
  PFS_ERR_HTTP_PROTOCOL: {
    exit: 1,
    meaning: 'The HTTP load server answered a range request with something unusable: a Content-Range that starts elsewhere, a size other than the file\'s, more bytes than announced.',
    action: 'Check the server (or a proxy in the way) and that the file on it is the one the load was packed with.',
  },
  PFS_ERR_HTTP_ABORTED: {
    exit: 1,
    meaning: 'An HTTP download was stopped by its caller (the board gave the file up or moved it to another source).',
    action: 'Usually the result of another error: read the one logged before it.',
  },
  PFS_ERR_OUTPUT: {
    exit: 1,
    meaning: 'A downloaded file cannot be written where it was asked to go.',
    action: 'Check that the output folder exists, can be written and has room.',
  },

  // --- peer sharing and the upgrade -------------------------------------------------
  PFS_ERR_PEER_PORT: {
    exit: 1,
    meaning: 'The peer port (UDP and TCP 4051 unless told otherwise) cannot be bound: another program holds it, or the address is not this board\'s. `pfs boot` then upgrades by plain TFTP from the server and logs this code once.',
    action: 'Stop the other program (a second pfs?), or give --peer-port or peer_port= in pfs.txt; check --addr.',
  },
  PFS_ERR_BLOCK_CORRUPT: {
    exit: 1,
    meaning: 'A block from a peer failed its SHA-256: the board leaves that peer and takes the block elsewhere.',
    action: 'Nothing if the upgrade goes on; if it recurs, check the named peer\'s flash and memory.',
  },
  PFS_ERR_ORIGIN_CORRUPT: {
    exit: 1,
    meaning: 'Blocks from the TFTP origin failed their SHA-256 again and again: the server\'s copy is not the one the load was signed with.',
    action: 'Copy the load (the output of `pfs pack`) onto the TFTP server again.',
  },
  PFS_ERR_RUNTIME: {
    exit: 1,
    meaning: 'The pfs runtime the active load carries (pfs-linux-<CPU>) could not be copied out of its slot or started.',
    action: 'The launcher counts it as a failed boot: a load on trial is rolled back after the board file\'s number of them. Check the board\'s tmp folder (room, not mounted noexec) and that the runtime is for the board\'s CPU.',
  },
  PFS_ERR_UPGRADE: {
    exit: 1,
    meaning: 'The upgrade failed for a reason without a code of its own; the board keeps its current load.',
    action: 'Read the message; the board tries again at its next boot.',
  },
  PFS_ERR_UPGRADE_TIMEOUT: {
    exit: 1,
    meaning: 'The upgrade did not finish within its time (--upgrade-timeout); the board keeps its current load.',
    action: 'Check the network to the peers and the TFTP server; raise --upgrade-timeout on a slow WAN.',
  },

  // --- pfs image: a board's SD card image -------------------------------------------
  PFS_ERR_IMAGE_ACCESS: {
    exit: 1,
    meaning: '`pfs image` cannot write the image file: missing, not a regular file, or read-only. Nothing was changed.',
    action: 'Give the path of a writable image file (chmod u+w), not a device.',
  },
  PFS_ERR_IMAGE_FORMAT: {
    exit: 1,
    meaning: '`pfs image` was given an image that is not MBR with a FAT boot partition and an ext4 root, or whose files are in the way. Nothing was changed.',
    action: 'Use a Raspberry Pi OS image (docs/INSTALL.md); the message names what is missing or in the way.',
  },
  PFS_ERR_IMAGE_SPACE: {
    exit: 1,
    meaning: '`pfs image` found the image too small: shorter than its partition table (truncated), or without room for what pfs writes. Nothing was changed.',
    action: 'Grow the image and its partition (truncate, then parted/resize2fs), or copy the whole image again.',
  },
  PFS_ERR_IMAGE_EXE: {
    exit: 1,
    meaning: '`pfs image` has no executable for the board\'s CPU: none built, or the one given is for another CPU. Nothing was changed.',
    action: 'Run `npm run release`, or give --exe dist/release/pfs-linux-<arch> for the CPU the message names.',
  },
  PFS_ERR_IMAGE_MODEL: {
    exit: 2,
    meaning: '`pfs image` was asked for a phone model that does not take part in Peer Firmware Sharing (the 7940, the 7960). Nothing was changed.',
    action: 'Give a PFS model (`pfs image --help` lists the boards; boards/models/ the models).',
  },
  PFS_ERR_IMAGE_BOARD: {
    exit: 2,
    meaning: '`pfs image` cannot write this board: its files are not on an SD card image (the sim board), or its flash slots are partitions. Nothing was changed.',
    action: 'Give a Raspberry Pi board (rpi4, rpi3, rpi-zero2w), or set the board up by hand (docs/INSTALL.md).',
  },
  PFS_ERR_IMAGE_TOOL: {
    exit: 1,
    meaning: '`pfs image` lacks a program it writes with (mtools for FAT, debugfs for ext4), or that program failed on the image.',
    action: 'Install Debian\'s mtools and e2fsprogs; if it failed, the message quotes the program: check the image with fsck.',
  },

  // --- the lab ------------------------------------------------------------------------
  PFS_ERR_LAB: {
    exit: 1,
    meaning: '`pfs lab` cannot run with these options or on this machine, or one of its boards failed.',
    action: 'Read the message; the board\'s log in the lab folder (--keep) tells why it failed.',
  },
  PFS_ERR_NETNS: {
    exit: 1,
    meaning: 'The namespace lab cannot build its subnet here (it needs root and iproute2), or was given bad options.',
    action: 'Run it as root with iproute2 installed, or leave out --netns (docs/LAB.md).',
  },
} as const satisfies Record<`PFS_ERR_${string}`, ErrorCodeInfo>;

/** A registered code: the only values `PfsError.code` takes. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** True when `text` is a registered code. */
export function isErrorCode(text: string): text is ErrorCode {
  return Object.hasOwn(ERROR_CODES, text);
}

/** The exit code `pfs` ends with when an error with `code` ends a command. */
export function exitCodeOf(code: ErrorCode): number {
  return ERROR_CODES[code].exit;
}
