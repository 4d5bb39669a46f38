// A WAN in front of a TFTP server that notes the largest `room` the clients' sack
// ACKs offer (what a board lets be in flight: the cap on its rate per round trip).
import { WanEmulator } from '../../src/net/wan';
import { decode, Op } from '../../src/net/tftp/packet';

export interface RoomWatch {
  wan: WanEmulator;
  /** The largest room, in blocks, offered since the start or the last reset. */
  maxRoom(): number;
  reset(): void;
}

export async function watchRoom(origin: { address: string; port: number }, rttMs: number): Promise<RoomWatch> {
  let max = 0;
  const wan = new WanEmulator({
    listen: { address: '127.0.0.1', port: 0 }, origin, rate: 200e6, rttMs,
    filter: (dir, msg) => {
      const p = dir === 'up' ? decode(msg) : undefined;
      if (p?.op === Op.ACK && p.sack) max = Math.max(max, p.sack.room);
      return true;
    },
  });
  await wan.start();
  return { wan, maxRoom: () => max, reset: () => void (max = 0) };
}
