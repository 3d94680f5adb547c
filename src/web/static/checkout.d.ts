/**
 * Types of the pure helpers that checkout.js exports under Node (`module.exports`), for the unit
 * tests. The browser loads checkout.js directly; this file is never served.
 */
export type Brand = 'visa' | 'mastercard' | 'amex';

/** A brand's rule as the server renders it (domain/card.ts BrandRule). */
export interface BrandRule {
  brand: Brand;
  patterns: (number | [number, number])[];
  lengths: number[];
  gaps: number[];
  cvvLength: number;
}

/** The card rules in #checkout-data: the brands' rules and the CVV length of other cards. */
export interface CardRules {
  brands: readonly BrandRule[];
  unknownCvvLength: number;
}

export interface CardInput {
  name: string;
  number: string;
  /** "MM/YY" (also "M/YY", "MMYY", "MM/YYYY") */
  expiry: string;
  cvv: string;
}

export interface CardValidation {
  valid: boolean;
  brand: Brand | null;
  errors: Partial<Record<'name' | 'number' | 'expiry' | 'cvv', string>>;
  card: { name_on_card: string; number: string; expiry_month: string; expiry_year: string; cvv: string };
}

export interface FieldErrors {
  fields: Record<string, string>;
  savedCvv: string | null;
  general: string[];
}

export type ResponseAction =
  | { kind: 'success'; body: Record<string, unknown>; redirectUrl: string | null }
  | { kind: 'redirect'; url: string }
  | { kind: 'pending'; body: Record<string, unknown> }
  | { kind: 'retry'; message: string | null; body: Record<string, unknown> }
  | { kind: 'final'; body: Record<string, unknown> }
  | { kind: 'fields'; errors: FieldErrors }
  | { kind: 'detail'; status: number; message: string | null; closed: boolean };

export function toLatinDigits(value: unknown): string;
export function digitsOnly(value: unknown): string;
export function luhn(number: string): boolean;
export function ruleFor(number: string, rules: readonly BrandRule[]): BrandRule | null;
export function detectBrand(number: string, rules: readonly BrandRule[]): Brand | null;
export function formatNumber(value: string, rules: readonly BrandRule[]): string;
export function formatExpiry(value: string): string;
export function parseExpiry(value: string): { month: string; year: string } | null;
export function isExpiryInFuture(month: string, year: string, now: Date): boolean;
export function validateCvv(cvv: string, length: number): string | null;
export function validateCard(input: CardInput, cards: CardRules, now?: Date): CardValidation;
export function mapFieldErrors(body: unknown): FieldErrors;
export function classifyResponse(status: number, body: unknown): ResponseAction;
export function isSafeUrl(url: unknown, base?: string): boolean;
export function interpolate(template: string, vars: Record<string, string>): string;
