import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DLoadNode } from '../../src/dload/node';
import { hierarchyKey, preference } from '../../src/dload/key';
import { compareRank } from '../../src/dload/session';
import { decode, encode, type RootAdvert } from '../../src/dload/wire';
import { ELECTIONS, FAST_TIMERS, type DLoadAction, type Endpoint } from '../../src/dload/types';
import { simulate } from '../../src/sim/simulate';

const FILE = { name: '/dnld/SCCP41.9-4-2SR2-2S.loads', size: 8 << 20, blockBytes: 65536 };
const KEY = hierarchyKey('CP-7961G', FILE.name);

function drive(node: DLoadNode, untilMs: number): { t: number; a: DLoadAction }[] {
  const out: { t: number; a: DLoadAction }[] = [];
  for (let t = node.nextDeadline(); t <= untilMs; t = node.nextDeadline()) {
    for (const a of node.tick(t)) out.push({ t, a });
  }
  return out;
}

const texts = (acts: { a: DLoadAction }[]) => acts.flatMap((x) => (x.a.type === 'Log' ? [x.a.text] : []));

test('phone: a lone claimant confirms itself after Ad 1..4 (~1.25 s) and logs like the phone', () => {
  const node = new DLoadNode({ nodeId: 0x080027f8, model: 'CP-7961G', tcpPort: 4051, addr: '10.106.117.68', random: () => 0.2, election: 'phone' });
  node.addFile(0, FILE);
  const acts = drive(node, 1500);
  const logs = texts(acts);
  assert.is(logs[0], '^.idl_protocol.c-sendBroadcastOffer');
  assert.match(logs[1]!, /^XID080027F8 TxBdcst ClaimRoot\(tent\): map=00000000 strength=[0-9a-f]{8}$/);
  for (let n = 1; n <= 4; n++) assert.ok(logs.includes(`XID080027F8 TxBdcst Ad ${n}: ClaimRoot(tent)`), `Ad ${n}`);
  assert.is(logs.filter((l) => l === 'Timeout XID080027F8 hier=ClaimRoot(tent)').length, 5);
  assert.ok(logs.includes('UT:Confirmed root bumping strength'));
  const hroot = logs.find((l) => l.startsWith('@@@HROOT:'))!;
  assert.match(hroot, /^@@@HROOT:XID080027F8 H=[0-9a-f]{8} m=CP-7961G ROOT=10\.106\.117\.68 \/dnld\/SCCP41\.9-4-2SR2-2S\.loads$/);
  const fetch = acts.find((x) => x.a.type === 'FetchOrigin')!;
  assert.ok(fetch.t >= 1000 && fetch.t <= 1500, `confirmed at ${fetch.t} ms`);
  assert.equal(fetch.a, { type: 'FetchOrigin', key: (fetch.a as { key: string }).key, file: FILE.name, fromOffset: 0 });
  assert.is(acts.filter((x) => x.a.type === 'SendBroadcast').length, 6, 'claim, Ad 1..4, confirmed advert');
  assert.not.ok(acts.some((x) => x.a.type === 'OpenOrigin'), 'the phone asks the origin at Ad 2, not with its claim');
});

test('fast: a claimant that hears a stronger claim before Ad 1 drops the request it sent with its claim', () => {
  const id = 0x080027f8;
  const node = new DLoadNode({ nodeId: id, model: 'CP-7961G', tcpPort: 4051, random: () => 0.2 });
  node.addFile(0, FILE);
  const claimAt = node.nextDeadline();
  const acts = node.tick(claimAt);
  assert.ok(acts.some((a) => a.type === 'OpenOrigin'), 'no request with the claim');
  const mine = decode(acts.find((a): a is Extract<DLoadAction, { type: 'SendBroadcast' }> => a.type === 'SendBroadcast')!.bytes) as RootAdvert;
  assert.is(mine.type, 'ClaimRoot');
  // A stronger board's claim, 10 ms later.
  const theirs = encode({ ...mine, sender: id + 1, strength: 0xffffffff });
  const after = node.onDatagram(claimAt + 10, { addr: '10.0.0.2', port: 4051 }, theirs);
  assert.ok(after.some((a) => a.type === 'StopOrigin'), `the request is not dropped: ${JSON.stringify(after.map((a) => a.type))}`);
  const later = drive(node, claimAt + 1000);
  assert.not.ok(later.some((x) => x.a.type === 'PrepareOrigin' || x.a.type === 'FetchOrigin'), 'a board that yielded went on to the origin');
});

test('fast: when a board will take its file from the origin, as the shell sees it ahead: confirmation plus hold in the last advert period, the hold\'s end while held, now once pulling', () => {
  const id = 0x080027f8;
  const node = new DLoadNode({ nodeId: id, model: 'CP-7961G', tcpPort: 4051, random: () => 0.2 });
  node.addFile(0, FILE);
  const s = node.session(KEY)!;
  const hold = Math.round(FAST_TIMERS.dataHoldMs * (1 - preference(KEY, id) / 2 ** 32));
  const claimAt = node.nextDeadline();
  assert.is(s.takesDataAt(0), undefined, 'listening: it may never');
  node.tick(claimAt);
  assert.is(s.takesDataAt(claimAt), undefined, 'claiming, Ad 2 not sent: too early to say');
  node.tick(node.nextDeadline()); // Ad 1
  const ad2 = node.nextDeadline();
  node.tick(ad2);
  assert.is(s.takesDataAt(ad2), ad2 + FAST_TIMERS.advertMs + hold, 'in the last period: the confirmation, then the hold');
  const confirmAt = node.nextDeadline();
  const confirmed = node.tick(confirmAt);
  assert.ok(confirmed.some((a) => a.type === 'Log' && a.text.startsWith('@@@HROOT')));
  if (hold > 0) assert.is(s.takesDataAt(confirmAt), confirmAt + hold, 'in its hold: the hold\'s end');
  const pulled = drive(node, confirmAt + hold);
  assert.ok(pulled.some((x) => x.a.type === 'FetchOrigin'));
  assert.is(s.takesDataAt(confirmAt + hold + 5), confirmAt + hold + 5, 'pulling: now');
});

test('fast: a lone claimant shows the phone\'s election lines, confirms after Ad 2 (~0.3 s after its claim), prepares the origin at Ad 1 and pulls after its preference hold', () => {
  const id = 0x080027f8;
  const node = new DLoadNode({ nodeId: id, model: 'CP-7961G', tcpPort: 4051, addr: '10.106.117.68', random: () => 0.2 });
  node.addFile(0, FILE);
  const acts = drive(node, 3000);
  const logs = texts(acts);
  const pref = preference(KEY, id);
  assert.is(logs[0], '^.idl_protocol.c-sendBroadcastOffer');
  assert.is(logs[1], `XID080027F8 TxBdcst ClaimRoot(tent): map=00000000 strength=${pref.toString(16).padStart(8, '0')}`, 'the strength shown is the preference');
  assert.ok(logs.includes('XID080027F8 TxBdcst Ad 1: ClaimRoot(tent)'));
  assert.ok(logs.includes('XID080027F8 TxBdcst Ad 2: ClaimRoot(tent)'));
  assert.not.ok(logs.includes('XID080027F8 TxBdcst Ad 3: ClaimRoot(tent)'));
  assert.ok(logs.includes('UT:Confirmed root bumping strength'));
  assert.ok(logs.some((l) => l.startsWith('@@@HROOT:XID080027F8 ')));
  const weak = 1 - pref / 2 ** 32;
  const claimAt = FAST_TIMERS.claimBackoffMs * weak;
  const open = acts.filter((x) => x.a.type === 'OpenOrigin');
  assert.is(open.length, 1, 'one request, with the claim');
  assert.ok(Math.abs(open[0]!.t - claimAt) < 1, `asked the origin at ${open[0]!.t} ms, claimed at ${claimAt}`);
  const prepare = acts.find((x) => x.a.type === 'PrepareOrigin')!;
  assert.ok(Math.abs(prepare.t - (claimAt + 100)) < 1, `prepared at ${prepare.t} ms`);
  const confirmAt = acts.find((x) => x.a.type === 'Log' && x.a.text.startsWith('@@@HROOT'))!.t;
  assert.ok(Math.abs(confirmAt - (claimAt + 300)) < 1, `confirmed ${confirmAt - claimAt} ms after its claim (phone: 1250)`);
  const fetch = acts.find((x) => x.a.type === 'FetchOrigin')!;
  assert.ok(Math.abs(fetch.t - confirmAt - Math.round(FAST_TIMERS.dataHoldMs * weak)) < 1, `pulled ${fetch.t - confirmAt} ms after confirming`);
});

test('fast: the preference is the same for a board at every start, different per file, and the shown strength', () => {
  const a = preference(KEY, 0x080027f8);
  assert.is(preference(KEY, 0x080027f8), a);
  assert.is.not(preference(hierarchyKey('CP-7961G', '/dnld/other.loads'), 0x080027f8), a);
  assert.is.not(preference(KEY, 0x080027f9), a);
  const n1 = new DLoadNode({ nodeId: 0x080027f8, model: 'CP-7961G', tcpPort: 4051, random: () => 0.1 });
  const n2 = new DLoadNode({ nodeId: 0x080027f8, model: 'CP-7961G', tcpPort: 4051, random: () => 0.9 });
  n1.addFile(0, FILE);
  n2.addFile(0, FILE);
  assert.is(n1.session(KEY)!.strength, a);
  assert.is(n2.session(KEY)!.strength, a);
});

test('rank: confirmed beats tentative, then bytes held, then strength, then node id', () => {
  const r = (confirmed: boolean, held: number, strength: number, id: number) => ({ confirmed, held, strength, id });
  assert.ok(compareRank(r(true, 0, 0, 0), r(false, 1e9, 0xffffffff, 9)) > 0);
  assert.ok(compareRank(r(false, 10, 0, 0), r(false, 9, 0xffffffff, 9)) > 0);
  assert.ok(compareRank(r(false, 0, 0xffffffff, 0), r(false, 0, 1, 9)) > 0);
  assert.ok(compareRank(r(false, 0, 5, 9), r(false, 0, 5, 8)) > 0);
});

/** Two boards on one wire, driven by hand; `cut(t)`: what R sends is lost at time t. */
function pair(ids: [number, number]) {
  const [R, C] = ids.map((id, i) => new DLoadNode({ nodeId: id, model: 'CP-7961G', tcpPort: 4051, addr: `198.18.0.${10 + i}`, random: () => 0.5 }));
  const ep = (n: DLoadNode): Endpoint => ({ addr: n.cfg.addr!, port: 4051 });
  return { R: R!, C: C!, ep };
}

test('fast: a member tells a late claimant that its root lives (a relay); the claimant stops, drops its prepared transfer, joins nobody on it', () => {
  const { R, C, ep } = pair([0x100, 0x200]);
  R.addFile(0, FILE);
  drive(R, 3000);
  const root = R.session(KEY)!;
  assert.is(root.role, 'root');
  // M joined R (R's advert), then C starts late and claims while R is busy.
  const M = new DLoadNode({ nodeId: 0x300, model: 'CP-7961G', tcpPort: 4051, addr: '198.18.0.12', random: () => 0.5 });
  M.addFile(3000, FILE);
  const advert = encode({ type: 'ConfirmedRoot', key: KEY, sender: 0x100, strength: root.strength, held: 5 * 65536, tcpPort: 4051, ad: 0, map: 0 });
  M.onDatagram(3001, ep(R), advert);
  assert.is(M.session(KEY)!.role, 'member');
  C.addFile(3002, FILE);
  let claim: Uint8Array | undefined;
  for (let t = 3002; !claim && t < 6000; t = C.nextDeadline()) {
    for (const a of C.tick(t)) if (a.type === 'SendBroadcast') claim = a.bytes;
  }
  assert.ok(claim, 'C claimed');
  const relays = M.onDatagram(3300, ep(C), claim!).filter((a) => a.type === 'SendUnicast');
  assert.is(relays.length, 1);
  const relay = relays[0]!;
  assert.equal((relay as { to: Endpoint }).to, ep(C));
  const m = decode((relay as { bytes: Uint8Array }).bytes);
  assert.is(m.type, 'ClaimRoot');
  assert.is((m as { relay?: boolean }).relay, true);
  assert.is((m as { sender: number }).sender, 0x100, 'in the root\'s name');
  // C has claimed (maybe prepared the origin): the relay stops it, and it waits.
  const c = C.session(KEY)!;
  const acts = C.onDatagram(3301, { addr: '198.18.0.12', port: 4051 }, (relay as { bytes: Uint8Array }).bytes);
  assert.is(c.role, 'waiting');
  assert.not.ok(acts.some((a) => a.type === 'SendUnicast'), 'no JoinRequest to the member');
  // The root's own advert then makes it a member of R.
  C.onDatagram(3500, ep(R), advert);
  assert.is(c.role, 'member');
  assert.is(c.root!.id, 0x100);
  // Phone members never relay.
  const P = new DLoadNode({ nodeId: 0x400, model: 'CP-7961G', tcpPort: 4051, addr: '198.18.0.13', random: () => 0.5, election: 'phone' });
  P.addFile(3000, FILE);
  P.onDatagram(3001, ep(R), advert);
  assert.equal(P.onDatagram(3300, ep(C), claim!).filter((a) => a.type === 'SendUnicast'), []);
});

test('fast: a root still in its data hold that hears a relay waits to hear the other root before it pulls', () => {
  const { C } = pair([0x100, 0x080027f8]);
  C.addFile(0, FILE);
  // Its claim at ~239 ms (backoff 1000 ms x 0.239), confirmed ~300 ms later, data after a hold of ~239 ms.
  const acts = drive(C, 600);
  assert.is(C.session(KEY)!.role, 'root');
  assert.not.ok(acts.some((x) => x.a.type === 'FetchOrigin'), 'still in its hold');
  const relay = encode({ type: 'ClaimRoot', key: KEY, sender: 0x100, strength: 1, held: 65536, tcpPort: 4051, ad: 0, map: 0, relay: true });
  C.onDatagram(601, { addr: '198.18.0.12', port: 4051 }, relay);
  const s = C.session(KEY)!;
  assert.not.ok(drive(C, 601 + FAST_TIMERS.waitRootMs - 10).some((x) => x.a.type === 'FetchOrigin'), 'no pull while it waits for the other root');
  assert.is(s.role, 'root');
  // The other root's advert (it holds bytes) then makes it yield without a byte pulled.
  const out = C.onDatagram(601 + FAST_TIMERS.waitRootMs - 5, { addr: '198.18.0.10', port: 4051 }, encode({ type: 'ConfirmedRoot', key: KEY, sender: 0x100, strength: 1, held: 65536, tcpPort: 4051, ad: 0, map: 0 }));
  assert.ok(out.some((a) => a.type === 'StopOrigin'), 'drops its prepared transfer');
  assert.is(C.session(KEY)!.role, 'member');
  assert.not.ok(drive(C, 5000).some((x) => x.a.type === 'FetchOrigin'));
});

for (const election of ELECTIONS) {
  test(`${election}: two boards reset together: exactly one root, both verified`, () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const s = simulate({ boards: 2, seed, fileBytes: 1 << 20, election });
      assert.equal(s.rootsPerFile, [1], `seed ${seed}`);
      assert.equal(s.rootTerms, [1]);
      assert.ok(s.allVerified);
      assert.is(s.originBytes, s.fileBytes);
    }
  });

  test(`${election}: 1000 boards claim at the same instant: one root per key`, () => {
    const s = simulate({ boards: 1000, seed: 3, fileBytes: 1 << 20, files: 2, bootJitterMs: 0, timers: { claimBackoffMs: 0 }, election });
    assert.equal(s.rootsPerFile, [1, 1]);
    assert.equal(s.rootTerms, [1, 1]);
    assert.ok(s.allVerified);
    assert.is(s.originBytes, s.fileBytes);
  });

  test(`${election}: a late board holding the whole file does not steal a running transfer`, () => {
    const s = simulate({ boards: 50, seed: 4, late: { count: 1, atMs: 3000, held: 1 }, election });
    assert.equal(s.rootTerms, [1], 'no second root term');
    assert.equal(s.rootsPerFile, [1]);
    assert.ok(s.rootBoards[0] !== 49, 'the late board is not root');
    assert.ok(s.allVerified);
    assert.is(s.originBytes, s.fileBytes);
  });

  test(`${election}: two confirmed roots after a partition heals: one yields, the fleet completes`, () => {
    const s = simulate({ boards: 40, seed: 5, partitionUntilMs: 3000, election });
    assert.equal(s.rootTerms, [2], 'each half had a root');
    assert.equal(s.rootsPerFile, [1], 'one root left');
    assert.ok(s.allVerified);
    assert.ok(s.originBytes < 2 * s.fileBytes, `origin ${s.originBytes}`);
  });
}

test('fast against phone, boards reset together: the root takes data at ~0.35 s instead of ~1.26 s, one board claims, one WAN copy', () => {
  for (const boards of [8, 16, 64]) {
    const fast = simulate({ boards, seed: 7, fileBytes: 1 << 20 });
    const phone = simulate({ boards, seed: 7, fileBytes: 1 << 20, election: 'phone' });
    assert.ok(fast.electionMs[0]! < 600, `${boards} boards: fast took data at ${fast.electionMs[0]} ms`);
    assert.ok(phone.electionMs[0]! >= 1250, `${boards} boards: phone took data at ${phone.electionMs[0]} ms`);
    assert.equal(fast.claimants, [1], `${boards} boards: fast claimants`);
    assert.is(fast.originBytes, fast.fileBytes);
  }
});

test.run();
