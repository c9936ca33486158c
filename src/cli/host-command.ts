/** `tsp2p host`: say who may use one of your clusters, and serve that list while running. */
import { Tsp2pError } from '../errors.js';
import { tellParent } from '../background.js';
import { listOf, requiredNumber } from '../options.js';
import type { Command } from './command.js';
import { bootstrapOption, say, str, untilSignal } from './common.js';

export const hostCommand: Command = {
  spec: {
    name: 'tsp2p host',
    summary: 'Host one of your clusters: sign who may use it and hand that roster to members. No task traffic passes through the host.',
    options: [
      { name: 'cluster', type: 'string', placeholder: 'YOU/NAME', description: 'the cluster, owned by you (e.g. alice/friends)' },
      { name: 'users', type: 'list', placeholder: 'A,B,...', description: 'who may use it (names from your friends book); unknown names get invite codes' },
      { name: 'duration', type: 'duration', placeholder: 'D', description: 'how long the roster stays valid without the host (a running host re-signs it when half is left)', default: '1d' },
      { name: 'relay', type: 'boolean', description: 'also relay members who cannot reach each other directly (both behind port-randomizing NATs); for a host with a reachable address. The relay sees ciphertext only and serves members only' },
      bootstrapOption,
    ],
    epilog: [
      'Re-run with a shorter --users list to revoke access: it takes effect at once on every peer connected to the',
      'host or to a peer that has the new roster; a peer that restarts while the host is offline uses the roster it',
      'stored (and warns) until it meets one that has the new roster, or until its roster expires (--duration).',
      'Example: tsp2p host --users=bob,carol,diana --cluster=alice/friends',
    ],
  },
  async run({ options }) {
    const { loadIdentity } = await import('../p2p/identity.js');
    const { planHosting } = await import('../p2p/hosting.js');
    const { HostService } = await import('../p2p/host.js');
    const { createDht } = await import('../p2p/node.js');
    const { encodeKey } = await import('../p2p/keys.js');
    const me = loadIdentity();
    const cluster = str(options.cluster);
    if (!cluster) throw Tsp2pError.USAGE('tsp2p host needs --cluster=YOU/NAME (and --users=...)');
    const [owner, name] = cluster.split('/');
    if (!owner || !name) throw Tsp2pError.BAD_CLUSTER_NAME(cluster);
    if (owner !== me.name) throw Tsp2pError.USAGE(`you can only host your own clusters: ${me.name}/${name}, not ${cluster} (your name is ${me.name}; change it with \`tsp2p id --name\`)`);
    const users = listOf(options.users);
    const plan = planHosting(me, name, users, requiredNumber(options, 'duration'));
    const members = plan.hosted.members.map((m) => m.name);
    // What it says is also told, as it is, to a notebook that started it (tellParent below).
    const said: string[] = [];
    const tell = (line: string) => {
      said.push(line);
      say(line);
    };
    tell(`hosting ${cluster}: members ${[me.name, ...members].join(', ')} (roster version ${plan.roster.seq}, valid until ${new Date(plan.roster.expires).toISOString()})`);
    if (plan.removed.length) tell(`removed ${plan.removed.join(', ')}: they lose access now (the cluster moves to a new secret topic)`);
    for (const invite of plan.invites) {
      tell(`${invite.name} is not in your friends book. Send ${invite.name} this one-time invite:`);
      tell(`  tsp2p join ${cluster} --invite ${invite.code}`);
      tell(`  (or add their key with \`tsp2p friends add ${invite.name} KEY\` and host again)`);
    }
    const dht = createDht(str(options.bootstrap), { serving: true });
    await dht.ready();
    const host = new HostService(dht, me, name, { onJoined: (_c, who) => say(`${who} joined ${cluster} with an invite`) }, { relay: options.relay === true });
    await host.start();
    const relay = host.relayKey ? `, relaying for members (relay key ${encodeKey(host.relayKey)})` : '';
    const up = `host of ${cluster} is up (key ${me.key})${relay}`;
    say(`${up}; Ctrl-C stops it (members keep working meanwhile)`);
    tellParent({ kind: 'up', cluster, said: [...said, up] });
    await untilSignal();
    await host.close();
    await dht.destroy();
    say('host stopped');
    return 0;
  },
};
