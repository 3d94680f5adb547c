/**
 * Every refusal the engine can answer, in one table: its code, the failure type a workflow
 * throws it under, its HTTP status and where a 400 puts it, and what the customer (or merchant)
 * reads, in English and Arabic. A new refusal is a new key of `RefusalCode`; until it has its row
 * here nothing compiles, so no refusal can reach an HTTP client as a 500 for want of a mapping.
 *
 * The workflows throw a refusal as `ApplicationFailure(type = failureType, details = [refusal])`
 * (workflows/refusals.ts); the API turns that back into the contract's error (api/refusals.ts).
 */
import type { Language } from './language';

export type RefusalCode =
  | 'not_payable'
  | 'attempt_in_progress'
  | 'no_challenge'
  | 'no_change'
  | 'session_closed'
  | 'attempts_exhausted'
  | 'payment_method_unavailable'
  | 'token_not_found'
  | 'token_gateway_mismatch'
  | 'token_locked'
  | 'card_expired'
  | 'card_in_agreement'
  | 'cvv_required'
  | 'cvv_invalid'
  | 'save_card_not_chargeable'
  | 'auto_debit_disabled'
  | 'auto_debit_needs_cvv'
  | 'operation_not_allowed'
  | 'no_charge'
  | 'amount_invalid'
  | 'refund_exceeds_remaining'
  | 'capture_exceeds_authorized'
  | 'void_takes_no_amount'
  | 'gateway_refused_operation'
  | 'closed_meanwhile'
  | 'auto_debit_needs_agreement'
  | 'token_not_linked_to_agreement'
  | 'agreement_not_started'
  | 'agreement_expired'
  | 'agreement_amount_exceeded'
  | 'agreement_amount_fixed'
  | 'agreement_cycles_used'
  | 'agreement_too_soon'
  | 'card_linked_to_agreement'
  | 'update_not_allowed'
  | 'update_needs_unpaid';

/**
 * How a refusal reaches HTTP: `detail` → `{"detail": msg}` (plus `bodyParams`); `field` → 400
 * `{"<field>": [msg]}` (nested by path); `operation` → 400 `{"detail", "operation", "result": "failed"}`
 * (CONTRACT §1.6).
 */
export type RefusalShape =
  | { kind: 'detail'; status: 400 | 404 | 409 | 422 | 423 | 429; bodyParams?: readonly string[] }
  | { kind: 'field'; path: readonly string[] }
  | { kind: 'operation' };

export interface RefusalSpec {
  /** the ApplicationFailure type a workflow throws (shown to operators in the Temporal UI) */
  failureType: string;
  shape: RefusalShape;
  /** templates: `{name}` is replaced by the refusal's params */
  en: string;
  ar: string;
}

const detail = (status: 400 | 404 | 409 | 422 | 423 | 429, bodyParams?: readonly string[]): RefusalShape => ({
  kind: 'detail',
  status,
  ...(bodyParams ? { bodyParams } : {}),
});
const field = (...path: string[]): RefusalShape => ({ kind: 'field', path });
const operation: RefusalShape = { kind: 'operation' };

export const REFUSALS: Record<RefusalCode, RefusalSpec> = {
  not_payable: {
    failureType: 'NotPayable',
    shape: detail(409, ['state']),
    en: 'This payment is {state} and cannot be paid.',
    ar: 'لا يمكن دفع هذه العملية لأنها {state}.',
  },
  attempt_in_progress: {
    failureType: 'AttemptInProgress',
    shape: detail(409),
    en: 'A payment attempt is already in progress. Try again shortly.',
    ar: 'هناك محاولة دفع قيد التنفيذ. حاول مرة أخرى بعد قليل.',
  },
  no_challenge: {
    failureType: 'NoChallenge',
    shape: detail(409),
    en: 'No authentication is pending.',
    ar: 'لا يوجد تحقق قيد الانتظار.',
  },
  no_change: {
    failureType: 'NoChange',
    shape: detail(409),
    en: 'Nothing to change: this is already done.',
    ar: 'لا شيء لتغييره: تم هذا بالفعل.',
  },
  session_closed: {
    failureType: 'SessionClosed',
    shape: detail(409),
    en: 'This payment is closed.',
    ar: 'عملية الدفع هذه مغلقة.',
  },
  attempts_exhausted: {
    failureType: 'AttemptsExhausted',
    shape: detail(429),
    en: 'No payment attempts left.',
    ar: 'لم تتبقَّ محاولات دفع.',
  },
  payment_method_unavailable: {
    failureType: 'PaymentMethodUnavailable',
    shape: field('pg_code'),
    en: 'This payment method is not available for this payment.',
    ar: 'طريقة الدفع هذه غير متاحة لهذه العملية.',
  },
  token_not_found: {
    failureType: 'TokenNotFound',
    shape: detail(404),
    en: 'No saved card with this token.',
    ar: 'لا توجد بطاقة محفوظة بهذا الرمز.',
  },
  token_gateway_mismatch: {
    failureType: 'TokenGatewayMismatch',
    shape: field('token'),
    en: 'This card was saved for another payment method.',
    ar: 'حُفظت هذه البطاقة لطريقة دفع أخرى.',
  },
  token_locked: {
    failureType: 'TokenLocked',
    shape: detail(423),
    en: 'This saved card is locked after too many wrong security codes. Pay with the full card details.',
    ar: 'هذه البطاقة المحفوظة مقفلة بعد إدخال رمز أمان خاطئ عدة مرات. ادفع ببيانات البطاقة كاملة.',
  },
  card_expired: {
    failureType: 'CardExpired',
    shape: field('token'),
    en: 'This saved card has expired.',
    ar: 'انتهت صلاحية هذه البطاقة المحفوظة.',
  },
  card_in_agreement: {
    failureType: 'CardInAgreement',
    shape: detail(409),
    en: 'This card pays for automatic payments you agreed to. It cannot be removed until another card replaces it.',
    ar: 'تُستخدم هذه البطاقة للدفعات التلقائية التي وافقت عليها، ولا يمكن حذفها حتى تحل محلها بطاقة أخرى.',
  },
  cvv_required: {
    failureType: 'CvvRequired',
    shape: field('cvv'),
    en: 'Enter the card security code (CVV).',
    ar: 'أدخل رمز أمان البطاقة (CVV).',
  },
  cvv_invalid: {
    failureType: 'CvvInvalid',
    shape: field('cvv'),
    en: 'Enter the {length}-digit security code.',
    ar: 'أدخل رمز الأمان المكوّن من {length} أرقام.',
  },
  save_card_not_chargeable: {
    failureType: 'SaveCardNotChargeable',
    shape: detail(422),
    en: 'A save_card payment cannot be charged.',
    ar: 'لا يمكن تحصيل مبلغ من عملية حفظ بطاقة.',
  },
  auto_debit_disabled: {
    failureType: 'AutoDebitDisabled',
    shape: detail(422),
    en: 'Auto-debit is not enabled for {pg_code}.',
    ar: 'الخصم التلقائي غير مفعّل لـ {pg_code}.',
  },
  auto_debit_needs_cvv: {
    failureType: 'AutoDebitNeedsCvv',
    shape: detail(422),
    en: '{pg_code} requires the CVV: the customer must pay.',
    ar: 'تتطلب {pg_code} رمز الأمان: يجب أن يدفع العميل بنفسه.',
  },
  operation_not_allowed: {
    failureType: 'OperationNotAllowed',
    shape: operation,
    en: 'A {state} payment cannot be {done}.',
    ar: 'لا يمكن تنفيذ {operation} على عملية حالتها {state}.',
  },
  no_charge: {
    failureType: 'NoCharge',
    shape: operation,
    en: 'There is no charge to {operation} on this payment.',
    ar: 'لا يوجد مبلغ محصّل لتنفيذ {operation} على هذه العملية.',
  },
  amount_invalid: {
    failureType: 'AmountInvalid',
    shape: operation,
    en: '{reason}',
    ar: 'المبلغ غير صالح: {reason}',
  },
  refund_exceeds_remaining: {
    failureType: 'RefundExceedsRemaining',
    shape: operation,
    en: 'The refund exceeds what remains refundable ({remaining}).',
    ar: 'مبلغ الاسترداد يتجاوز المتبقي القابل للاسترداد ({remaining}).',
  },
  capture_exceeds_authorized: {
    failureType: 'CaptureExceedsAuthorized',
    shape: operation,
    en: 'The capture exceeds the authorized amount ({authorized}).',
    ar: 'مبلغ التحصيل يتجاوز المبلغ المفوَّض ({authorized}).',
  },
  void_takes_no_amount: {
    failureType: 'VoidTakesNoAmount',
    shape: operation,
    en: 'A void takes no amount.',
    ar: 'الإلغاء لا يقبل مبلغًا.',
  },
  gateway_refused_operation: {
    failureType: 'GatewayRefusedOperation',
    shape: operation,
    en: 'The gateway refused the {operation}: {reason}',
    ar: 'رفضت بوابة الدفع عملية {operation}: {reason}',
  },
  closed_meanwhile: {
    failureType: 'ClosedMeanwhile',
    shape: operation,
    en: 'The payment closed meanwhile; retrieve it and retry.',
    ar: 'أُغلقت عملية الدفع في هذه الأثناء؛ استرجعها وحاول مرة أخرى.',
  },
  auto_debit_needs_agreement: {
    failureType: 'AutoDebitNeedsAgreement',
    shape: detail(400),
    en: 'A merchant-initiated charge needs a payment with payment_type "auto_debit" and an agreement.',
    ar: 'يتطلب الخصم التلقائي عملية دفع من نوع "auto_debit" مرتبطة باتفاقية.',
  },
  token_not_linked_to_agreement: {
    failureType: 'TokenNotLinkedToAgreement',
    shape: detail(400, ['agreement_id']),
    en: 'This card is not the one linked to agreement {agreement_id}: charge the card the customer chose for it.',
    ar: 'هذه البطاقة ليست المرتبطة بالاتفاقية {agreement_id}.',
  },
  agreement_not_started: {
    failureType: 'AgreementNotStarted',
    shape: detail(400, ['agreement_id']),
    en: 'Agreement {agreement_id} starts on {start_date}.',
    ar: 'تبدأ الاتفاقية {agreement_id} في {start_date}.',
  },
  agreement_expired: {
    failureType: 'AgreementExpired',
    shape: detail(400, ['agreement_id']),
    en: 'Agreement {agreement_id} expired on {expiry_date}.',
    ar: 'انتهت الاتفاقية {agreement_id} في {expiry_date}.',
  },
  agreement_amount_exceeded: {
    failureType: 'AgreementAmountExceeded',
    shape: detail(400, ['agreement_id']),
    en: 'The amount exceeds the agreement’s max_amount_per_cycle ({max_amount_per_cycle}).',
    ar: 'المبلغ يتجاوز الحد الأقصى لكل دورة في الاتفاقية ({max_amount_per_cycle}).',
  },
  agreement_amount_fixed: {
    failureType: 'AgreementAmountFixed',
    shape: detail(400, ['agreement_id']),
    en: 'Agreement {agreement_id} has a fixed amount ({amount}).',
    ar: 'مبلغ الاتفاقية {agreement_id} ثابت ({amount}).',
  },
  agreement_cycles_used: {
    failureType: 'AgreementCyclesUsed',
    shape: detail(400, ['agreement_id']),
    en: 'All {total_cycles} cycles of agreement {agreement_id} have been charged.',
    ar: 'تم تحصيل جميع دورات الاتفاقية {agreement_id} ({total_cycles}).',
  },
  agreement_too_soon: {
    failureType: 'AgreementTooSoon',
    shape: detail(400, ['agreement_id', 'next_charge_after']),
    en: 'Agreement {agreement_id} allows the next charge after {next_charge_after}.',
    ar: 'تسمح الاتفاقية {agreement_id} بالخصم التالي بعد {next_charge_after}.',
  },
  card_linked_to_agreement: {
    failureType: 'CardLinkedToAgreement',
    shape: detail(409, ['agreements']),
    en: 'This card is linked to an active auto-debit agreement ({agreements}) and cannot be deleted until another card replaces it there.',
    ar: 'هذه البطاقة مرتبطة باتفاقية خصم تلقائي نشطة ({agreements}) ولا يمكن حذفها حتى تحل محلها بطاقة أخرى.',
  },
  update_not_allowed: {
    failureType: 'UpdateNotAllowed',
    shape: detail(400),
    en: '{field} cannot be changed: {reason}',
    ar: 'لا يمكن تغيير {field}: {reason}',
  },
  update_needs_unpaid: {
    failureType: 'UpdateNeedsUnpaid',
    shape: detail(400, ['state']),
    en: 'A {state} payment cannot be changed any more: {fields} can only change while it is unpaid.',
    ar: 'لا يمكن تعديل عملية حالتها {state}: لا تتغير {fields} إلا قبل الدفع.',
  },
};

/** A refusal as it travels: plain data, safe in workflow history (never card data). */
export interface Refusal {
  code: RefusalCode;
  params?: Record<string, string>;
}

export function refusal(code: RefusalCode, params?: Record<string, string>): Refusal {
  return params ? { code, params } : { code };
}

export function isRefusalCode(value: unknown): value is RefusalCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(REFUSALS, value);
}

export function isRefusal(value: unknown): value is Refusal {
  if (typeof value !== 'object' || value === null) return false;
  const { code, params } = value as { code?: unknown; params?: unknown };
  return (
    isRefusalCode(code) &&
    (params === undefined ||
      (typeof params === 'object' &&
        params !== null &&
        Object.values(params).every((v) => typeof v === 'string')))
  );
}

/** The refusal's text in `language`, its `{params}` filled in. */
export function refusalMessage(r: Refusal, language: Language = 'en'): string {
  const template = REFUSALS[r.code][language];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    r.params && Object.prototype.hasOwnProperty.call(r.params, name) ? r.params[name]! : whole,
  );
}
