/** The figures every fleet run reports, whether real sockets (lab) or simulated. */
export interface FleetSummary {
  boards: number;
  mode: 'pfs' | 'tftp';
  forward: 'cut' | 'store';
  files: number;
  /** Bytes of the firmware set (one model's). */
  fileBytes: number;
  /** Bytes the origin sent over the WAN (payload, retransmissions included). */
  originBytes: number;
  /** Seconds from the mass reset until the last board had every file verified. */
  fleetSeconds: number;
  /** Total size / WAN rate + RTT: no fleet can finish sooner. */
  limitSeconds: number;
  allVerified: boolean;
  /** Deepest position seen (hops below the root, root = 0). */
  maxDepth: number;
  /** Most children one board served at once for one file. */
  maxChildren: number;
}
