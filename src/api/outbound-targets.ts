/**
 * Where a payment may send the merchant's data (`webhook_url`) and the customer's browser
 * (`redirect_url`): checked when the payment is created (a 400 naming the field), and for
 * webhooks again at every delivery (webhooks/deliver.ts). In development nothing is refused.
 */
import { targetProblem, type Resolver, type TargetPolicy } from '../webhooks/targets';
import { fieldErrors } from './errors';

const TARGET_FIELDS = ['webhook_url', 'redirect_url'] as const;

/** Throws a 400 `{field: [message]}` for each URL the policy refuses. */
export async function assertAllowedTargets(
  body: Partial<Record<(typeof TARGET_FIELDS)[number], string | undefined>>,
  policy: TargetPolicy,
  resolve?: Resolver,
): Promise<void> {
  if (!policy.refusePrivate) return;
  const problems = await Promise.all(
    TARGET_FIELDS.map(async (field) => {
      const url = body[field];
      const problem = url ? await targetProblem(url, policy, resolve) : undefined;
      return problem ? ([field, [`The URL ${problem}`]] as [string, string[]]) : undefined;
    }),
  );
  const found = problems.filter((p) => p !== undefined);
  if (found.length > 0) throw fieldErrors(Object.fromEntries(found));
}
