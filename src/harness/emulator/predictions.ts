/**
 * What an emulated model answers: a prediction that is a deterministic function of the request
 * body and the model version's `predictions` settings, so that two versions can be made to agree
 * or disagree by a known amount (docs/emulator.md "Predictions").
 *
 * Every version shares one reference model: a score in [0, 1) derived from the body's text, and the
 * label `approve` (score >= 0.5) or `decline`. A version with flipRate f answers the other label
 * (and the mirrored score 1 - score) on the inputs whose flip draw, also derived from the body's
 * text alone, is below f. So a version with flipRate 0.15 disagrees with one of flipRate 0 on about
 * 15% of inputs, and flip sets are nested (0.1 flips a subset of what 0.15 flips), which keeps
 * the disagreement between two versions |f1 - f2|. scoreOffset shifts the score (regression drift).
 */
import type { PredictionSettings } from './types';

/** 32-bit FNV-1a of the text with a salt: a stable, well-spread hash (not security). */
function hash(text: string, salt: string): number {
  let h = 0x811c9dc5;
  const input = `${salt}\u0000${text}`;
  for (let i = 0; i < input.length; i++) {
    h ^= input.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A share in [0, 1) from the hash. */
function unit(text: string, salt: string): number {
  return hash(text, salt) / 4294967296;
}

const round3 = (value: number): number => Math.round(value * 1000) / 1000;

export interface Prediction {
  readonly label: 'approve' | 'decline';
  readonly score: number;
}

export function predictionFor(bodyText: string, settings: PredictionSettings): Prediction {
  const reference = unit(bodyText, 'score');
  const flipped = unit(bodyText, 'flip') < settings.flipRate;
  const score = flipped ? 1 - reference : reference;
  const approves = reference >= 0.5 !== flipped;
  return { label: approves ? 'approve' : 'decline', score: round3(score + settings.scoreOffset) };
}
