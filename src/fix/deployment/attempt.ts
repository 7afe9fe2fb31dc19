/** Runs an edit builder; an Unsafe (the edit cannot be made safely) becomes the suggestion's reason. */
import type { DeploymentProposal } from './types.js';
import { Unsafe } from './yaml-text.js';

export function attempt(build: () => DeploymentProposal): DeploymentProposal {
  try {
    return build();
  } catch (error) {
    if (error instanceof Unsafe) return { suggestion: error.message };
    throw error;
  }
}
