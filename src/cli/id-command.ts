/** `tsp2p id` and `tsp2p friends`: your identity and your friends book. */
import { Tsp2pError } from '../errors.js';
import type { Command } from './command.js';
import { say, str } from './common.js';

export const idCommand: Command = {
  spec: {
    name: 'tsp2p id',
    summary: 'Show your name and public key (made on first use, in $TSP2P_HOME, default ~/.tsp2p).',
    options: [
      { name: 'name', type: 'string', placeholder: 'NAME', description: 'set your name (what friends will likely call you)' },
      { name: 'json', type: 'boolean', description: 'print {"name": ..., "key": ...}' },
    ],
    epilog: ['Give your key to friends: they run `tsp2p friends add YOURNAME KEY`.'],
  },
  async run({ options }) {
    const { loadIdentity, setIdentityName } = await import('../p2p/identity.js');
    const name = str(options.name);
    const me = name ? setIdentityName(name) : loadIdentity();
    if (options.json) say(JSON.stringify({ name: me.name, key: me.key }));
    else say(`${me.name} ${me.key}`);
    return 0;
  },
};

export const friendsCommand: Command = {
  spec: {
    name: 'tsp2p friends',
    summary: 'Manage your friends book: names for public keys (used by --users and OWNER/NAME).',
    positionals: [
      { name: 'ACTION', description: 'list (default), add NAME KEY, or rm NAME', optional: true },
      { name: 'ARGS', description: 'NAME [KEY]', optional: true, variadic: true },
    ],
    options: [{ name: 'json', type: 'boolean', description: 'list as JSON' }],
  },
  async run({ options, positionals }) {
    const { addFriend, listFriends, removeFriend } = await import('../p2p/friends.js');
    const [action = 'list', ...args] = positionals;
    if (action === 'list') {
      const friends = listFriends();
      if (options.json) say(JSON.stringify(friends));
      else if (friends.length === 0) say('no friends yet: add one with `tsp2p friends add NAME KEY`');
      else for (const f of friends) say(`${f.name.padEnd(16)} ${f.key}`);
      return 0;
    }
    if (action === 'add') {
      const [name, key] = args;
      if (!name || !key) throw Tsp2pError.USAGE('usage: tsp2p friends add NAME KEY   (they print KEY with `tsp2p id`)');
      const added = addFriend(name, key);
      say(added.replaced ? `updated ${name}: ${added.key} (was ${added.replaced})` : `added ${name}: ${added.key}`);
      return 0;
    }
    if (action === 'rm' || action === 'remove') {
      const [name] = args;
      if (!name) throw Tsp2pError.USAGE('usage: tsp2p friends rm NAME');
      if (!removeFriend(name)) throw Tsp2pError.NOT_A_FRIEND(name);
      say(`removed ${name}`);
      return 0;
    }
    throw Tsp2pError.USAGE(`unknown action "${action}": use list, add NAME KEY, or rm NAME`);
  },
};
