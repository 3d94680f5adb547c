/** The languages a customer can be answered in (`language` on a payment, CONTRACT §1.1). */
export const LANGUAGES = ['en', 'ar'] as const;
export type Language = (typeof LANGUAGES)[number];

export function languageOf(value: unknown): Language {
  return value === 'ar' ? 'ar' : 'en';
}
