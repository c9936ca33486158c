/** A user's identity: an ed25519 key pair made on first use, and a name (a petname others may give too). */
import crypto, { type KeyPair } from 'hypercore-crypto';
import { userInfo } from 'node:os';
import { Tsp2pError } from '../errors.js';
import { createPrivateFileOnce, homePath, readJson, secureHome, writePrivateJson } from './home.js';
import { decodeKey, encodeKey } from './keys.js';

export interface Identity {
  name: string;
  keyPair: KeyPair;
  /** z32 */
  key: string;
}

interface IdentityFile {
  name: string;
  publicKey: string;
  secretKey: string;
}

const NAME = /^[a-z0-9][a-z0-9_.-]{0,31}$/i;

export function validateName(name: string, what = 'name'): string {
  if (!NAME.test(name)) throw Tsp2pError.USAGE(`"${name}" is not a valid ${what}: use 1-32 letters, digits, '.', '_' or '-'`);
  return name;
}

function defaultName(): string {
  try {
    const name = userInfo().username.toLowerCase().replace(/[^a-z0-9_.-]/g, '');
    return NAME.test(name) ? name : 'me';
  } catch {
    return 'me';
  }
}

export function identityFile(): string {
  return homePath('identity.json');
}

/**
 * Loads the identity from $TSP2P_HOME, creating it (key pair, mode 0600) on first use. Creation is atomic:
 * processes started together on a fresh home (a worker and a notebook, say) all end up with the same key.
 */
export function loadIdentity(): Identity {
  secureHome();
  const file = identityFile();
  const stored = readJson<IdentityFile>(file);
  if (!stored) {
    const keyPair = crypto.keyPair();
    const fresh: IdentityFile = { name: defaultName(), publicKey: encodeKey(keyPair.publicKey), secretKey: keyPair.secretKey.toString('hex') };
    // Lost the race: another process made it first; fall through to read theirs.
    if (createPrivateFileOnce(file, JSON.stringify(fresh, null, 2) + '\n')) return { name: fresh.name, keyPair, key: fresh.publicKey };
    return loadIdentity();
  }
  const keyPair = { publicKey: decodeKey(stored.publicKey), secretKey: Buffer.from(stored.secretKey, 'hex') };
  if (keyPair.secretKey.length !== 64 || !keyPair.secretKey.subarray(32).equals(keyPair.publicKey)) {
    throw Tsp2pError.BAD_IDENTITY(file);
  }
  return { name: stored.name, keyPair, key: stored.publicKey };
}

function saveIdentity(identity: Identity): void {
  writePrivateJson(identityFile(), { name: identity.name, publicKey: identity.key, secretKey: identity.keyPair.secretKey.toString('hex') } satisfies IdentityFile);
}

export function setIdentityName(name: string): Identity {
  const identity = { ...loadIdentity(), name: validateName(name) };
  saveIdentity(identity);
  return identity;
}
