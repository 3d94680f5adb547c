// The workflow bundle's entry point: every workflow type the worker runs.
export { CheckoutWorkflow } from './checkout/workflow';
export { TokenChargeWorkflow } from './token-charge';
export { PaymentOperationsWorkflow } from './operations';
export { WebhookDeliveryWorkflow } from './webhook-delivery';
export { ReconciliationWorkflow, RetentionWorkflow } from './maintenance';
