/**
 * The saved cards a checkout session shows its customer (hosted page, SDK frame, the SDK's setup
 * payload): the customer's cards at the session's gateways, most recently used first, each with
 * the auto-debit agreements that lock it against removal (domain/saved-card.ts).
 */
import type { PaymentRecord } from '../domain/payment';
import type { Store } from '../store';
import { toSavedCard } from '../store/cards';
import type { SavedCardDoc } from '../store/mongo';
import { sdkSetupPreload, type SdkSetupPreload, type SessionCard } from '../ottu/sdk-preload';
import { lockingAgreements } from './agreement-locks';

/** Every card of the customer (any gateway), with the agreements that lock each one. */
export async function customerCards(
  store: Store,
  merchantId: string,
  customerId: string,
): Promise<Array<{ doc: SavedCardDoc; heldAgreements: string[] }>> {
  const docs = await store.cards.listForCustomer(merchantId, customerId);
  const now = new Date();
  return Promise.all(
    docs.map(async (doc) => ({ doc, heldAgreements: await lockingAgreements(store, doc, docs, now) })),
  );
}

/** The cards the session offers: its customer's, at its gateways. */
export async function sessionCards(store: Store, record: PaymentRecord): Promise<SessionCard[]> {
  if (!record.customer_id) return [];
  const all = await customerCards(store, record.merchant_id, record.customer_id);
  return all
    .filter(({ doc }) => record.pg_codes.includes(doc.pg_code))
    .map(({ doc, heldAgreements }) => ({ card: toSavedCard(doc), heldAgreements }));
}

/** The session's `sdk_setup_preload_payload` (Ottu's CheckoutSDK object), cards loaded now. */
export async function loadSdkSetup(
  store: Store,
  record: PaymentRecord,
  publicBaseUrl: string,
): Promise<SdkSetupPreload> {
  return sdkSetupPreload({
    record,
    cards: await sessionCards(store, record),
    publicBaseUrl,
    now: new Date(),
  });
}
