import type { Language } from './view';

/**
 * UI strings of the checkout page, one dictionary per language. `en` defines the keys; `ar` is
 * typed `Record<MessageKey, string>` so it must have exactly the same keys (a missing or extra key
 * is a compile error). `{name}` placeholders are filled by `t()` (and by checkout.js).
 */
const en = {
  page_title: 'Secure checkout',
  not_found_page_title: 'Payment link not found',
  merchant_label: 'Pay to',
  amount_label: 'Amount due',
  order_no: 'Order no.',
  payment_method: 'Payment method',
  pay_with: 'Pay with',
  saved_cards: 'Your saved cards',
  use_new_card: 'Use a new card',
  preferred: 'Preferred',
  expired: 'Expired',
  expires: 'Expires',
  card_ending: '{brand} ending in {last4}, expires {expiry}',
  new_card: 'Card details',
  name_on_card: 'Name on card',
  card_number: 'Card number',
  expiry: 'Expiry date',
  expiry_placeholder: 'MM/YY',
  cvv: 'Security code (CVV)',
  cvv_hint: '3 digits on the back of your card',
  cvv_hint_amex: '4 digits on the front of your card',
  save_card: 'Save your card for future payments',
  pay_amount: 'Pay {amount}',
  processing: 'Processing your payment…',
  processing_short: 'Processing…',
  secure_note: 'Your card details are encrypted and sent directly for processing.',
  js_required: 'Please enable JavaScript in your browser to pay.',
  brand_visa: 'Visa',
  brand_mastercard: 'Mastercard',
  brand_amex: 'American Express',
  brand_unknown: 'Card',
  err_name_required: 'Enter the name shown on your card.',
  err_number_required: 'Enter your card number.',
  err_number_incomplete: 'Your card number is incomplete.',
  err_number_invalid: 'This card number is not valid. Please check it.',
  err_expiry_required: 'Enter the expiry date as MM/YY.',
  err_expiry_invalid: 'Enter a valid expiry date as MM/YY (month 01–12).',
  err_expiry_past: 'This card has expired.',
  err_cvv_required: 'Enter the security code.',
  err_cvv_length_3: 'The security code must be 3 digits.',
  err_cvv_length_4: 'The security code must be 4 digits.',
  err_select_card: 'Choose a saved card or enter a new card.',
  fix_errors: 'Please correct the highlighted fields.',
  attempt_failed: 'Your payment was not completed. You can try again.',
  previous_attempt_failed: 'Your previous payment attempt was not completed. You can try again.',
  network_error: 'We could not reach the payment server. Check your connection and try again.',
  server_error: 'Something went wrong on our side. Please try again.',
  redirect_3ds: 'Redirecting you to your bank to verify this payment…',
  redirecting: 'Returning you to {merchant}…',
  return_to_merchant: 'Return to {merchant}',
  reference_number: 'Reference number',
  title_success: 'Payment successful',
  title_authorized: 'Payment authorized',
  title_failed: 'Payment failed',
  title_pending: 'Payment in progress',
  title_expired: 'This payment link has expired',
  title_canceled: 'This payment was canceled',
  title_refunded: 'This payment was refunded',
  title_voided: 'This payment was voided',
  title_closed: 'This payment is closed',
  closed_body: 'This payment can no longer be made. Contact {merchant} if you need help.',
  not_found_title: 'This payment link does not exist',
  not_found_body: 'Please check the link you were given, or contact the merchant for a new one.',
};

export type MessageKey = keyof typeof en;
export type Messages = Record<MessageKey, string>;

const ar: Messages = {
  page_title: 'الدفع الآمن',
  not_found_page_title: 'رابط الدفع غير موجود',
  merchant_label: 'الدفع إلى',
  amount_label: 'المبلغ المستحق',
  order_no: 'رقم الطلب',
  payment_method: 'طريقة الدفع',
  pay_with: 'الدفع باستخدام',
  saved_cards: 'بطاقاتك المحفوظة',
  use_new_card: 'استخدام بطاقة جديدة',
  preferred: 'المفضلة',
  expired: 'منتهية الصلاحية',
  expires: 'تنتهي في',
  card_ending: '{brand} المنتهية بـ {last4}، تنتهي في {expiry}',
  new_card: 'بيانات البطاقة',
  name_on_card: 'الاسم على البطاقة',
  card_number: 'رقم البطاقة',
  expiry: 'تاريخ الانتهاء',
  expiry_placeholder: 'شهر/سنة',
  cvv: 'رمز الأمان (CVV)',
  cvv_hint: '3 أرقام على ظهر بطاقتك',
  cvv_hint_amex: '4 أرقام على وجه بطاقتك',
  save_card: 'احفظ بطاقتك للمدفوعات القادمة',
  pay_amount: 'ادفع {amount}',
  processing: 'جارٍ تنفيذ عملية الدفع…',
  processing_short: 'جارٍ المعالجة…',
  secure_note: 'بيانات بطاقتك مشفرة وتُرسل مباشرة للمعالجة.',
  js_required: 'يرجى تفعيل JavaScript في متصفحك لإتمام الدفع.',
  brand_visa: 'فيزا',
  brand_mastercard: 'ماستركارد',
  brand_amex: 'أمريكان إكسبريس',
  brand_unknown: 'بطاقة',
  err_name_required: 'أدخل الاسم كما هو مكتوب على بطاقتك.',
  err_number_required: 'أدخل رقم بطاقتك.',
  err_number_incomplete: 'رقم البطاقة غير مكتمل.',
  err_number_invalid: 'رقم البطاقة غير صحيح، يرجى التحقق منه.',
  err_expiry_required: 'أدخل تاريخ الانتهاء بصيغة شهر/سنة.',
  err_expiry_invalid: 'أدخل تاريخ انتهاء صحيحاً بصيغة شهر/سنة (الشهر من 01 إلى 12).',
  err_expiry_past: 'انتهت صلاحية هذه البطاقة.',
  err_cvv_required: 'أدخل رمز الأمان.',
  err_cvv_length_3: 'يجب أن يتكون رمز الأمان من 3 أرقام.',
  err_cvv_length_4: 'يجب أن يتكون رمز الأمان من 4 أرقام.',
  err_select_card: 'اختر بطاقة محفوظة أو أدخل بطاقة جديدة.',
  fix_errors: 'يرجى تصحيح الحقول المحددة.',
  attempt_failed: 'لم تكتمل عملية الدفع. يمكنك المحاولة مرة أخرى.',
  previous_attempt_failed: 'لم تكتمل محاولة الدفع السابقة. يمكنك المحاولة مرة أخرى.',
  network_error: 'تعذر الاتصال بخادم الدفع. تحقق من اتصالك وحاول مرة أخرى.',
  server_error: 'حدث خطأ من جهتنا. يرجى المحاولة مرة أخرى.',
  redirect_3ds: 'جارٍ تحويلك إلى البنك للتحقق من عملية الدفع…',
  redirecting: 'جارٍ إعادتك إلى {merchant}…',
  return_to_merchant: 'العودة إلى {merchant}',
  reference_number: 'الرقم المرجعي',
  title_success: 'تمت عملية الدفع بنجاح',
  title_authorized: 'تم تفويض عملية الدفع',
  title_failed: 'فشلت عملية الدفع',
  title_pending: 'عملية الدفع قيد التنفيذ',
  title_expired: 'انتهت صلاحية رابط الدفع هذا',
  title_canceled: 'تم إلغاء عملية الدفع هذه',
  title_refunded: 'تم استرداد مبلغ هذه العملية',
  title_voided: 'تم إبطال عملية الدفع هذه',
  title_closed: 'عملية الدفع هذه مغلقة',
  closed_body: 'لم يعد بالإمكان إتمام هذه العملية. تواصل مع {merchant} إذا احتجت إلى مساعدة.',
  not_found_title: 'رابط الدفع هذا غير موجود',
  not_found_body: 'يرجى التحقق من الرابط الذي حصلت عليه، أو التواصل مع التاجر للحصول على رابط جديد.',
};

export const dictionaries: Readonly<Record<Language, Messages>> = { en, ar };

export function messagesFor(language: Language): Messages {
  return dictionaries[language] ?? en;
}

/** Looks up `key` and fills `{placeholders}` (values are inserted verbatim: escape the result). */
export function t(language: Language, key: MessageKey, vars: Record<string, string> = {}): string {
  return interpolate(messagesFor(language)[key], vars);
}

export function interpolate(template: string, vars: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(vars, name) ? (vars[name] as string) : whole,
  );
}
