/**
 * What a customer is told about an attempt, in the page's language: helpful, and never more than
 * the issuer said. Merchants get the English text in records and webhooks.
 */
import type { Language } from './language';
import type { AttemptResult } from './payment';

export type { Language };

type Messages = Record<string, string>;

const DECLINES: Record<Language, Messages> = {
  en: {
    generic_decline: 'Your card was declined. Try another card or contact your bank.',
    insufficient_funds: 'Your card has insufficient funds.',
    expired_card: 'Your card has expired.',
    incorrect_cvc: "Your card's security code is incorrect.",
    processing_error: 'An error occurred while processing your card. Try again.',
    authentication_failed: 'Card authentication failed.',
    authentication_abandoned: 'Authentication was not completed.',
    unconfirmed:
      'The payment could not be confirmed with your bank. Contact the merchant if you see a charge.',
    token_expired: 'Your card details expired before the payment was made. Enter them again.',
    token_already_used: 'Your card details were already used. Enter them again.',
    token_locked: 'This saved card is locked. Pay with the full card details.',
    // the card was saved again while the page was open: its security code must be entered again
    cvc_token_mismatch: "Your card's security code could not be used. Enter it again.",
    declined: 'Your card was declined.',
  },
  ar: {
    generic_decline: 'تم رفض بطاقتك. جرّب بطاقة أخرى أو تواصل مع البنك.',
    insufficient_funds: 'الرصيد غير كافٍ في بطاقتك.',
    expired_card: 'انتهت صلاحية بطاقتك.',
    incorrect_cvc: 'رمز الأمان للبطاقة غير صحيح.',
    processing_error: 'حدث خطأ أثناء معالجة بطاقتك. حاول مرة أخرى.',
    authentication_failed: 'فشل التحقق من البطاقة.',
    authentication_abandoned: 'لم يكتمل التحقق من البطاقة.',
    unconfirmed: 'تعذّر تأكيد الدفع مع البنك. تواصل مع التاجر إذا ظهر خصم على بطاقتك.',
    token_expired: 'انتهت صلاحية بيانات البطاقة قبل إتمام الدفع. أدخلها مرة أخرى.',
    token_already_used: 'تم استخدام بيانات البطاقة من قبل. أدخلها مرة أخرى.',
    token_locked: 'هذه البطاقة المحفوظة مقفلة. ادفع ببيانات البطاقة كاملة.',
    cvc_token_mismatch: 'تعذّر استخدام رمز الأمان لبطاقتك. أدخله مرة أخرى.',
    declined: 'تم رفض بطاقتك.',
  },
};

const STATUS: Record<Language, Record<'success' | 'pending' | 'authentication_required', string>> = {
  en: {
    success: 'Payment successful.',
    pending: 'Your payment is being processed. This page will show the result.',
    authentication_required: 'Authentication required.',
  },
  ar: {
    success: 'تم الدفع بنجاح.',
    pending: 'جارٍ معالجة الدفع. ستعرض هذه الصفحة النتيجة.',
    authentication_required: 'التحقق من البطاقة مطلوب.',
  },
};

export function declineMessage(code: string | undefined, language: Language = 'en'): string {
  const messages = DECLINES[language];
  return (code && messages[code]) ?? messages.declined!;
}

export function statusMessage(status: keyof (typeof STATUS)['en'], language: Language = 'en'): string {
  return STATUS[language][status];
}

/** The customer-facing message of an attempt's outcome in the page's language. */
export function customerMessage(
  outcome: { result: AttemptResult; message: string; decline_code?: string; charge_pending?: boolean },
  language: Language,
): string {
  if (language === 'en') return outcome.message;
  if (outcome.result === 'success') return statusMessage('success', language);
  if (outcome.result === 'pending') {
    return statusMessage(outcome.charge_pending ? 'authentication_required' : 'pending', language);
  }
  return declineMessage(outcome.decline_code, language);
}
