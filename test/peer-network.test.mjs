// Two processes' worth of PeerNetwork (a client and a worker of one personal cluster) on a local testnet,
// started at the same instant again and again, so both dial each other at once. Neither may take the
// redundant connection's retirement as the other leaving, and a frame sent the moment they connect must
// arrive exactly once, whichever connection carries it.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import DHT from 'hyperdht';
import createTestnet from 'hyperdht/testnet.js';
import { skipUnlessNetns } from './helpers/cluster.mjs';

process.env.TSP2P_HOME = mkdtempSync(path.join(tmpdir(), 'tsp2p-pn-'));
const { loadIdentity } = await import('../dist/p2p/identity.js');
const { personalRoster } = await import('../dist/p2p/membership.js');
const { PeerNetwork } = await import('../dist/p2p/peer-network.js');
const { ROLE } = await import('../dist/p2p/protocol.js');

let testnet;
before(async () => {
  if (!skipUnlessNetns) testnet = await createTestnet(3);
});
after(() => testnet?.destroy());

async function until(predicate, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a client and a worker dialling each other at once keep one connection, lose no frame and never see the other leave', { skip: skipUnlessNetns, timeout: 120_000 }, async () => {
  const me = loadIdentity();
  const roster = personalRoster(me);
  let replaced = 0;
  for (let round = 0; round < 12; round++) {
    const dhts = [new DHT({ bootstrap: testnet.bootstrap, ephemeral: true }), new DHT({ bootstrap: testnet.bootstrap, ephemeral: true })];
    await Promise.all(dhts.map((d) => d.ready()));
    const [client, worker] = [ROLE.client, ROLE.worker].map((roles, i) => new PeerNetwork({ dht: dhts[i], identity: me, roster, roles, slots: 1 }));
    const closes = [];
    const probes = [0, 0];
    [client, worker].forEach((network, i) => {
      network.on('close', (peer) => closes.push(`${i}: ${peer.hello.user}`));
      network.on('replaced', () => (replaced += 1));
      // Sent the moment the peer appears: possibly on the connection about to be retired.
      network.on('peer', (peer) => peer.channel.send('cancel', { id: `probe-${round}` }));
      network.handle({ cancel: (_peer, frame) => frame.id === `probe-${round}` && (probes[i] += 1) });
    });
    try {
      await Promise.all([client.start(), worker.start()]);
      await until(() => probes[0] === 1 && probes[1] === 1, `round ${round}: probe frames (got ${probes}; closes: ${closes})`);
      // Long enough for a retired connection to end on both sides (a retirement is a round trip).
      const settle = Date.now() + 1_500;
      while (Date.now() < settle) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(closes, [], `round ${round}: a retired connection was taken as the peer leaving`);
      assert.deepEqual(probes, [1, 1], `round ${round}`);
      assert.equal(client.peers.length, 1);
      assert.equal(worker.peers.length, 1);
    } finally {
      await Promise.all([client.stop(), worker.stop()]);
      await Promise.all(dhts.map((d) => d.destroy()));
    }
  }
  process.stderr.write(`# simultaneous dials: ${replaced} connection(s) retired in 12 rounds\n`);
});

test('heartbeats: neither side sends a message; the client\'s UDX probes and the worker\'s acknowledgements are the signs of life, whether or not the worker holds the client\'s tasks, and both stay connected', { skip: skipUnlessNetns, timeout: 60_000 }, async () => {
  // (A worker heeding a vanished client's silence while it holds its tasks: heal.test.mjs.)
  const me = loadIdentity();
  const roster = personalRoster(me);
  const dhts = [new DHT({ bootstrap: testnet.bootstrap, ephemeral: true }), new DHT({ bootstrap: testnet.bootstrap, ephemeral: true })];
  await Promise.all(dhts.map((d) => d.ready()));
  const [client, worker] = [ROLE.client, ROLE.worker].map((roles, i) => new PeerNetwork({ dht: dhts[i], identity: me, roster, roles, slots: 1 }));
  const sent = [{}, {}];
  [client, worker].forEach((network, i) => {
    network.on('peer', (peer) => {
      const send = peer.channel.send.bind(peer.channel);
      peer.channel.send = (name, frame) => {
        sent[i][name] = (sent[i][name] ?? 0) + 1;
        return send(name, frame);
      };
    });
  });
  let holds = false;
  worker.heedSilenceOf(() => holds);
  try {
    await Promise.all([client.start(), worker.start()]);
    await until(() => client.peers.length === 1 && worker.peers.length === 1, 'connection');
    for (const heeding of [false, true]) {
      holds = heeding;
      worker.heedNow();
      sent[0] = {};
      sent[1] = {};
      const packets = () => [client, worker].map((network) => network.peers[0].socket.rawStream.packetsReceived);
      const before = packets();
      const counted = Date.now() + 2_000;
      while (Date.now() < counted) await new Promise((r) => setTimeout(r, 50));
      const [toClient, toWorker] = packets().map((n, i) => n - before[i]);
      assert.deepEqual(sent, [{}, {}], 'no message either way: no ping, no pong');
      // Probes after each 0.5 s without traffic (3-4 in 2 s), each acknowledged by the worker's UDX.
      assert.ok(toWorker >= 3 && toWorker <= 6, `probes the worker got: ${toWorker}`);
      assert.ok(toClient >= 3 && toClient <= 6, `acknowledgements the client got: ${toClient}`);
    }
    // 4 s without a frame from the worker, yet it was never taken for silent (silence is 1.5 s).
    assert.equal(client.peers.length, 1);
    assert.equal(worker.peers.length, 1);
  } finally {
    await Promise.all([client.stop(), worker.stop()]);
    await Promise.all(dhts.map((d) => d.destroy()));
  }
});
