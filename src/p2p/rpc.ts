/**
 * One request and one response over a HyperDHT connection, in a protomux channel of their own: how a member
 * asks the owner's host for the roster, and how an invitee redeems an invite.
 */
import type { KeyPair } from 'hypercore-crypto';
import type DHT from 'hyperdht';
import type { SecretStream } from 'hyperdht';
import Protomux from 'protomux';
import { Tsp2pError, messageOf } from '../errors.js';
import { createLogger } from '../log.js';
import { c, decode, encode, struct, type Encoder, type StructOf } from './codec.js';

const log = createLogger('rpc');
type Fields = Record<string, Encoder<never, unknown>>;

export async function request<Q extends Fields, R extends Fields>(
  dht: DHT,
  remote: Buffer,
  keyPair: KeyPair,
  protocol: string,
  requestFields: Q,
  responseFields: R,
  value: StructOf<Q>,
  timeoutMs: number,
): Promise<StructOf<R>> {
  const socket = dht.connect(remote, { keyPair });
  try {
    return await new Promise<StructOf<R>>((resolve, reject) => {
      let opened = false;
      socket.once('open', () => (opened = true));
      // Not connected yet is another story than connected and not answered: crossing NATs can take seconds.
      const timer = setTimeout(() => reject(opened ? Tsp2pError.TIMEOUT(`an answer from ${protocol}`, timeoutMs) : Tsp2pError.STILL_CONNECTING(timeoutMs)), timeoutMs);
      socket.on('error', (err: Error) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.on('close', () => {
        clearTimeout(timer);
        reject(Tsp2pError.CLOSED(`the ${protocol} connection`));
      });
      const mux = Protomux.from(socket);
      const ch = mux.createChannel({ protocol });
      const message = ch.addMessage({
        encoding: c.raw as unknown as Encoder<Uint8Array>,
        onmessage: (raw: Uint8Array) => {
          clearTimeout(timer);
          try {
            resolve(decode(struct(responseFields), raw, `${protocol} response`) as StructOf<R>);
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        },
      });
      ch.open();
      message.send(encode(struct(requestFields) as Encoder<StructOf<Q>>, value));
    });
  } finally {
    socket.destroy();
  }
}

/** Answers each request on `socket` with `handler`'s response; malformed requests are logged and dropped. */
export function serve<Q extends Fields, R extends Fields>(
  socket: SecretStream,
  protocol: string,
  requestFields: Q,
  responseFields: R,
  handler: (value: StructOf<Q>, socket: SecretStream) => Promise<StructOf<R>>,
): void {
  socket.on('error', (err: Error) => log.debug(`${protocol}: ${err.message}`));
  const ch = Protomux.from(socket).createChannel({ protocol });
  const message = ch.addMessage({
    encoding: c.raw as unknown as Encoder<Uint8Array>,
    onmessage: (raw: Uint8Array) => void answer(raw),
  });
  async function answer(raw: Uint8Array): Promise<void> {
    let value: StructOf<Q>;
    try {
      value = decode(struct(requestFields), raw, `${protocol} request`) as StructOf<Q>;
    } catch (err) {
      log.warn(`${protocol}: dropped a malformed request: ${messageOf(err)}`);
      return;
    }
    try {
      message.send(encode(struct(responseFields) as Encoder<StructOf<R>>, await handler(value, socket)));
    } catch (err) {
      log.error(`${protocol}: ${messageOf(err)}`);
      socket.destroy();
    }
  }
  ch.open();
}
