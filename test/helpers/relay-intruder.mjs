// Someone who is not a member and learned a relay's key (it is printed by `tsp2p host --relay`): dials the
// relay directly, as hyperdht does for `relayThrough`, and tries to have a stream paired. Prints JSON:
// whether the connection opened and whether a pairing was answered. Used by test/nat.test.mjs.
import { Client } from 'blind-relay';
import crypto from 'hypercore-crypto';
import DHT from 'hyperdht';
import idEncoding from 'hypercore-id-encoding';

const [relayKey, bootstrap] = process.argv.slice(2);
const dht = new DHT({ bootstrap: [bootstrap], ephemeral: true });
await dht.ready();
const socket = dht.connect(idEncoding.decode(relayKey), { keyPair: crypto.keyPair() });
const outcome = { opened: false, paired: false, error: null };
socket.on('open', () => {
  outcome.opened = true;
  const client = Client.from(socket, { id: socket.publicKey });
  const stream = dht.createRawStream();
  client.pair(true, crypto.randomBytes(32), stream).on('data', () => (outcome.paired = true)).on('error', () => {});
});
await new Promise((resolve) => {
  socket.on('error', (err) => (outcome.error = err.code ?? err.message));
  socket.on('close', resolve);
  setTimeout(resolve, 8_000);
});
process.stdout.write(`${JSON.stringify(outcome)}\n`);
socket.destroy();
await dht.destroy();
process.exit(0);
