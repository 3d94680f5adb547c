/**
 * What tokenpay needs of a Temporal namespace, registered by tokenpay itself on start (API and
 * worker), idempotently and safely when several processes start at once: the namespace (with its
 * retention) and the search attributes of payment workflows (CONTRACT §8), whatever Temporal it
 * is pointed at — the embedded dev server, a self-hosted cluster, Temporal Cloud (where the
 * namespace and attributes are created in the Cloud console or with `tcld`: there this only
 * verifies, and `TOKENPAY_TEMPORAL_SETUP=0` skips it).
 */
import { SearchAttributeType } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';

import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes';

type IndexedValueType = temporal.api.enums.v1.IndexedValueType;
const { IndexedValueType } = temporal.api.enums.v1;

/** The services setup uses: a client `Connection` and a worker's `NativeConnection` both have them. */
export interface TemporalServices {
  workflowService: temporal.api.workflowservice.v1.WorkflowService;
  operatorService: temporal.api.operatorservice.v1.OperatorService;
}

const INDEXED: Record<string, IndexedValueType> = {
  [SearchAttributeType.TEXT]: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.INT]: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.DOUBLE]: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  [SearchAttributeType.BOOL]: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  [SearchAttributeType.DATETIME]: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  [SearchAttributeType.KEYWORD_LIST]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** tokenpay's custom search attributes (workflows/search-attributes.ts) with their indexed types. */
export function searchAttributeTypes(): Map<string, IndexedValueType> {
  return new Map(SEARCH_ATTRIBUTE_KEYS.map((key) => [key.name, INDEXED[key.type]!]));
}

/** `Name=Type` as the `temporal` CLI's `--search-attribute` takes it ("MerchantId=Keyword"). */
export function searchAttributeFlags(): string[] {
  const cliType = (type: string): string =>
    type === SearchAttributeType.KEYWORD_LIST ? 'KeywordList' : type.charAt(0) + type.slice(1).toLowerCase();
  return SEARCH_ATTRIBUTE_KEYS.map((key) => `${key.name}=${cliType(key.type)}`);
}

/**
 * Adds the search attributes a namespace lacks, nothing else: for Temporal's time-skipping test
 * server, which has no namespaces to register and does not list attributes (UNIMPLEMENTED).
 */
export async function addMissingSearchAttributes(
  services: Pick<TemporalServices, 'operatorService'>,
  namespace: string,
): Promise<void> {
  let existing: Record<string, unknown> = {};
  try {
    existing = (await services.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
  } catch (error) {
    if (codeOf(error) !== grpcStatus.UNIMPLEMENTED) throw error;
  }
  for (const [name, type] of searchAttributeTypes()) {
    if (name in existing) continue;
    try {
      await services.operatorService.addSearchAttributes({ namespace, searchAttributes: { [name]: type } });
    } catch (error) {
      if (codeOf(error) !== grpcStatus.ALREADY_EXISTS) throw error; // another process added it
    }
  }
}

export interface SetupOptions {
  namespace: string;
  retentionDays: number;
  /** give up after this long (a namespace just registered takes a few seconds to be usable) */
  timeoutMs?: number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

/** gRPC status codes (google.rpc.Code) */
const grpcStatus = { NOT_FOUND: 5, ALREADY_EXISTS: 6, UNIMPLEMENTED: 12 } as const;
const codeOf = (error: unknown): number | undefined => (error as { code?: number })?.code;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Registers what is missing; resolves when the namespace and every attribute are there. */
export async function ensureTemporalSetup(services: TemporalServices, options: SetupOptions): Promise<void> {
  const { namespace } = options;
  const log = options.log ?? (() => undefined);
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  const wanted = searchAttributeTypes();

  try {
    await services.workflowService.describeNamespace({ namespace });
  } catch (error) {
    if (codeOf(error) !== grpcStatus.NOT_FOUND) throw error;
    try {
      await services.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs(options.retentionDays * 86_400_000),
        description: 'tokenpay payments',
      });
      log('temporal namespace registered', { namespace, retention_days: options.retentionDays });
    } catch (registerError) {
      if (codeOf(registerError) !== grpcStatus.ALREADY_EXISTS) throw registerError; // another process
    }
  }

  for (let attempt = 1; ; attempt++) {
    try {
      const { customAttributes } = await services.operatorService.listSearchAttributes({ namespace });
      const missing = [...wanted].filter(([name]) => customAttributes?.[name] === undefined);
      const wrongType = [...wanted].filter(
        ([name, type]) => customAttributes?.[name] !== undefined && Number(customAttributes[name]) !== type,
      );
      if (wrongType.length > 0) {
        throw new Error(
          `search attributes exist with another type in namespace ${namespace}: ${wrongType.map(([n]) => n).join(', ')}`,
        );
      }
      if (missing.length === 0) {
        // Registered is not yet usable: each frontend caches the namespace's attributes and
        // refuses to start a workflow that carries one it does not know yet. A query naming every
        // attribute passes the same validation: wait for it.
        await services.workflowService.listWorkflowExecutions({
          namespace,
          pageSize: 1,
          query: [...wanted.keys()].map((name) => `${name} IS NOT NULL`).join(' OR '),
        });
        return;
      }
      await services.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(missing),
      });
      log('temporal search attributes registered', { namespace, names: missing.map(([n]) => n) });
    } catch (error) {
      if ((error as Error).message?.startsWith('search attributes exist with another type')) throw error;
      // ALREADY_EXISTS (another process won), NOT_FOUND (a new namespace not yet in every
      // frontend's cache), INVALID_ARGUMENT (attributes not yet in its cache), UNAVAILABLE: look
      // again shortly
      if (Date.now() > deadline) {
        throw new Error(
          `Temporal setup of namespace ${namespace} did not complete: ${(error as Error).message}. ` +
            'Create the namespace and search attributes yourself (README, Operating) and set TOKENPAY_TEMPORAL_SETUP=0.',
        );
      }
      await sleep(Math.min(2_000, 200 * attempt));
    }
  }
}
