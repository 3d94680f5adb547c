import { watchForStuckClient } from '../../src/store/mongo-watchdog';

/** Pure logic with injected round trips and clock; the real client's failure mode is in the file's comment. */
function harness(own: () => boolean, fresh: () => boolean) {
  let t = 0;
  const stuck: number[] = [];
  const watch = watchForStuckClient({
    ping: async () => {
      if (!own()) throw new Error('server selection timed out');
    },
    freshPing: async () => {
      if (!fresh()) throw new Error('connect ECONNREFUSED');
    },
    onStuck: (ms) => stuck.push(ms),
    everyMs: 60_000,
    stuckAfterMs: 20_000,
    now: () => t,
  });
  const at = async (ms: number) => {
    t = ms;
    await watch.tick();
  };
  return { watch, stuck, at };
}

describe('watchForStuckClient', () => {
  it('a client failing for 20 s while a new client connects is stuck', async () => {
    const { watch, stuck, at } = harness(
      () => false,
      () => true,
    );
    await at(0);
    await at(10_000);
    expect(stuck).toEqual([]);
    await at(20_000);
    expect(stuck).toEqual([20_000]);
    watch.stop();
  });

  it('a server that is really down is waited for, however long', async () => {
    const { watch, stuck, at } = harness(
      () => false,
      () => false,
    );
    for (let s = 0; s <= 300; s += 5) await at(s * 1000);
    expect(stuck).toEqual([]);
    watch.stop();
  });

  it('a client that recovers starts the count again', async () => {
    let ownWorks = false;
    const { watch, stuck, at } = harness(
      () => ownWorks,
      () => true,
    );
    await at(0);
    await at(15_000);
    ownWorks = true;
    await at(16_000);
    ownWorks = false;
    await at(17_000);
    await at(30_000);
    expect(stuck).toEqual([]);
    await at(37_000);
    expect(stuck).toEqual([20_000]);
    watch.stop();
  });
});
