// The test etcd cluster is real: three members, a key written through one is read through another, a member can die.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import { startEtcdCluster, type EtcdCluster } from '../helpers/etcd-cluster.js';

describe('the test etcd cluster', () => {
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await startEtcdCluster(3);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('comes up with three members and a key written through one member is read through another', async () => {
    const first = new Etcd3({ hosts: [cluster.endpoints[0]!] });
    const third = new Etcd3({ hosts: [cluster.endpoints[2]!] });
    try {
      await first.put('greeting').value('hello from member 1');
      expect(await third.get('greeting').string()).toBe('hello from member 1');
      const members = await first.cluster.memberList({});
      expect(members.members).toHaveLength(3);
    } finally {
      first.close();
      third.close();
    }
  });

  it('keeps quorum with one member killed, and the member rejoins when restarted', async () => {
    await cluster.kill(1);
    const client = new Etcd3({ hosts: [cluster.endpoints[0]!, cluster.endpoints[2]!] });
    try {
      await client.put('during').value('two of three');
      await cluster.restart(1);
      const back = new Etcd3({ hosts: [cluster.endpoints[1]!] });
      try {
        expect(await back.get('during').string()).toBe('two of three');
      } finally {
        back.close();
      }
    } finally {
      client.close();
    }
  });
});
