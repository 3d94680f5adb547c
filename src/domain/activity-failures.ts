/**
 * The failure types activities throw when retrying cannot help, and that workflows tell apart.
 * One name per failure, shared by the thrower and the catcher (workflows import this module, so
 * it stays free of I/O like the rest of domain/).
 */
export const ActivityFailureType = {
  /** the gateway understood the request and refused it (a 4xx): details `[{ code }]` */
  GatewayRejected: 'GatewayRejected',
  /** the request itself cannot be made (an amount the gateway cannot take): a bug or bad input upstream */
  InvalidRequest: 'InvalidRequest',
  /** the gateway has no charge with this id */
  ChargeNotFound: 'ChargeNotFound',
  /** no payment record with this session id */
  PaymentNotFound: 'PaymentNotFound',
  /** the merchant's endpoint refused the webhook for good (a 4xx other than 429) */
  WebhookRejected: 'WebhookRejected',
  /** the payment or the merchant of a webhook no longer exists */
  WebhookOrphan: 'WebhookOrphan',
} as const;

export type ActivityFailureTypeName = (typeof ActivityFailureType)[keyof typeof ActivityFailureType];
