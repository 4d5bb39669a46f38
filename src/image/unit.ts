// The systemd unit that runs pfs at power-on, and the paths of what enables it.
import { EXIT } from '../boot/boot';
import { BOARD_ENVIRONMENT } from '../boot/board-environment';

/** Where the unit and its links go on the root file system. */
export const UNIT_DIR = '/etc/systemd/system';
export const UNIT_NAME = 'pfs.service';
export const UNIT_PATH = `${UNIT_DIR}/${UNIT_NAME}`;
/** `systemctl enable` would make this link (the unit's WantedBy=multi-user.target). */
export const WANTS_LINK = `${UNIT_DIR}/multi-user.target.wants/${UNIT_NAME}`;

/** Longest wait between two restarts after failures, in seconds. */
export const BACKOFF_MAX_S = 300;
/** First wait after a failure, in seconds; doubled at each failure that follows. */
export const BACKOFF_FIRST_S = 5;

/**
 * The text of pfs.service for an executable at `exe`. How it acts on each exit code is
 * the table in docs/INSTALL.md; keep the two in step.
 */
export function unitText(exe: string): string {
  // systemd 252 (Debian 12, Raspberry Pi OS bookworm) has no RestartSteps=, so the
  // back-off is a wait before each automatic restart, by the unit's own restart count.
  const n = '$${n:-0}'; // systemd reads $$ as one $: the shell sees ${n:-0}
  const backoff = [
    `n=$$(systemctl show -P NRestarts ${UNIT_NAME}); d=${BACKOFF_FIRST_S}`,
    `while [ "${n}" -gt 1 ] && [ "$$d" -lt ${BACKOFF_MAX_S} ]; do d=$$((d * 2)); n=$$((n - 1)); done`,
    `[ "${n}" -gt 0 ] || exit 0`,
    `[ "$$d" -le ${BACKOFF_MAX_S} ] || d=${BACKOFF_MAX_S}`,
    'echo "pfs: restarting after a failure in $$d s"',
    'sleep "$$d"',
  ].join('; ');
  return `# pfs: Peer Firmware Sharing at power-on. Written by \`pfs image\`; what each exit
# code does is the table in docs/INSTALL.md.
[Unit]
Description=pfs: take this board's firmware from its peers or TFTP server
Wants=network-online.target
After=network-online.target
# Restarts after failures never stop (the wait grows instead): a board keeps trying.
StartLimitIntervalSec=0

[Service]
Type=exec
# Every start of pfs boot is one boot of the active flash slot: pfs counts the boots of
# a load on trial and falls back to the other slot after the board file's number of
# them. The unit leaves that to pfs: no start limit, no reset of the count.
# This pfs is the launcher too: when the active load carries pfs itself (pfs-linux-<CPU>),
# it counts the boot, then runs that one with the same arguments and ends as it ends
# (docs/INSTALL.md, "Rolling back"); stopping the unit stops both (KillMode=control-group).
ExecStartPre=/bin/sh -c '${backoff}'
# What pfs cannot set for itself once it runs (src/boot/board-environment.ts).
${Object.entries(BOARD_ENVIRONMENT)
  .map(([k, v]) => `Environment=${k}=${v}`)
  .join('\n')}
ExecStart=${exe} boot
# ${EXIT.CURRENT}: up to date, nothing to do until the next power-on.
# ${EXIT.REBOOT}: a new load is committed: reboot into it (counted as success, not restarted).
SuccessExitStatus=${EXIT.REBOOT}
ExecStopPost=/bin/sh -c 'if [ "$$EXIT_STATUS" = ${EXIT.REBOOT} ]; then exec systemctl --no-block reboot; fi'
# 2 (bad usage) and ${EXIT.NO_MODEL} (no valid model): a restart cannot help; the unit stays failed.
RestartPreventExitStatus=2 ${EXIT.NO_MODEL}
# ${EXIT.FAILED} (upgrade failed, current load kept), 70 (internal error), a signal: restart.
Restart=on-failure
RestartSec=1s
TimeoutStartSec=${BACKOFF_MAX_S + 60}s

[Install]
WantedBy=multi-user.target
`;
}
