/** Runs an edit builder; an Unsafe or Declined (the edit cannot be made safely) becomes the suggestion's reason. */
import { Declined } from '../ast-support.js';
import type { DeploymentProposal } from './types.js';

export function attempt(build: () => DeploymentProposal): DeploymentProposal {
  try {
    return build();
  } catch (error) {
    if (error instanceof Declined) return { suggestion: error.message };
    throw error;
  }
}
