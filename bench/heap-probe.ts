/**
 * `node --experimental-websocket dist-bench/bench/heap-probe.js PORT`: the live JavaScript heap
 * of the Node process whose inspector listens on 127.0.0.1:PORT — a full garbage collection
 * first, then `Runtime.getHeapUsage` — printed as `{"usedBytes":…,"totalBytes":…}`.
 *
 * RSS alone cannot tell a leak from V8 growing its heap to the working size under load (the API's
 * RSS saws between 170 and 270 MB at steady load); the heap that survives a full collection can.
 * A separate short-lived process because Node 20 has WebSocket (for the inspector protocol) only
 * behind that flag.
 */
interface Reply {
  id?: number;
  result?: { usedSize?: number; totalSize?: number };
  error?: { message?: string };
}

async function main(): Promise<void> {
  const port = Number(process.argv[2]);
  if (!Number.isInteger(port) || port <= 0) throw new Error('usage: heap-probe.js INSPECTOR_PORT');
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{
    webSocketDebuggerUrl?: string;
  }>;
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target on port ${port}`);

  const socket = new WebSocket(url);
  const pending = new Map<number, (reply: Reply) => void>();
  let nextId = 1;
  const call = (method: string): Promise<Reply> =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      socket.send(JSON.stringify({ id, method }));
    });
  socket.addEventListener('message', (event) => {
    const reply = JSON.parse(String(event.data)) as Reply;
    if (reply.id !== undefined) pending.get(reply.id)?.(reply);
  });
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve());
    socket.addEventListener('error', () => reject(new Error(`cannot connect to ${url}`)));
  });
  await call('HeapProfiler.collectGarbage');
  const usage = await call('Runtime.getHeapUsage');
  socket.close();
  if (usage.error || usage.result?.usedSize === undefined) {
    throw new Error(`Runtime.getHeapUsage failed: ${usage.error?.message ?? 'no result'}`);
  }
  console.log(JSON.stringify({ usedBytes: usage.result.usedSize, totalBytes: usage.result.totalSize }));
}

const timer = setTimeout(() => {
  console.error('heap probe timed out');
  process.exit(2);
}, 15_000);
main().then(
  () => {
    clearTimeout(timer);
    process.exit(0);
  },
  (error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  },
);
