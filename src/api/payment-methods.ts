/**
 * `POST /b/pbl/v2/payment-methods/`: Ottu's PaymentMethods API, the merchant's gateway configs
 * filtered (plugin, currencies, operation, tokenizable, auto-debit, pg codes), and with a
 * `customer_id` the customer's saved cards for them (`customer_payment_methods`). ottu-py's
 * `checkout_autoflow` and `auto_debit_autoflow` pick their pg_codes here.
 */
import type { GatewayConfig } from '../domain/gateway-config';
import { cvvRequired } from '../domain/saved-card';
import { cardObject, type CardObject } from '../ottu/card';
import type { Store } from '../store';
import { toSavedCard } from '../store/cards';

/** The plugins (Ottu's payment channels) every tokenpay gateway config serves. */
export const PLUGINS = ['e_commerce', 'payment_request'] as const;

export interface PaymentMethodsFilter {
  plugin: string;
  currencies?: string[];
  customer_id?: string;
  operation?: 'purchase' | 'authorize';
  tokenizable?: boolean;
  auto_debit?: boolean;
  pg_names?: string[];
  pg_codes?: string[];
  type?: 'sandbox' | 'production';
  payment_services?: string[];
}

/** Merchant-initiated charges need auto-debit on and no CVV (domain/saved-card.ts). */
const autoDebits = (g: GatewayConfig): boolean =>
  g.auto_debit_enabled && g.tokenization_enabled && !g.cvv_required;

export function matches(g: GatewayConfig, f: PaymentMethodsFilter): boolean {
  if (!(PLUGINS as readonly string[]).includes(f.plugin)) return false;
  // Apple Pay, Google Pay, Samsung Pay and wallets are not offered (README): no config has them
  if (f.payment_services?.length) return false;
  if (f.currencies?.length && !f.currencies.some((c) => (g.currencies as string[]).includes(c))) return false;
  if (f.operation && g.operation !== f.operation) return false;
  if (f.tokenizable === true && !g.tokenization_enabled) return false;
  if (f.auto_debit === true && !autoDebits(g)) return false;
  const codes = [...(f.pg_codes ?? []), ...(f.pg_names ?? [])];
  if (codes.length && !codes.includes(g.pg_code)) return false;
  return true;
}

/** Ottu's PGPaymentMethods for one config. */
export function pgPaymentMethod(g: GatewayConfig, f: PaymentMethodsFilter, publicBaseUrl: string) {
  return {
    code: g.pg_code,
    name: g.name,
    is_sandbox: f.type !== 'production',
    logo: `${publicBaseUrl}/static/card.svg`,
    wallets: [] as string[],
    payment_services: [] as { code: string; name: string }[],
    default_currency: g.currencies[0]!,
    accepted_currencies: [...g.currencies],
    operation: g.operation,
    operations: g.operation === 'authorize' ? ['capture', 'void', 'refund'] : ['refund'],
    is_tokenizable: g.tokenization_enabled,
    auto_debit_enabled: autoDebits(g),
    tags: [] as string[],
  };
}

export async function paymentMethods(
  store: Store,
  merchantId: string,
  filter: PaymentMethodsFilter,
  publicBaseUrl: string,
): Promise<{
  payment_methods: ReturnType<typeof pgPaymentMethod>[];
  customer_payment_methods: CardObject[];
}> {
  const configs = (await store.merchants.listGatewayConfigs(merchantId)).filter((g) => matches(g, filter));
  const codes = configs.map((g) => g.pg_code);
  const cards =
    filter.customer_id && codes.length
      ? await store.cards.listForCustomer(merchantId, filter.customer_id, codes)
      : [];
  const now = new Date();
  return {
    payment_methods: configs.map((g) => pgPaymentMethod(g, filter, publicBaseUrl)),
    customer_payment_methods: cards.map((card, i) => {
      const config = configs.find((g) => g.pg_code === card.pg_code);
      return cardObject(toSavedCard(card), {
        cvvRequired: cvvRequired(config),
        preferred: i === 0,
        now,
      });
    }),
  };
}
