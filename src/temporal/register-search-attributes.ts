/**
 * Registers tokenpay's custom search attributes (workflows/search-attributes.ts) on a Temporal
 * namespace, idempotently: what exists stays, what is missing is added. Works on any Temporal (a
 * cluster, Temporal's test server), so nothing but tokenpay itself has to know its attributes.
 */
import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

import { SEARCH_ATTRIBUTES, SEARCH_ATTRIBUTE_NAMES } from '../workflows/search-attributes';

const INDEXED_VALUE_TYPES = {
  Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Bool: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
} as const;

export function indexedValueType(
  name: keyof typeof SEARCH_ATTRIBUTES,
): temporal.api.enums.v1.IndexedValueType {
  return INDEXED_VALUE_TYPES[SEARCH_ATTRIBUTES[name]];
}

const ALREADY_EXISTS = 6; // gRPC status
const UNIMPLEMENTED = 12;

export async function registerSearchAttributes(
  connection: Pick<Connection, 'operatorService'>,
  namespace: string,
): Promise<void> {
  let existing: Record<string, unknown> | undefined;
  try {
    existing = (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
  } catch (error) {
    if ((error as { code?: number }).code !== UNIMPLEMENTED) throw error; // Temporal's test server
  }
  for (const name of SEARCH_ATTRIBUTE_NAMES) {
    if (existing && name in existing) continue;
    try {
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: { [name]: indexedValueType(name) },
      });
    } catch (error) {
      if ((error as { code?: number }).code !== ALREADY_EXISTS) throw error; // someone else added it
    }
  }
}
