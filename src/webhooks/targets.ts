/**
 * Where tokenpay may send a merchant's data or a customer's browser. In production a
 * `webhook_url` or `redirect_url` whose host is, or resolves to, an address that is not on the
 * public internet — private (10/8, 172.16/12, 192.168/16, fc00::/7), loopback, link-local (cloud
 * metadata at 169.254.169.254 included), carrier-grade NAT, multicast, reserved, or an IPv6 form
 * that embeds an IPv4 one — is refused: when the payment is created (400) and again on every
 * delivery, where the address actually connected to is the one checked (no DNS rebinding between
 * the check and the connection).
 *
 * An allow-list (`TOKENPAY_ALLOWED_PRIVATE_TARGETS`: CIDRs, addresses or host names) lets
 * development, tests and deliberate internal receivers through.
 */
import dns, { type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

export interface TargetPolicy {
  /** refuse every address that is not public unicast (production) */
  refusePrivate: boolean;
  /** allowed although not public: [network, prefix length] */
  allowedNetworks: ReadonlyArray<[ipaddr.IPv4 | ipaddr.IPv6, number]>;
  /** allowed host names (lower case), whatever they resolve to */
  allowedHosts: ReadonlySet<string>;
}

/** Development: anything reachable is allowed. */
export const OPEN_TARGETS: TargetPolicy = {
  refusePrivate: false,
  allowedNetworks: [],
  allowedHosts: new Set(),
};

export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

/** The system resolver (getaddrinfo: /etc/hosts included), as connections use it. */
export const systemResolver: Resolver = (hostname) =>
  dns.promises.lookup(hostname, { all: true, verbatim: true });

/** Parses the allow-list: comma-separated CIDRs (`10.1.0.0/16`), addresses or host names. */
export function parseAllowedTargets(raw: string): Pick<TargetPolicy, 'allowedNetworks' | 'allowedHosts'> {
  const allowedNetworks: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  const allowedHosts = new Set<string>();
  for (const entry of raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    if (entry.includes('/')) {
      try {
        allowedNetworks.push(ipaddr.parseCIDR(entry));
      } catch {
        throw new Error(`"${entry.slice(0, 60)}" is not a CIDR range (e.g. 10.1.0.0/16 or fd00::/8)`);
      }
    } else if (ipaddr.isValid(entry)) {
      const address = ipaddr.parse(entry);
      allowedNetworks.push([address, address.kind() === 'ipv4' ? 32 : 128]);
    } else if (/^[a-z0-9.-]{1,253}$/i.test(entry)) {
      allowedHosts.add(entry.toLowerCase());
    } else {
      throw new Error(`"${entry.slice(0, 60)}" is neither an address, a CIDR range nor a host name`);
    }
  }
  return { allowedNetworks, allowedHosts };
}

const METADATA = new Set(['169.254.169.254', '169.254.170.2', '100.100.100.200', 'fd00:ec2::254']);

const RANGE_NAMES: Record<string, string> = {
  private: 'a private address',
  loopback: 'a loopback address',
  linkLocal: 'a link-local address',
  uniqueLocal: 'a private (unique local) address',
  carrierGradeNat: 'a carrier-grade NAT address',
  unspecified: 'an unspecified address',
  broadcast: 'a broadcast address',
  multicast: 'a multicast address',
};

/** Why `address` may not be connected to under `policy`, or undefined when it may. */
export function addressProblem(address: string, policy: TargetPolicy): string | undefined {
  if (!policy.refusePrivate) return undefined;
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address); // IPv4-mapped IPv6 becomes the IPv4 address
  } catch {
    return `${address.slice(0, 60)} is not an IP address`;
  }
  if (policy.allowedNetworks.some(([net, bits]) => net.kind() === parsed.kind() && parsed.match(net, bits))) {
    return undefined;
  }
  const normal = parsed.toString();
  if (METADATA.has(normal)) return `${normal} is a cloud metadata address`;
  const range = parsed.range();
  if (range === 'unicast') return undefined;
  return `${normal} is ${RANGE_NAMES[range] ?? `not a public address (${range})`}`;
}

/**
 * Why tokenpay may not send to `rawUrl` under `policy` (checking every address its host resolves
 * to now), or undefined. A host that does not exist is refused; a lookup that fails for another
 * reason (a DNS server not answering) is not held against the URL here: every delivery checks
 * again before it connects.
 */
export async function targetProblem(
  rawUrl: string,
  policy: TargetPolicy,
  resolve: Resolver = systemResolver,
): Promise<string | undefined> {
  if (!policy.refusePrivate) return undefined;
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return 'is not a valid URL';
  }
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (policy.allowedHosts.has(host)) return undefined;
  if (ipaddr.isValid(host)) return describe(addressProblem(host, policy));
  let addresses: LookupAddress[];
  try {
    addresses = await withTimeout(resolve(host), 3_000);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOTFOUND' ? `names a host that does not exist (${host.slice(0, 80)})` : undefined;
  }
  for (const { address } of addresses) {
    const problem = addressProblem(address, policy);
    if (problem) return describe(`${host.slice(0, 80)} resolves to ${problem.replace(/ is /, ', ')}`);
  }
  return undefined;
}

const describe = (problem: string | undefined): string | undefined =>
  problem && `points inside a private network: ${problem}. Use a public address.`;

export class TargetRefusedError extends Error {
  readonly code = 'ETARGETREFUSED';
}

/**
 * A `lookup` for http.request / net.connect that resolves like the system does, then refuses
 * the connection when any address is not allowed: the address checked is the address used.
 */
export function guardedLookup(policy: TargetPolicy, resolve: Resolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    const host = hostname.toLowerCase();
    resolve(hostname)
      .then((all) => {
        const wanted = options.family === 4 || options.family === 6 ? options.family : undefined;
        const addresses = wanted ? all.filter((a) => a.family === wanted) : all;
        if (addresses.length === 0) {
          const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
          throw error;
        }
        if (!policy.allowedHosts.has(host)) {
          for (const { address } of addresses) {
            const problem = addressProblem(address, policy);
            if (problem) throw new TargetRefusedError(`refused to connect to ${hostname}: ${problem}`);
          }
        }
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      })
      .catch((error: NodeJS.ErrnoException) => callback(error, '', 0));
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(Object.assign(new Error('DNS timeout'), { code: 'ETIMEOUT' })), ms).unref(),
    ),
  ]);
}
