/**
 * The error raised when data breaks a contract (`RawData`, `ProcessedGrid`, ...).
 *
 * @module
 */
/**
 * Data that does not satisfy a contract. `contract` names the contract, `issues` lists every
 * broken rule as `path: message` so a plugin author sees all of them at once.
 *
 * @example Usage
 * ```ts
 * import { ContractError } from "./errors.ts";
 * const e = new ContractError("RawData", ["points.lat[3]: latitude 95 is outside [-90, 90]"], "plugin synthetic");
 * console.log(e.message);
 * ```
 */
export class ContractError extends TypeError {
  /** The contract broken, e.g. `"RawData"`. */
  readonly contract: string;
  /** Each broken rule, `path: message`. */
  readonly issues: readonly string[];
  /**
   * @param contract The contract broken.
   * @param issues Each broken rule as `path: message`.
   * @param where Who produced the data (plugin id, stage id), quoted in the message.
   */
  constructor(contract: string, issues: readonly string[], where?: string) {
    const head = `${contract} from ${where ?? "input"} breaks its contract`;
    const shown = issues.slice(0, 10).join("; ");
    const more = issues.length > 10 ? `; and ${issues.length - 10} more` : "";
    super(`${head}: ${shown}${more}`);
    this.name = "ContractError";
    this.contract = contract;
    this.issues = issues;
  }
}
