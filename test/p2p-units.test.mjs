// Unit tests of the p2p building blocks: identities and files (modes), rosters, certificates, values on the
// wire, hosting plans and invite codes, frame decoding.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, test } from 'node:test';
import { promisify } from 'node:util';
import crypto from 'hypercore-crypto';
import { c, decode, encode, struct } from '../dist/p2p/codec.js';
import { issueCertificate, openCertificate } from '../dist/p2p/certificate.js';
import { addFriend, listFriends, removeFriend, resolveUser } from '../dist/p2p/friends.js';
import { inviteCode, parseInvite, planHosting } from '../dist/p2p/hosting.js';
import { identityFile, loadIdentity, setIdentityName } from '../dist/p2p/identity.js';
import { natKind } from '../dist/p2p/doctor.js';
import { RING_LINKS, RING_SETTLE_MS, ringSuccessors, shouldDial } from '../dist/p2p/dial-policy.js';
import { ROLE } from '../dist/p2p/protocol.js';
import { ActivityLog } from '../dist/cli/activity-log.js';
import { decodeKey, encodeKey } from '../dist/p2p/keys.js';
import { personalRoster, resolveClusterRef } from '../dist/p2p/membership.js';
import { certificateKeyOf, clusterId, isMember, isNewer, openRoster, signRoster, topicOf } from '../dist/p2p/roster.js';
import { fromWire, toWire } from '../dist/p2p/values.js';
const execFileAsync = promisify(execFile);

function freshHome() {
  process.env.TSP2P_HOME = mkdtempSync(path.join(tmpdir(), 'tsp2p-unit-'));
  return process.env.TSP2P_HOME;
}

describe('identity and friends', () => {
  beforeEach(freshHome);

  test('an existing home that others could read is made private (0700)', async () => {
    const { chmodSync, mkdirSync } = await import('node:fs');
    process.env.TSP2P_HOME = path.join(mkdtempSync(path.join(tmpdir(), 'tsp2p-unit-')), 'home');
    mkdirSync(process.env.TSP2P_HOME, { mode: 0o755 });
    chmodSync(process.env.TSP2P_HOME, 0o755);
    const { stdout, stderr } = await execFileAsync(process.execPath, [new URL('../dist/cli/main.js', import.meta.url).pathname, 'id', '--json'], { env: process.env });
    assert.ok(JSON.parse(stdout).key);
    assert.equal(statSync(process.env.TSP2P_HOME).mode & 0o777, 0o700);
    assert.match(stderr, /made .* private \(mode 700; it was 755\)/);
  });

  test('a key pair is made on first use, kept in a 0600 file, and stable', () => {
    const me = loadIdentity();
    assert.equal(me.key.length, 52);
    assert.equal(statSync(identityFile()).mode & 0o777, 0o600);
    assert.equal(statSync(path.dirname(identityFile())).mode & 0o777, 0o700);
    assert.equal(loadIdentity().key, me.key);
    assert.equal(setIdentityName('alice').name, 'alice');
    assert.equal(loadIdentity().key, me.key);
    assert.throws(() => setIdentityName('no spaces please'), { code: 'USAGE' });
  });

  test('z32 keys round-trip; bad keys say what is wrong', () => {
    const key = crypto.keyPair().publicKey;
    assert.ok(decodeKey(encodeKey(key)).equals(key));
    assert.throws(() => decodeKey('short'), { code: 'BAD_KEY', message: /52 z32 characters/ });
    assert.throws(() => decodeKey('!'.repeat(52)), { code: 'BAD_KEY' });
  });

  test('the friends book maps names to keys; unknown names say how to add them', () => {
    const me = loadIdentity();
    const bob = encodeKey(crypto.keyPair().publicKey);
    addFriend('bob', bob);
    assert.deepEqual(listFriends(), [{ name: 'bob', key: bob }]);
    assert.ok(resolveUser('bob', me).equals(decodeKey(bob)));
    assert.ok(resolveUser(me.name, me).equals(me.keyPair.publicKey));
    assert.throws(() => addFriend('robert', bob), { code: 'DUPLICATE_FRIEND' });
    assert.throws(() => resolveUser('zed', me), (e) => e.code === 'UNKNOWN_USER' && /tsp2p friends add zed KEY/.test(e.message));
    assert.equal(removeFriend('bob'), true);
    assert.equal(removeFriend('bob'), false);
  });

  test('cluster names: OWNER/NAME resolves the owner; nothing means your personal cluster', () => {
    const me = setIdentityName('alice');
    assert.equal(resolveClusterRef(undefined, me).label, 'alice/personal');
    assert.equal(resolveClusterRef('alice/friends', me).name, 'friends');
    assert.throws(() => resolveClusterRef('friends', me), { code: 'BAD_CLUSTER_NAME' });
    assert.throws(() => resolveClusterRef('carol/x', me), { code: 'UNKNOWN_USER' });
  });
});

describe('rosters', () => {
  const owner = crypto.keyPair();
  const bob = crypto.keyPair();
  const fields = { owner: owner.publicKey, name: 'friends', seq: 3, issued: 1, expires: Date.now() + 60_000, secret: crypto.randomBytes(32), members: [{ key: bob.publicKey, name: 'bob' }], retired: [] };

  test('signed by the owner, opened by anyone, members checked', () => {
    const roster = signRoster(fields, owner);
    const opened = openRoster(roster.bytes, { owner: owner.publicKey, name: 'friends' });
    assert.equal(opened.seq, 3);
    assert.ok(isMember(opened, bob.publicKey));
    assert.ok(isMember(opened, owner.publicKey));
    assert.ok(!isMember(opened, crypto.keyPair().publicKey));
  });

  test('a forged, tampered or misdirected roster is refused', () => {
    const roster = signRoster(fields, owner);
    assert.throws(() => signRoster(fields, bob), { code: 'BAD_ROSTER' });
    const tampered = Buffer.from(roster.bytes);
    tampered[10] ^= 1;
    assert.throws(() => openRoster(tampered), { code: 'BAD_ROSTER' });
    assert.throws(() => openRoster(roster.bytes, { owner: bob.publicKey, name: 'friends' }), { code: 'BAD_ROSTER', message: /another cluster/ });
    assert.throws(() => openRoster(Buffer.from('junk')), { code: 'BAD_ROSTER' });
  });

  test('newer means same cluster and higher seq; topics derive from the secret only', () => {
    const a = signRoster(fields, owner);
    const b = signRoster({ ...fields, seq: 4 }, owner);
    assert.ok(isNewer(b, a));
    assert.ok(!isNewer(a, b));
    assert.ok(topicOf(a).equals(topicOf(b)));
    assert.ok(!topicOf(a).equals(topicOf({ ...fields, secret: crypto.randomBytes(32) })));
    assert.ok(!topicOf(a).equals(certificateKeyOf(a)));
  });

  test('a roster stored by an earlier tsp2p (version 1, no retired secrets) still opens', () => {
    const key = { preencode: (st, v) => c.fixed32.preencode(st, v), encode: (st, v) => c.fixed32.encode(st, v), decode: (st) => c.fixed32.decode(st) };
    const v1 = struct({ version: c.uint, owner: key, name: c.string, seq: c.uint, issued: c.uint, expires: c.uint, secret: key, members: c.array(struct({ key, name: c.string })) });
    const { retired: _none, ...old } = fields;
    const payload = encode(v1, { version: 1, ...old });
    const signature = crypto.sign(Buffer.concat([Buffer.from('tsp2p/roster/v1\0'), payload]), owner.secretKey);
    const signed = encode(struct({ payload: c.buffer, signature: c.fixed64 }), { payload, signature });
    const opened = openRoster(signed, { owner: owner.publicKey, name: 'friends' });
    assert.equal(opened.seq, 3);
    assert.deepEqual(opened.retired, []);
    assert.ok(isMember(opened, bob.publicKey));
  });

  test('the personal roster is the same every time it is made', () => {
    freshHome();
    const me = loadIdentity();
    assert.ok(personalRoster(me).bytes.equals(personalRoster(me).bytes));
  });
});

describe('session certificates', () => {
  const alice = crypto.keyPair();
  const session = crypto.keyPair().publicKey;
  const cluster = clusterId(alice.publicKey, 'friends');
  const key = crypto.randomBytes(32);

  test('open only with the cluster key, for that session and cluster', () => {
    const record = issueCertificate(alice, session, cluster, 1, [key]);
    const cert = openCertificate(record, session, cluster, [key]);
    assert.ok(cert.identity.equals(alice.publicKey));
    assert.throws(() => openCertificate(record, session, cluster, [crypto.randomBytes(32)]), { code: 'BAD_CERTIFICATE' });
    assert.throws(() => openCertificate(record, crypto.keyPair().publicKey, cluster, [key]), { code: 'BAD_CERTIFICATE', message: /another session/ });
    assert.throws(() => openCertificate(record, session, clusterId(alice.publicKey, 'other'), [key]), { code: 'BAD_CERTIFICATE' });
    assert.throws(() => openCertificate(record, session, cluster, [key], Date.now() + 2 * 86_400_000), { message: /expired/ });
  });

  test('a record sealed under two keys (a change of secret) opens with either', () => {
    const other = crypto.randomBytes(32);
    const record = issueCertificate(alice, session, cluster, 1, [key, other]);
    assert.ok(openCertificate(record, session, cluster, [other]).identity.equals(alice.publicKey));
  });
});

describe('values on the wire', () => {
  test('structure through superjson, binary beside it as raw bytes', () => {
    const value = { n: 1, big: 2n ** 70n, when: new Date(5), m: new Map([['k', new Set([1])]]), u8: new Uint8Array([1, 2]), f64: new Float64Array([0.5]), buf: Buffer.from('hi'), ab: new Uint8Array([9]).buffer, nothing: undefined };
    const wire = toWire(value);
    assert.equal(wire.buffers.length, 4);
    assert.ok(!wire.json.includes('[1,2]'), 'binary is not written as a JSON array');
    const back = fromWire(wire);
    assert.deepEqual(back.m, value.m);
    assert.equal(back.big, value.big);
    assert.ok(back.u8 instanceof Uint8Array);
    assert.ok(Buffer.isBuffer(back.buf));
    assert.deepEqual([...back.f64], [0.5]);
    assert.ok(back.ab instanceof ArrayBuffer);
    assert.ok('nothing' in back);
  });

  test('a missing binary part is a BAD_FRAME, not a crash', () => {
    const wire = toWire({ u: new Uint8Array([1]) });
    assert.throws(() => fromWire({ json: wire.json, buffers: [] }), { code: 'BAD_FRAME' });
    assert.throws(() => fromWire({ json: '{not json', buffers: [] }), { code: 'BAD_FRAME' });
  });

  test('large binary values travel compressed when that pays, and come back exact', () => {
    const counts = Uint16Array.from({ length: 160_000 }, (_, i) => Math.floor(Math.sqrt(i % 400) * 7)); // 320 KB, image-like
    const noise = crypto.randomBytes(100_000);
    const small = new Uint8Array(1000).fill(7);
    const wire = toWire({ counts, noise, small, view: counts.subarray(1000, 50_000) });
    const [c0, n0, s0, v0] = wire.buffers;
    assert.ok(c0.byteLength < counts.byteLength / 10, `counts sent in ${c0.byteLength} bytes`);
    assert.equal(n0.byteLength, noise.byteLength, 'what does not compress goes as it is');
    assert.equal(s0.byteLength, small.byteLength, 'small values are not worth compressing');
    assert.ok(v0.byteLength < 98_000 / 10);
    const back = fromWire(wire);
    assert.ok(back.counts instanceof Uint16Array);
    assert.deepEqual(back.counts, counts);
    assert.deepEqual(back.view, counts.subarray(1000, 50_000));
    assert.ok(Buffer.from(noise).equals(back.noise));
    assert.deepEqual(back.small, small);
  });

  test('a compressed part that lies about its size, or does not inflate, is a BAD_FRAME', () => {
    const wire = toWire({ u: new Uint8Array(200_000).fill(3) });
    const meta = (z) => wire.json.replace(/"z":\d+/, `"z":${z}`);
    assert.match(wire.json, /"z":200000/);
    assert.equal(fromWire(wire).u.length, 200_000);
    assert.throws(() => fromWire({ json: meta(199_999), buffers: wire.buffers }), { code: 'BAD_FRAME', message: /inflate/ });
    assert.throws(() => fromWire({ json: meta(200_001), buffers: wire.buffers }), { code: 'BAD_FRAME', message: /inflate/ });
    assert.throws(() => fromWire({ json: meta(2 ** 40), buffers: wire.buffers }), { code: 'BAD_FRAME', message: /more than 2048:1/ });
    assert.throws(() => fromWire({ json: meta('-1'), buffers: wire.buffers }), { code: 'BAD_FRAME' });
    assert.throws(() => fromWire({ json: wire.json, buffers: [crypto.randomBytes(100)] }), { code: 'BAD_FRAME', message: /inflate/ });
    // A small compressed part that would inflate past what it claims stops there (no decompression bomb).
    const bomb = toWire({ u: new Uint8Array(64 * 1024 * 1024) });
    assert.ok(bomb.buffers[0].byteLength < 100_000);
    assert.throws(() => fromWire({ json: bomb.json.replace(/"z":\d+/, '"z":1000'), buffers: bomb.buffers }), { code: 'BAD_FRAME' });
  });

  test('a value is capped before anything is inflated: by its size (--max-value) and by its compression ratio', async () => {
    const { brotliCompressSync, constants } = await import('node:zlib');
    const MiB = 1024 * 1024;
    // Over the limit as it arrives (incompressible), or by what its compressed part claims (zeros).
    assert.throws(() => fromWire(toWire({ u: crypto.randomBytes(3 * MiB) }), 2 * MiB), { code: 'VALUE_TOO_LARGE', message: /3\.0 MiB or more is over the limit of 2\.0 MiB \(--max-value/ });
    const zeros = toWire({ u: new Uint8Array(3 * MiB) });
    assert.ok(zeros.buffers[0].byteLength < 10_000);
    assert.throws(() => fromWire(zeros, 2 * MiB), { code: 'VALUE_TOO_LARGE' });
    assert.equal(fromWire(zeros, 4 * MiB).u.length, 3 * MiB);
    // What tsp2p itself sends never passes 2048:1 (quality 0 stops near 1630:1, zeros included) ...
    assert.equal(fromWire(toWire({ u: new Uint8Array(64 * MiB) })).u.length, 64 * MiB);
    // ... while a sender compressing harder to make a bomb is refused at the claim, whatever it is.
    const dense = brotliCompressSync(Buffer.alloc(8 * MiB), { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
    assert.ok(8 * MiB / dense.byteLength > 2048, `quality 11 made ${dense.byteLength} bytes`);
    const bomb = { json: JSON.stringify({ json: { u: { i: 0, t: 'Uint8Array', z: 8 * MiB } }, meta: { values: { u: [['custom', 'tsp2p-binary']] } } }), buffers: [dense] };
    assert.throws(() => fromWire(bomb), { code: 'BAD_FRAME', message: /more than 2048:1/ });
  });
});

describe('frames', () => {
  const enc = struct({ id: c.string, n: c.uint });
  test('decode refuses truncated input and trailing bytes', () => {
    const bytes = encode(enc, { id: 'x', n: 5 });
    assert.deepEqual(decode(enc, bytes, 't'), { id: 'x', n: 5 });
    assert.throws(() => decode(enc, bytes.subarray(0, 1), 't'), { code: 'BAD_FRAME' });
    assert.throws(() => decode(enc, Buffer.concat([bytes, Buffer.from([0])]), 't'), { code: 'BAD_FRAME', message: /trailing/ });
  });

  test('a peer running an older tsp2p (tsp2p/1) is named and dropped, not left hanging', async () => {
    // Two encrypted streams over a local TCP pair, in a child process so its log line can be read.
    const script = `
      import net from 'node:net';
      import Protomux from 'protomux';
      import SecretStream from '@hyperswarm/secret-stream';
      import { PeerChannel } from './dist/p2p/protocol.js';
      const server = net.createServer((raw) => {
        const old = new SecretStream(false, raw);
        Protomux.from(old).createChannel({ protocol: 'tsp2p/1' }).open();
        old.on('error', () => {});
        old.on('close', () => { console.log('closed'); server.close(); });
      }).listen(0, '127.0.0.1', () => {
        const socket = new SecretStream(true, net.connect(server.address().port, '127.0.0.1'));
        socket.on('error', () => {});
        const hello = { roles: 2, user: 'diana', host: 'h', slots: 0, versions: '{}', roster: Buffer.alloc(0), relay: Buffer.alloc(0), via: Buffer.alloc(0) };
        new PeerChannel(socket, hello, { onopen: () => console.log('opened'), onframe: () => {}, onclose: () => {} }, 'old-peer');
      });`;
    const { stdout, stderr } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('..', import.meta.url), timeout: 10_000 });
    assert.equal(stdout.trim(), 'closed');
    assert.match(stderr, /old-peer runs an older tsp2p \(it speaks tsp2p\/1, this one tsp2p\/2\): update it/);
  });
});

describe('who dials whom', () => {
  const sessions = Array.from({ length: 24 }, () => crypto.randomBytes(32));
  const worker = (session) => ({ roles: ROLE.worker, session });
  const settled = { workers: sessions, foundForMs: RING_SETTLE_MS };

  test('workers dial a ring: each its two successors, every worker reached, links that do not grow with the cluster', () => {
    const links = new Set();
    for (const a of sessions) {
      for (const b of sessions) if (!a.equals(b) && shouldDial(worker(a), worker(b), settled) === true) links.add([a, b].map((s) => s.toString('hex')).sort().join('-'));
    }
    assert.equal(links.size, sessions.length * RING_LINKS, 'N x 2 links (a full mesh of 24 has 276)');
    // Connected: a walk over the links from one worker reaches all 24.
    const reached = new Set([sessions[0].toString('hex')]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const link of links) {
        const [a, b] = link.split('-');
        if (reached.has(a) !== reached.has(b)) (reached.add(a), reached.add(b), (grew = true));
      }
    }
    assert.equal(reached.size, sessions.length);
  });

  test('a worker waits for the ring to settle before dialling workers, passes over one it cannot reach, and still dials hosts at once', () => {
    const [me, ...others] = sessions;
    assert.equal(shouldDial(worker(me), worker(others[0]), { workers: sessions, foundForMs: 0 }), null);
    const sorted = others.slice().sort(Buffer.compare);
    const after = sorted.findIndex((s) => Buffer.compare(s, me) > 0);
    const order = after < 0 ? sorted : [...sorted.slice(after), ...sorted.slice(0, after)];
    assert.deepEqual(ringSuccessors(me, sessions), order.slice(0, 2));
    assert.deepEqual(ringSuccessors(me, sessions.filter((s) => !s.equals(order[0]))), order.slice(1, 3), 'the next one stands in');
    assert.equal(shouldDial(worker(me), { roles: ROLE.host, session: others[0] }, { workers: [], foundForMs: 0 }), true);
    // A client dials every worker; a host dials no one.
    assert.equal(shouldDial({ roles: ROLE.client, session: me }, worker(others[0]), { workers: [], foundForMs: 0 }), true);
    assert.equal(shouldDial({ roles: ROLE.host, session: me }, worker(others[0]), { ...settled, foundForMs: 60_000 }), false);
  });
});

describe('heartbeats', () => {
  test('a ping gets a pong only from a peer whose hello does not say it hears acknowledgements (an older tsp2p)', async () => {
    const { default: SecretStream } = await import('@hyperswarm/secret-stream');
    const net = await import('node:net');
    const { PeerChannel } = await import('../dist/p2p/protocol.js');
    const { HEARS_ACKS } = await import('../dist/p2p/liveness.js');
    const helloOf = (versions) => ({ roles: 2, user: 'diana', host: 'h', slots: 0, versions: JSON.stringify(versions), roster: Buffer.alloc(0), relay: Buffer.alloc(0), via: Buffer.alloc(0) });
    for (const [versions, pongs] of [[{ tsp2p: '0.1.0' }, 1], [{ tsp2p: '0.1.0', ...HEARS_ACKS }, 0]]) {
      const server = net.createServer((raw) => {
        const socket = new SecretStream(false, raw);
        socket.on('error', () => {});
        new PeerChannel(socket, { ...helloOf({}), roles: 1, user: 'bob' }, { onopen: () => {}, onframe: () => {}, onclose: () => {} }, 'worker');
      });
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      const socket = new SecretStream(true, net.connect(server.address().port, '127.0.0.1'));
      socket.on('error', () => {});
      const opened = new Promise((resolve) => {
        const client = new PeerChannel(socket, helloOf(versions), { onopen: () => resolve(client), onframe: () => {}, onclose: () => {} }, 'client');
      });
      const client = await opened;
      // The channel answers pings itself (pongs are not frames for the table): any message sets lastHeard.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const before = client.lastHeard;
      client.send('ping', {});
      const deadline = Date.now() + 1_000;
      while (client.lastHeard === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(client.lastHeard > before ? 1 : 0, pongs, `versions ${JSON.stringify(versions)}`);
      socket.destroy();
      server.close();
    }
  });

  test('a heartbeat to a peer that hears acknowledgements turns on UDX keepalive probes once and sends no message; an older peer gets a ping each beat', async () => {
    const { default: SecretStream } = await import('@hyperswarm/secret-stream');
    const net = await import('node:net');
    const { PeerChannel } = await import('../dist/p2p/protocol.js');
    const { HEARS_ACKS, HEARTBEAT_MS } = await import('../dist/p2p/liveness.js');
    const helloOf = (versions) => ({ roles: 2, user: 'diana', host: 'h', slots: 0, versions: JSON.stringify(versions), roster: Buffer.alloc(0), relay: Buffer.alloc(0), via: Buffer.alloc(0) });
    for (const [workerVersions, expected] of [[{ tsp2p: '0.1.0', ...HEARS_ACKS }, { keepalive: [HEARTBEAT_MS], pings: 0 }], [{ tsp2p: '0.1.0' }, { keepalive: [], pings: 3 }]]) {
      const server = net.createServer((raw) => {
        const socket = new SecretStream(false, raw);
        socket.on('error', () => {});
        new PeerChannel(socket, { ...helloOf(workerVersions), roles: 1, user: 'bob' }, { onopen: () => {}, onframe: () => {}, onclose: () => {} }, 'worker');
      });
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      const socket = new SecretStream(true, net.connect(server.address().port, '127.0.0.1'));
      socket.on('error', () => {});
      // A TCP stream stands in for UDX: its keepalive as UDX's (udx-native Stream.setKeepalive) is recorded.
      const keepalive = [];
      socket.rawStream.setKeepalive = (ms) => keepalive.push(ms);
      const client = await new Promise((resolve) => {
        const channel = new PeerChannel(socket, helloOf({ tsp2p: '0.1.0', ...HEARS_ACKS }), { onopen: () => resolve(channel), onframe: () => {}, onclose: () => {} }, 'client');
      });
      const sent = [];
      const send = client.send.bind(client);
      client.send = (name, frame) => (sent.push(name), send(name, frame));
      for (let beat = 0; beat < 3; beat++) client.beat(HEARTBEAT_MS);
      assert.deepEqual({ keepalive, pings: sent.filter((n) => n === 'ping').length }, expected, `worker says ${JSON.stringify(workerVersions)}`);
      socket.destroy();
      server.close();
    }
  });
});

describe('random probes (crossing a port-randomizing NAT)', () => {
  test("hyperdht's punch still calls the method tsp2p replaces, with the budget and rate tsp2p's comments quote", async () => {
    const { createRequire } = await import('node:module');
    const { readFileSync } = await import('node:fs');
    const file = createRequire(import.meta.url).resolve('hyperdht/lib/holepuncher.js');
    const source = readFileSync(file, 'utf8');
    const { default: Holepuncher } = await import('hyperdht/lib/holepuncher.js');
    // Upgrading hyperdht fails here first when a punch no longer goes through these names.
    assert.match(source, /this\._randomProbes\(remoteVerifiedAddress\)/);
    assert.match(source, /async _randomProbes\s*\(remoteAddr\)\s*\{\s*let tries = 1750/);
    assert.match(source, /await holepunch\(this\._holder\.socket, addr, false\)\s*if \(this\.punching\) await this\._sleeper\.pause\(20\)/);
    assert.match(source, /this\._sleeper = new Sleeper\(\)/);
    assert.match(source, /ping\(addr, socket = this\._holder\.socket\) \{\s*return holepunch\(socket, addr, false\)/);
    for (const name of ['_randomProbes', 'ping', '_autoDestroy']) assert.equal(typeof Holepuncher.prototype[name], 'function', name);
  });

  test('probes as many as hyperdht at random ports of the NAT, four per 20 ms tick, and stop at the first hit', async () => {
    const { probeRandomNatsFaster, probesFaster, RANDOM_PROBES, PROBES_PER_TICK } = await import('../dist/p2p/random-probes.js');
    const { default: Holepuncher } = await import('hyperdht/lib/holepuncher.js');
    probeRandomNatsFaster();
    assert.equal(probesFaster(), true);
    const punch = (hitAfter) => {
      const sent = [];
      let ticks = 0;
      let destroyed = 0;
      const fake = {
        punching: true,
        _sleeper: { pause: async (ms) => (assert.equal(ms, 20), ticks++) },
        ping: async (address) => {
          sent.push(address);
          if (sent.length === hitAfter) fake.punching = false;
        },
        _autoDestroy: () => destroyed++,
      };
      return Holepuncher.prototype._randomProbes.call(fake, { host: '198.51.100.9', port: 4242 }).then(() => ({ sent, ticks, destroyed }));
    };
    const whole = await punch(Infinity);
    assert.equal(whole.sent.length, RANDOM_PROBES);
    assert.equal(RANDOM_PROBES, 1750);
    assert.equal(whole.ticks, Math.floor(RANDOM_PROBES / PROBES_PER_TICK));
    assert.equal(whole.destroyed, 1);
    assert.ok(whole.sent.every((a) => a.host === '198.51.100.9' && a.port >= 1000 && a.port <= 65535 && Number.isInteger(a.port)));
    assert.ok(new Set(whole.sent.map((a) => a.port)).size > 1700, 'ports drawn at random');
    const hit = await punch(10);
    assert.equal(hit.sent.length, 10, 'no probe after the hit');
    assert.equal(hit.destroyed, 1);
  });
});

describe('NAT words (tsp2p doctor)', () => {
  const own = new Set(['203.0.113.7']);
  test('a public address is "open" only when DHT nodes reach it unasked; else it says a firewall drops UDP', () => {
    assert.match(natKind({ host: '203.0.113.7', port: 49737, randomized: false, firewalled: false }, own), /^open: reachable at 203\.0\.113\.7:49737/);
    assert.match(natKind({ host: '203.0.113.7', port: 49737, randomized: false, firewalled: true }, own), /^a public address \(203\.0\.113\.7.*firewall drops UDP/);
    assert.match(natKind({ host: '198.51.100.2', port: 4000, randomized: false, firewalled: true }, own), /^behind a NAT that keeps ports/);
    assert.match(natKind({ host: '198.51.100.2', port: 0, randomized: true, firewalled: true }, own), /^behind a NAT that randomizes ports/);
    assert.match(natKind({ host: null, port: 0, randomized: false, firewalled: true }, own), /^unknown/);
  });
});

describe("a worker's activity lines", () => {
  test('a line per task while they come slowly; beyond that, counted and summed up per member', async () => {
    const lines = [];
    const log = new ActivityLog((l) => lines.push(l), { linesPerSecond: 2, summaryEveryMs: 50 });
    log.finished('aaaa1111', 'bob', 'ok');
    log.finished('bbbb2222', 'carol', 'failed');
    for (let i = 0; i < 1500; i++) log.finished(`t${i}`, i % 3 ? 'bob' : 'carol', i % 500 ? 'ok' : i ? 'cancelled' : 'failed');
    assert.deepEqual(lines, ['task aaaa1111 from bob: ok', 'task bbbb2222 from carol: failed']);
    const deadline = Date.now() + 5_000;
    while (lines.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(lines[2], '1,500 more tasks finished in the last 1 s: carol 499 ok, 1 failed; bob 998 ok, 2 cancelled');
    log.flush();
    assert.equal(lines.length, 3, 'nothing more to say');
  });
});

describe('hosting', () => {
  beforeEach(freshHome);

  test('friends become members, strangers get invites; removing anyone changes the secret', () => {
    const me = setIdentityName('alice');
    for (const name of ['bob', 'carol']) addFriend(name, encodeKey(crypto.keyPair().publicKey));
    const first = planHosting(me, 'friends', ['bob', 'carol', 'diana']);
    assert.deepEqual(first.hosted.members.map((m) => m.name), ['bob', 'carol']);
    assert.deepEqual(first.invites.map((i) => i.name), ['diana']);
    assert.equal(first.roster.seq, 1);
    const again = planHosting(me, 'friends', ['bob', 'carol', 'diana']);
    assert.equal(again.roster.seq, 2);
    assert.equal(again.hosted.secret, first.hosted.secret, 'same members: same secret');
    assert.equal(again.invites[0].code, first.invites[0].code, 'a pending invite is reused');
    const fewer = planHosting(me, 'friends', ['bob']);
    assert.deepEqual(fewer.removed, ['carol']);
    assert.notEqual(fewer.hosted.secret, first.hosted.secret);
    // The roster names the secret it replaced, until the last roster with it expires: members visit its
    // topic, where a peer that missed the removal finds them.
    assert.deepEqual(fewer.roster.retired.map((r) => [r.secret.toString('hex'), r.expires]), [[first.hosted.secret, again.roster.expires]]);
    assert.ok(openRoster(fewer.roster.bytes).retired[0].secret.equals(Buffer.from(first.hosted.secret, 'hex')), 'it travels in the signed roster');
    const later = planHosting(me, 'friends', ['bob'], undefined, again.roster.expires + 1);
    assert.deepEqual(later.roster.retired, [], 'an expired one is dropped');
    assert.equal(statSync(path.join(process.env.TSP2P_HOME, 'hosted', 'friends.json')).mode & 0o777, 0o600);
  });

  test('invite codes carry the owner key and a secret', () => {
    const owner = crypto.keyPair().publicKey;
    const seed = crypto.randomBytes(32);
    const parsed = parseInvite(inviteCode(owner, seed));
    assert.ok(parsed.owner.equals(owner) && parsed.seed.equals(seed));
    assert.throws(() => parseInvite('abc'), { code: 'BAD_INVITE' });
  });
});

describe('sandbox', () => {
  test('readable paths: each once, none inside another (Node 20 aborts on some overlaps)', async () => {
    const { readablePaths } = await import('../dist/p2p/sandbox.js');
    assert.deepEqual(readablePaths(['/a/b', '/a', '/a/b/c', '/ab', '/a/']), ['/a', '/ab']);
    assert.deepEqual(readablePaths(['/srv/data', '/srv/data2']), ['/srv/data', '/srv/data2']);
  });

  test('a denial names the sandbox and the permission; other errors, and unsandboxed ones, are left alone', async () => {
    const { explainDenial } = await import('../dist/p2p/sandbox-denial.js');
    const denied = Object.assign(new Error('Access to this API has been restricted'), { code: 'ERR_ACCESS_DENIED', permission: 'FileSystemRead', resource: '/etc/passwd' });
    assert.match(explainDenial(denied, 'offline'), /sandboxed .*reading files outside .* is not allowed \(\/etc\/passwd\) \[permission FileSystemRead\]/);
    assert.equal(explainDenial(denied, 'none'), null);
    const offline = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENETUNREACH' } });
    assert.match(explainDenial(offline, 'offline'), /no network here \(ENETUNREACH\).*--allow-net/);
    assert.equal(explainDenial(offline, 'net'), null, 'with --allow-net a network error is just that');
    assert.match(explainDenial(Object.assign(new Error('x'), { code: 'ERR_DLOPEN_DISABLED' }), 'net'), /native addons/);
    assert.equal(explainDenial(new RangeError('no'), 'offline'), null);
  });
});
