import type { CurrencyCode } from './money';

/** How a merchant's gateway account (`pg_code`) behaves; set by an admin (CONTRACT §5, §7). */
export interface GatewayConfig {
  pg_code: string;
  name: string;
  currencies: CurrencyCode[];
  operation: 'purchase' | 'authorize';
  tokenization_enabled: boolean;
  cvv_required: boolean;
  auto_debit_enabled: boolean;
  three_ds: 'never' | 'challenge_if_required';
  max_attempts: number;
}

export const DEFAULT_MAX_ATTEMPTS = 3;

/** The gateway configs seeded for the demo merchant in the embedded default (CONTRACT §7). */
export const DEMO_GATEWAY_CONFIGS: readonly GatewayConfig[] = [
  {
    pg_code: 'ottu_pg_kwd_tkn',
    name: 'Card (KWD, saved cards with CVV)',
    currencies: ['KWD'],
    operation: 'purchase',
    tokenization_enabled: true,
    cvv_required: true,
    auto_debit_enabled: false,
    three_ds: 'challenge_if_required',
    max_attempts: DEFAULT_MAX_ATTEMPTS,
  },
  {
    pg_code: 'ottu_pg_kwd_tkn_nocvv',
    name: 'Card (KWD, saved cards without CVV)',
    currencies: ['KWD'],
    operation: 'purchase',
    tokenization_enabled: true,
    cvv_required: false,
    auto_debit_enabled: true,
    three_ds: 'challenge_if_required',
    max_attempts: DEFAULT_MAX_ATTEMPTS,
  },
  {
    pg_code: 'credit-card',
    name: 'Credit card',
    currencies: ['KWD', 'USD'],
    operation: 'purchase',
    tokenization_enabled: false,
    cvv_required: false,
    auto_debit_enabled: false,
    three_ds: 'challenge_if_required',
    max_attempts: DEFAULT_MAX_ATTEMPTS,
  },
  {
    pg_code: 'ottu_pg_kwd_auth',
    name: 'Card (KWD, authorize then capture)',
    currencies: ['KWD'],
    operation: 'authorize',
    tokenization_enabled: true,
    cvv_required: true,
    auto_debit_enabled: false,
    three_ds: 'never',
    max_attempts: DEFAULT_MAX_ATTEMPTS,
  },
];
