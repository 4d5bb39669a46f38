import type { Level } from '../log/level';
import type { HierKey } from './key';

/** A UDP or TCP address. IPv4 only on the wire (see docs/PROTOCOL.md). */
export interface Endpoint {
  readonly addr: string;
  readonly port: number;
}

/** One file this board wants, as its caller knows it (from the load list / manifest). */
export interface FileSpec {
  /** TFTP path, e.g. `/dnld/SCCP41.9-4-2SR2-2S.loads`. */
  readonly name: string;
  /** Expected size in bytes. */
  readonly size: number;
  /** Size of the blocks the caller has a SHA-256 for (64 KiB by default). */
  readonly blockBytes: number;
  /** Blocks already on flash and verified (resume after a reboot); default 0. */
  readonly verifiedBlocks?: number;
  /**
   * Fast election only: the root of the hierarchy this file was named in (the load's
   * manifest), as this board knew it when the file was added. That board takes this
   * file too without an election, and the others join it at once (see InheritedRoot
   * in docs/PROTOCOL.md); absent, the file is elected as usual.
   */
  readonly inherit?: InheritedRoot;
}

/** Who was root of the file that named this one: this board (`self`) or a peer. */
export type InheritedRoot =
  | { readonly self: true; readonly from: string }
  | { readonly self: false; readonly from: string; readonly id: number; readonly udp: Endpoint; readonly tcpPort: number };

// ---- Events: what the shell tells the core -------------------------------------------

/** The next block (index = verified count so far) arrived from the parent or origin and its hash matched. Written to flash. */
export interface BlockVerified { readonly type: 'BlockVerified'; readonly key: HierKey; readonly index: number }
/** A block from the parent (or origin) failed its hash. It was not written nor forwarded. */
export interface BlockCorrupt { readonly type: 'BlockCorrupt'; readonly key: HierKey; readonly index: number }
/** The TCP connection to the parent failed, was refused (StreamResponse BUSY / UNKNOWN_KEY) or went silent. */
export interface ParentLost { readonly type: 'ParentLost'; readonly key: HierKey; readonly refused: boolean }
/** A child connected and sent its StreamRequest (childId = the header's sender). */
export interface ChildConnected { readonly type: 'ChildConnected'; readonly key: HierKey; readonly childId: number; readonly fromOffset: number }
/** A child's connection ended. `complete`: the whole file had been sent to it. */
export interface ChildGone { readonly type: 'ChildGone'; readonly key: HierKey; readonly childId: number; readonly complete: boolean }
/** The origin (TFTP) fetch failed; the root retries from its verified offset after a pause. */
export interface OriginFailed { readonly type: 'OriginFailed'; readonly key: HierKey; readonly reason: string }
/**
 * The shell cannot go on with this file (e.g. flash refused a write): the session
 * gives it up at once (FileFailed with this code and reason).
 */
export interface LocalFailure { readonly type: 'LocalFailure'; readonly key: HierKey; readonly code: FileFailureCode; readonly reason: string }

export type DLoadEvent = BlockVerified | BlockCorrupt | ParentLost | ChildConnected | ChildGone | OriginFailed | LocalFailure;

/** Why a board gave a file up (see docs/ERRORS.md). */
export type FileFailureCode = 'PFS_ERR_ORIGIN_CORRUPT' | 'PFS_ERR_FLASH_WRITE';

// ---- Actions: what the core asks the shell to do -------------------------------------

/** Send `bytes` to the subnet broadcast address on the peer UDP port. */
export interface SendBroadcast { readonly type: 'SendBroadcast'; readonly bytes: Buffer }
/** Send `bytes` to one board (UDP). */
export interface SendUnicast { readonly type: 'SendUnicast'; readonly to: Endpoint; readonly bytes: Buffer }
/**
 * Open TCP to the parent, write StreamRequest{key, fromOffset}, then verify and
 * report each block (BlockVerified / BlockCorrupt). Replaces any current parent connection.
 */
export interface ConnectParent {
  readonly type: 'ConnectParent'; readonly key: HierKey; readonly parentId: number;
  readonly parent: Endpoint; readonly fromOffset: number; readonly depth: number;
}
/** Close the parent connection (moving to another parent, yielding, done, or after a corrupt block). */
export interface DisconnectParent { readonly type: 'DisconnectParent'; readonly key: HierKey }
/** Root only: fetch `file` from the TFTP origin starting at `fromOffset` and report blocks. */
export interface FetchOrigin { readonly type: 'FetchOrigin'; readonly key: HierKey; readonly file: string; readonly fromOffset: number }
/**
 * A claimant likely to win: open the origin transfer (request and option
 * negotiation) without taking data yet, so FetchOrigin starts at once.
 */
export interface PrepareOrigin { readonly type: 'PrepareOrigin'; readonly key: HierKey; readonly file: string; readonly fromOffset: number }
/**
 * A claimant, with its claim (`openOriginWithClaim`): send the origin request and
 * negotiate options now, so their round trip runs through the first advert period;
 * take no byte of the file, not even a small one ahead, before PrepareOrigin. A claim
 * given up at once costs the origin a request and its option answer, no data.
 */
export interface OpenOrigin { readonly type: 'OpenOrigin'; readonly key: HierKey; readonly file: string; readonly fromOffset: number }
/** Stop the origin fetch, or drop a prepared one (this board yielded to another root). */
export interface StopOrigin { readonly type: 'StopOrigin'; readonly key: HierKey }
/**
 * Answer the child with StreamResponse OK and stream the file to it from
 * `fromOffset`: first from flash (the spool), then live, never beyond `releasedBlocks`
 * (see Release). A slow child must not stall its sibling.
 */
export interface ServeChild { readonly type: 'ServeChild'; readonly key: HierKey; readonly childId: number; readonly fromOffset: number }
/** Answer the child with this StreamResponse status and close. */
export interface RejectChild { readonly type: 'RejectChild'; readonly key: HierKey; readonly childId: number; readonly status: number }
/**
 * Blocks `0 .. blocks-1` may now be sent to children. With forward 'cut' this follows
 * every verified block; with 'store' it comes once, when the file is complete.
 * A child stream whose cursor is below `blocks` gets the next block now.
 */
export interface Release { readonly type: 'Release'; readonly key: HierKey; readonly blocks: number }
/** Every block verified: the file is on flash (the shell may now install it). */
export interface FileComplete { readonly type: 'FileComplete'; readonly key: HierKey; readonly file: string }
/**
 * This board gives the file up (the origin's copy fails its hashes again and again, or
 * the shell reported a LocalFailure): stop the source, close every child stream of the
 * file. The session takes no further part in the hierarchy: a root stops advertising, so
 * its members elect another, which must see the failure for itself.
 */
export interface FileFailed { readonly type: 'FileFailed'; readonly key: HierKey; readonly file: string; readonly code: FileFailureCode; readonly reason: string }
/** Complete and no child left: the board may leave this hierarchy. */
export interface MayLeave { readonly type: 'MayLeave'; readonly key: HierKey }
/** A console line; the shell prints it with module name `DLoad`. */
export interface Log { readonly type: 'Log'; readonly level: Level; readonly text: string }

export type DLoadAction =
  | SendBroadcast | SendUnicast | ConnectParent | DisconnectParent | OpenOrigin | PrepareOrigin | FetchOrigin | StopOrigin
  | ServeChild | RejectChild | Release | FileComplete | FileFailed | MayLeave | Log;

/** Timer values in milliseconds (docs/PROTOCOL.md explains each). */
export interface Timers {
  /** Longest random wait before a board claims root (listening for an existing root or a stronger claim). */
  claimBackoffMs: number;
  /** Interval between tentative adverts (Ad 1..4). */
  advertMs: number;
  /** Tentative adverts without a stronger claim before confirming. */
  adverts: number;
  /** A confirmed root re-advertises this often. */
  rootAdvertMs: number;
  /** Minimum gap between a root's extra answers to tentative claims. */
  rootAnswerMs: number;
  /** A board that stopped claiming waits this long for the stronger claimant to confirm. */
  waitRootMs: number;
  /** An unplaced member resends JoinRequest/Orphaned after this (plus jitter up to 50 %). */
  joinRetryMs: number;
  /** Root unheard for this long, while this board has no working parent: the root is dead, elect. */
  rootSilenceMs: number;
  /** Pause before retrying a failed origin fetch. */
  originRetryMs: number;
  /**
   * A board that elected itself because its root went silent waits this long, as a
   * confirmed root, before it takes the file from the origin: long enough to hear
   * the old root if only its adverts were lost.
   */
  reelectHoldMs: number;
  /**
   * A root that has the whole file and no children stays this long after its last
   * member report before it may leave: boards still on their way (a late reset, a
   * slower manifest) find it instead of fetching the file from the origin again.
   */
  rootLingerMs: number;
  /**
   * A complete root whose tracker still holds members that have not said Leaving (or
   * died) stays this long after its last member report instead: a member frozen or
   * starved past the others' reboots finds it when it wakes, not an empty subnet.
   */
  rootStayMs: number;
  /**
   * A member whose parent sent no verified block for this long drops it and reports it
   * (Orphaned): a parent frozen or stalling with its socket open. Forward 'cut' only
   * (with 'store' a parent sends nothing until it holds the whole file).
   */
  stallMs: number;
  /** A member whose report went unanswered this long, while it still hears its root, leaves that root. */
  unansweredMs: number;
  /** A member leaves its root after this many parents in a row failed it (lost, stalled, corrupt) with no verified block between. */
  parentFailures: number;
  /** How long a board ignores a root it left (corrupt blocks, no answers, failing parents); doubled each time it leaves the same one again. */
  shunMs: number;
  /** How long the tracker believes a BadParent (doubled for each verdict against the same board, at most 8x). */
  badParentMs: number;
  /** After this tentative advert (1..adverts) a claimant prepares the origin transfer; 0: never. */
  prepareOriginAtAd: number;
  /**
   * A claimant opens the origin transfer with its claim (OpenOrigin: the request and
   * its options, no data), one advert period before PrepareOrigin, which may then
   * take a small file ahead as soon as the options' answer is in.
   */
  openOriginWithClaim: boolean;
  /**
   * After this tentative advert a claimant starts taking data, ahead of confirming;
   * 0 (the default): only once confirmed. An early start saves one advert period but
   * can pull part of a copy that no root change forced (a partition healing just
   * before the claimant confirms), which breaks "one WAN copy per model".
   */
  startOriginAtAd: number;
  /**
   * A root confirmed by a fresh election (not after a silent root) waits
   * `dataHoldMs × (1 − strength/2³²)` before it takes data from the origin, advertising
   * as root meanwhile: the fleet's likely winner (the strongest of N boards, about
   * 1/(N+1) of this) starts at once, while a board that confirmed itself by mistake
   * (a root busy or adverts lost, weaker in all likelihood) hears the real root and
   * yields before it pulls a byte. 0: at once (the phone's election).
   */
  dataHoldMs: number;
}

/**
 * How a board elects the root of a file (docs/PROTOCOL.md, Election):
 * - `fast` (the default): strength is a preference every board can compute
 *   (SHA-256 of the key and the node id), the claim confirms after two adverts 100 ms
 *   apart, and the root starts pulling after a hold that shrinks with its preference.
 * - `phone`: the phone's exact timing: a random strength, four adverts 250 ms apart, then confirm.
 */
export type Election = 'fast' | 'phone';

export const ELECTIONS: readonly Election[] = ['fast', 'phone'];

/** The phone's election: four adverts 250 ms apart, then confirm; data as soon as confirmed. */
export const PHONE_TIMERS: Timers = {
  claimBackoffMs: 250,
  advertMs: 250,
  adverts: 4,
  rootAdvertMs: 1000,
  rootAnswerMs: 200,
  waitRootMs: 2000,
  joinRetryMs: 500,
  rootSilenceMs: 2500,
  originRetryMs: 1000,
  reelectHoldMs: 3000,
  rootLingerMs: 5000,
  rootStayMs: 60_000,
  prepareOriginAtAd: 2,
  openOriginWithClaim: false,
  startOriginAtAd: 0,
  dataHoldMs: 0,
  stallMs: 5000,
  unansweredMs: 5000,
  parentFailures: 4,
  shunMs: 60_000,
  badParentMs: 30_000,
};

/** The fast election (the default): confirmed about 300 ms after the claim, origin prepared at Ad 1. */
export const FAST_TIMERS: Timers = {
  ...PHONE_TIMERS,
  advertMs: 100,
  adverts: 2,
  // Not with the claim itself: two boards claiming together hear each other within an
  // advert period, and the weaker one then has sent no request (with the claim, each
  // took the manifest ahead: one extra manifest in 1 of 3 runs of the 64-board lab,
  // for no time measurable in the lab or the fleet).
  prepareOriginAtAd: 1,
  // The request itself may go with the claim: it carries no data, and its answer
  // comes after Ad 1, when a small file (the manifest) may be taken ahead.
  openOriginWithClaim: true,
  dataHoldMs: 1000,
  claimBackoffMs: 1000,
  rootAdvertMs: 500,
  // A re-election after a silent root is as slow as the phone's on purpose: the time
  // the fast claim saves goes into the hold, so a root that was only unheard has as
  // long to reappear before a second WAN copy starts.
  reelectHoldMs: 4000,
};

/** The default timers: the fast election's. */
export const DEFAULT_TIMERS: Timers = FAST_TIMERS;

/** The timers of an election mode (before a caller's own overrides). */
export function electionTimers(election: Election = 'fast'): Timers {
  return election === 'phone' ? PHONE_TIMERS : FAST_TIMERS;
}

export interface NodeConfig {
  /** This board's XID (u32), unique on the subnet, e.g. the low 4 bytes of its MAC. */
  readonly nodeId: number;
  /** Phone model profile selected at boot, e.g. `CP-7961G`. */
  readonly model: string;
  /** Port this board serves children on (TCP). 4051 on a real subnet. */
  readonly tcpPort: number;
  /** This board's address, for the HROOT console line only. */
  readonly addr?: string;
  /** 'cut' (default): forward each block once verified; 'store': only once the file is complete. */
  readonly forward?: 'cut' | 'store';
  /**
   * Corrupt blocks from the origin itself before the board gives the file up
   * (PFS_ERR_ORIGIN_CORRUPT): its copy is not the one the load was signed with. Default 3.
   */
  readonly originCorruptLimit?: number;
  /** Uniform [0, 1) source; seeded in the simulator, crypto-backed on a board. */
  readonly random: () => number;
  /** `fast` (default) or `phone` (the phone's exact election): see Election. */
  readonly election?: Election;
  readonly timers?: Partial<Timers>;
}
