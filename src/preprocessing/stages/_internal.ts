/**
 * Helpers shared by the stages.
 *
 * @module
 */
import type { RawPoints } from "../../contracts/mod.ts";
import { isProcessedGrid, type StageData } from "../stage.ts";

/**
 * Thrown when a stage receives data of the wrong kind or modality.
 */
export class StageInputError extends TypeError {
  /** @param stage Stage id. @param message What was received and what was expected. */
  constructor(stage: string, message: string) {
    super(`Stage "${stage}": ${message}`);
    this.name = "StageInputError";
  }
}

/** Returns `input` as point data, or throws naming the stage and what it got. */
export function requirePoints(input: StageData, stage: string, modality?: string): RawPoints {
  if (isProcessedGrid(input) || input.kind !== "points") {
    throw new StageInputError(stage, 'expects survey points, got a grid (place it before "grid")');
  }
  if (modality !== undefined && input.modality !== modality) {
    throw new StageInputError(stage, `applies to ${modality} data, got ${input.modality}`);
  }
  return input;
}
