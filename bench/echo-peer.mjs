// The baseline's other end: a plain Hyperswarm peer on TOPIC that echoes what it gets, or, asked with the
// single byte 0xff followed by a uint32 N, sends N bytes one way. Run by bench/p2p.mjs.
import Hyperswarm from 'hyperswarm';

const [bootstrap, topicHex] = process.argv.slice(2);
const [host, port] = bootstrap.split(':');
const swarm = new Hyperswarm({ bootstrap: [{ host, port: Number(port) }] });
swarm.on('connection', (socket) => {
  socket.on('error', () => {});
  socket.on('data', (data) => {
    if (data.length === 5 && data[0] === 0xff) {
      let left = data.readUInt32BE(1);
      const chunk = Buffer.alloc(64 * 1024, 7);
      const pump = () => {
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return socket.once('drain', pump);
        }
      };
      pump();
    } else socket.write(data);
  });
});
await swarm.join(Buffer.from(topicHex, 'hex'), { server: true, client: false }).flushed();
process.stdout.write('ready\n');
