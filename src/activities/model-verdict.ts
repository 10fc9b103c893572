/** writeModelVerdict: the rollout's end, written back onto the model version as tags. */
import { AzureCallError } from '../errors';
import type { WriteModelVerdictInput, WriteModelVerdictOutput } from '../orchestration/activity-contracts';
import type { ActivityContext } from './context';

/** Azure ML tag values are strings; long reasons are cut so the registry accepts them. */
const MAX_TAG_VALUE = 256;

const tagValue = (text: string): string => (text.length > MAX_TAG_VALUE ? `${text.slice(0, MAX_TAG_VALUE - 3)}...` : text);

function verdictTags(input: WriteModelVerdictInput): Record<string, string> {
  return {
    'rollout-status': input.outcome,
    'rollout-id': input.rolloutId,
    'rollout-reason': tagValue(input.reason),
    'rollout-at': new Date(input.atMs).toISOString(),
    ...(input.rolloutCost === undefined ? {} : { 'rollout-extra-cost': tagValue(input.rolloutCost) }),
    ...(input.predictionAgreement === undefined ? {} : { 'rollout-prediction-agreement': tagValue(input.predictionAgreement) }),
  };
}

export async function writeModelVerdict(ctx: ActivityContext, input: WriteModelVerdictInput): Promise<WriteModelVerdictOutput> {
  const tags = verdictTags(input);
  await ctx.retry('updateModelVersionTags', () => ctx.modelRegistry.updateModelVersionTags(input.model, tags));
  const readBack = await ctx.retry('getModelVersion', () => ctx.modelRegistry.getModelVersion(input.model));
  const missing = Object.entries(tags).filter(([key, value]) => readBack.tags[key] !== value);
  if (missing.length > 0) {
    throw new AzureCallError('Conflict', 'writeModelVerdict', `tags not visible after the write: ${missing.map(([k]) => k).join(', ')}`, {
      retryable: true,
    });
  }
  return { tags };
}
