/**
 * Summarises V8 .cpuprofile files (from `node --cpu-prof` or `npm run bench -- --profile PHASE`):
 * time by area (package / tokenpay source / Node internals / GC / idle), then the top functions
 * by self time and by inclusive time.
 *
 *   node dist-bench/bench/cpuprofile-top.js FILE.cpuprofile [MORE...] [--top 25]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const ROOT = path.resolve(__dirname, '..', '..');

/** Where a function lives: an npm package, tokenpay's source, the bench, Node itself, or a V8 pseudo-node. */
export function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/dist-bench/src/') || url.includes('/src/')) {
    const match = /\/src\/([^/]+)/.exec(url);
    return `tokenpay src/${match?.[1] ?? '?'}`;
  }
  if (url.includes('/dist-bench/bench/')) return 'bench driver';
  if (url.includes('webpack') || url.includes('workflow-bundle')) return 'workflow bundle';
  return url.length > 60 ? `…${url.slice(-60)}` : url;
}

function label(frame: CallFrame): string {
  const file = frame.url ? frame.url.replace(`file://${ROOT}/`, '').replace(/^.*node_modules\//, '') : '';
  return `${frame.functionName || '(anonymous)'} ${file ? `${file}:${frame.lineNumber + 1}` : ''}`.trim();
}

export function summarise(profile: CpuProfile, top: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const areas = new Map<string, number>();
  let total = 0;
  let idle = 0;
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    // the delta after a sample is the time spent in it
    const dt = (i + 1 < timeDeltas.length ? timeDeltas[i + 1]! : 0) / 1000;
    const node = byId.get(samples[i]!);
    if (!node) continue;
    total += dt;
    const frame = node.callFrame;
    if (frame.functionName === '(idle)') idle += dt;
    const key = label(frame);
    self.set(key, (self.get(key) ?? 0) + dt);
    const area = areaOf(frame);
    areas.set(area, (areas.get(area) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id)!.callFrame;
      if (f.functionName === '(root)') continue;
      const k = label(f);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
  }
  const busy = total - idle;
  const pct = (ms: number): string => `${((ms / busy) * 100).toFixed(1).padStart(5)}%`;
  const rows = (m: Map<string, number>, n: number): string[] =>
    [...m.entries()]
      .filter(([k]) => !k.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, ms]) => `  ${ms.toFixed(0).padStart(7)} ms ${pct(ms)}  ${k}`);
  return [
    `profile: ${(total / 1000).toFixed(1)} s sampled, ${(idle / 1000).toFixed(1)} s idle, ` +
      `${(busy / 1000).toFixed(1)} s busy (percentages are of busy time)`,
    'by area (self time):',
    ...rows(areas, top),
    'top functions by self time:',
    ...rows(self, top),
    'top functions by inclusive time:',
    ...rows(inclusive, top),
  ].join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  let top = 25;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--top') top = Number(args[++i]) || top;
    else files.push(args[i]!);
  }
  if (files.length === 0) {
    console.error('usage: node dist-bench/bench/cpuprofile-top.js FILE.cpuprofile [MORE...] [--top N]');
    process.exit(2);
  }
  for (const file of files) {
    const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
    console.log(`== ${file}`);
    console.log(summarise(profile, top));
  }
}
