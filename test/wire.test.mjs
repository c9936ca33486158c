// Unit tests of the Jupyter wire format: signing, framing, parsing, and what happens to bad input.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { newHeader, replyTo, replyTypeOf } from '../dist/jupyter/messages.js';
import { DELIMITER, parse, serialize, Signer } from '../dist/jupyter/wire.js';
import { validateConnection, endpoint } from '../dist/jupyter/connection.js';

const signer = new Signer('hmac-sha256', 'secret-key');

function message(content = { code: '1 + 1' }) {
  return { ids: [Buffer.from('client-1')], header: newHeader('execute_request', 'sess'), parent_header: {}, metadata: {}, content, buffers: [Buffer.from([1, 2, 3])] };
}

test('signature is the HMAC-SHA256 of header, parent, metadata and content, hex', () => {
  const frames = serialize(message(), signer);
  const at = frames.findIndex((f) => f.equals(DELIMITER));
  assert.equal(at, 1);
  const expected = createHmac('sha256', 'secret-key');
  for (const f of frames.slice(at + 2, at + 6)) expected.update(f);
  assert.equal(frames[at + 1].toString(), expected.digest('hex'));
});

test('serialize then parse gives the same message, routing ids and buffers included', () => {
  const msg = message({ code: 'const é = "ü";', n: 1 });
  const parsed = parse(serialize(msg, signer), signer);
  assert.deepEqual(parsed.ids, msg.ids);
  assert.deepEqual(parsed.header, msg.header);
  assert.deepEqual(parsed.content, msg.content);
  assert.deepEqual(parsed.buffers, msg.buffers);
});

test('a message signed with another key is refused with BAD_SIGNATURE', () => {
  const forged = serialize(message(), new Signer('hmac-sha256', 'wrong-key'));
  assert.throws(() => parse(forged, signer), { code: 'BAD_SIGNATURE' });
});

test('a tampered content frame is refused, as is a truncated signature', () => {
  const frames = serialize(message(), signer);
  const tampered = [...frames];
  tampered[5] = Buffer.from(JSON.stringify({ code: 'process.exit()' }));
  assert.throws(() => parse(tampered, signer), { code: 'BAD_SIGNATURE' });
  const short = [...frames];
  short[2] = short[2].subarray(0, 10);
  assert.throws(() => parse(short, signer), { code: 'BAD_SIGNATURE' });
});

test('malformed frames are refused with BAD_FRAMES, never another error', () => {
  assert.throws(() => parse([Buffer.from('x')], signer), { code: 'BAD_FRAMES' });
  const frames = serialize(message(), signer);
  assert.throws(() => parse(frames.slice(0, 4), signer), { code: 'BAD_FRAMES' });
  const open = new Signer('hmac-sha256', '');
  const notJson = [DELIMITER, Buffer.from(''), Buffer.from('{'), Buffer.from('{}'), Buffer.from('{}'), Buffer.from('{}')];
  assert.throws(() => parse(notJson, open), { code: 'BAD_FRAMES' });
  const noHeader = [DELIMITER, Buffer.from(''), Buffer.from('{}'), Buffer.from('{}'), Buffer.from('{}'), Buffer.from('{}')];
  assert.throws(() => parse(noHeader, open), { code: 'BAD_FRAMES' });
  const array = [DELIMITER, Buffer.from(''), Buffer.from('[]'), Buffer.from('{}'), Buffer.from('{}'), Buffer.from('{}')];
  assert.throws(() => parse(array, open), { code: 'BAD_FRAMES' });
});

test('an empty key means unsigned messages, as the spec allows', () => {
  const open = new Signer('hmac-sha256', '');
  const frames = serialize(message(), open);
  assert.equal(frames[2].toString(), '');
  assert.equal(parse(frames, open).header.msg_type, 'execute_request');
});

test('unknown signature schemes are refused up front', () => {
  assert.throws(() => new Signer('hmac-md5', 'k'), { code: 'BAD_SIGNATURE_SCHEME' });
  assert.doesNotThrow(() => new Signer('hmac-sha512', 'k'));
});

test('replies are derived from their request', () => {
  assert.equal(replyTypeOf('execute_request'), 'execute_reply');
  assert.equal(replyTypeOf('comm_info_request'), 'comm_info_reply');
  assert.throws(() => replyTypeOf('stream'));
  const request = message();
  const reply = replyTo(request, 'shell', { status: 'ok' });
  assert.equal(reply.msgType, 'execute_reply');
  assert.equal(reply.parent, request);
});

test('connection files are validated and endpoints built for tcp and ipc', () => {
  const info = validateConnection({ ip: '127.0.0.1', key: 'k', shell_port: 1, control_port: 2, stdin_port: 3, iopub_port: 4, hb_port: 5 });
  assert.equal(info.transport, 'tcp');
  assert.equal(info.signature_scheme, 'hmac-sha256');
  assert.equal(endpoint(info, 'iopub'), 'tcp://127.0.0.1:4');
  assert.equal(endpoint({ ...info, transport: 'ipc', ip: '/tmp/k' }, 'hb'), 'ipc:///tmp/k-5');
  assert.throws(() => validateConnection({ ip: '127.0.0.1', key: 'k' }), { code: 'BAD_CONNECTION_FILE' });
});
