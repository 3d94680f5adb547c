/**
 * `PUT` / `PATCH /b/checkout/v1/pymt-txn/{session_id}/`: Ottu's full and partial update of a
 * payment. What the customer pays, where, until when and who they are change only while the
 * payment is unpaid; `extra` at any time; `payment_type` never (domain/checkout.ts
 * `updateRefusal`). Terms the CheckoutWorkflow holds (amount, currency, gateways, expiry, customer,
 * order, webhook, agreement) reach it through its `amendSession` update first: its validator is
 * the authority on "still open, no attempt running", so a payment being paid is never changed
 * under the customer. Then the record takes the new fields.
 */
import { WorkflowNotFoundError } from '@temporalio/client';

import { updateRefusal, ANYTIME_UPDATABLE_FIELDS } from '../domain/checkout';
import { parseExpirationTime } from '../domain/duration';
import { isCurrencyCode, normalizeAmount, type CurrencyCode } from '../domain/money';
import type { PaymentRecord } from '../domain/payment';
import type { UpdatePaymentRequest } from '../domain/schemas';
import type { MerchantDoc } from '../store/mongo';
import { amendSessionUpdate, type SessionAmendment } from '../workflows/definitions';
import { checkoutHandle } from './attempts';
import type { CheckoutDeps } from './checkout-session';
import { detail, fieldErrors, notFound } from './errors';
import { canonical } from './idempotency';
import { assertAllowedTargets } from './outbound-targets';
import { paymentTerms, withoutIgnoredFields } from './payments';
import { assertNoRefusal, httpErrorOf, refusalOf } from './refusals';

/** A given value equal to the stored one is no change (amounts compared in the currency's form). */
function sameValue(field: string, given: unknown, record: PaymentRecord): boolean {
  const current = (record as unknown as Record<string, unknown>)[field];
  if (field === 'amount' && typeof given === 'string') {
    const currency = record.currency_code;
    try {
      return normalizeAmount(given, currency) === current;
    } catch {
      return false;
    }
  }
  if (field === 'pg_codes' && Array.isArray(given)) {
    return canonical([...new Set(given)]) === canonical(current);
  }
  return canonical(given) === canonical(current);
}

export async function updatePayment(
  deps: CheckoutDeps,
  merchant: MerchantDoc,
  record: PaymentRecord,
  body: UpdatePaymentRequest,
  attachmentUrl?: string,
): Promise<PaymentRecord> {
  const given: Record<string, unknown> = {
    ...withoutIgnoredFields(body),
    ...(attachmentUrl ? { attachment: attachmentUrl } : {}),
  };
  const changed = Object.keys(given).filter((f) => !sameValue(f, given[f], record));
  if (changed.length === 0) return record; // nothing to do: no workflow event, no write
  assertNoRefusal(updateRefusal(record.state, changed));

  const set: Partial<PaymentRecord> = Object.fromEntries(changed.map((f) => [f, given[f]]));
  const amendment: SessionAmendment = {};
  const has = (f: string): boolean => changed.includes(f);
  // a new webhook or redirect target is held to the same policy as at create
  await assertAllowedTargets(
    {
      webhook_url: has('webhook_url') ? body.webhook_url : undefined,
      redirect_url: has('redirect_url') ? body.redirect_url : undefined,
    },
    deps.config.targets,
  );

  if (has('amount') || has('currency_code') || has('pg_codes')) {
    const currency = (given.currency_code ?? record.currency_code) as string;
    if (!isCurrencyCode(currency)) throw fieldErrors({ currency_code: ['Unknown currency.'] });
    const terms = await paymentTerms(deps, merchant, {
      amount: (given.amount as string | undefined) ?? record.amount,
      currency: currency as CurrencyCode,
      pgCodes: (given.pg_codes as string[] | undefined) ?? record.pg_codes,
      paymentType: record.payment_type,
      customerId: (given.customer_id as string | undefined) ?? record.customer_id,
    });
    Object.assign(set, {
      amount: terms.amount,
      currency_code: currency,
      pg_codes: terms.gateways.map((g) => g.pg_code),
      gateways: terms.gateways,
      operation: terms.gateways[0]!.operation,
    });
    Object.assign(amendment, { amount: terms.amount, currencyCode: currency, gateways: terms.gateways });
  }
  if (has('expiration_time')) {
    // Ottu's expiration_time counts from the payment's creation, so an update can extend it
    const expiresAt = new Date(
      Date.parse(record.created_at) + parseExpirationTime(given.expiration_time as string)!,
    );
    if (expiresAt.getTime() <= Date.now()) {
      throw fieldErrors({ expiration_time: ['Counted from the payment’s creation, this is already past.'] });
    }
    set.expires_at = expiresAt.toISOString();
    amendment.expiresAt = set.expires_at;
  }
  if (has('customer_id')) amendment.customerId = given.customer_id as string;
  if (has('order_no')) amendment.orderNo = given.order_no as string;
  if (has('webhook_url')) amendment.webhookUrl = given.webhook_url as string;
  if (has('agreement')) amendment.agreementId = (given.agreement as { id: string }).id;

  if (changed.some((f) => !ANYTIME_UPDATABLE_FIELDS.includes(f))) {
    // Even with nothing the workflow holds, asking it confirms the payment is still open.
    try {
      await checkoutHandle(deps.temporal, record._id).executeUpdate(amendSessionUpdate, {
        args: [amendment],
      });
    } catch (error) {
      const refused = refusalOf(error);
      if (refused) throw httpErrorOf(refused);
      if (error instanceof WorkflowNotFoundError) {
        throw detail(409, 'The payment closed meanwhile; retrieve it to see its state.');
      }
      throw error;
    }
  }
  const updated = await deps.store.payments.amend(merchant._id, record._id, set);
  if (!updated) throw notFound('No payment with this session_id.');
  return updated;
}
