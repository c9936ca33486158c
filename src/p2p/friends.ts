/** The friends book: petnames → public keys, like SSH's known_hosts. Names in --users resolve through it. */
import { Tsp2pError } from '../errors.js';
import { homePath, readJson, writePrivateJson } from './home.js';
import { validateName, type Identity } from './identity.js';
import { decodeKey, encodeKey } from './keys.js';

type Book = Record<string, string>;

function file(): string {
  return homePath('friends.json');
}

export function listFriends(): { name: string; key: string }[] {
  return Object.entries(readJson<Book>(file()) ?? {})
    .map(([name, key]) => ({ name, key }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function addFriend(name: string, keyText: string): { name: string; key: string; replaced: string | null } {
  validateName(name, 'friend name');
  const key = encodeKey(decodeKey(keyText));
  const book = readJson<Book>(file()) ?? {};
  const existing = Object.entries(book).find(([n, k]) => k === key && n !== name);
  if (existing) throw Tsp2pError.DUPLICATE_FRIEND(existing[0]);
  const replaced = book[name] && book[name] !== key ? (book[name] as string) : null;
  book[name] = key;
  writePrivateJson(file(), book);
  return { name, key, replaced };
}

export function removeFriend(name: string): boolean {
  const book = readJson<Book>(file()) ?? {};
  if (!(name in book)) return false;
  delete book[name];
  writePrivateJson(file(), book);
  return true;
}

/** The key of `name`: yourself, a friend, or a z32 key written out. Throws UNKNOWN_USER otherwise. */
export function resolveUser(name: string, me: Identity): Buffer {
  if (name === me.name || name === 'me') return me.keyPair.publicKey;
  const key = (readJson<Book>(file()) ?? {})[name];
  if (key) return decodeKey(key);
  if (name.length === 52) return decodeKey(name);
  throw Tsp2pError.UNKNOWN_USER(name);
}

/** The petname of a key, for display: yours, a friend's, or a short key. */
export function nameOfKey(key: Buffer, me: Identity): string | null {
  if (key.equals(me.keyPair.publicKey)) return me.name;
  const z = encodeKey(key);
  return Object.entries(readJson<Book>(file()) ?? {}).find(([, k]) => k === z)?.[0] ?? null;
}
