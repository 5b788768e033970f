/**
 * Names that become file or folder names (scenario and set names: a run's `data.ood` keys and
 * scenario list, `shift` output folders, embedding-set files). One rule for all of them, so no
 * name can reach outside the folder it is written in: letters, digits, `.`, `_`, `-`, not
 * starting with `.` or `-`, at most 200 characters — hence no `/`, `\`, `..` or absolute path.
 */
import { InputError } from '../errors.js';

const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$/;

/** Why `name` cannot be a file name, or undefined when it can. */
export function unsafeNameReason(name: string): string | undefined {
  if (SAFE_NAME.test(name)) return undefined;
  return `"${name}" cannot be used as a file name: use letters, digits, ".", "_" and "-" (not first: "." or "-"), at most 200 characters`;
}

/** Throws an InputError `${where}: …` unless `name` is a safe file name. */
export function assertSafeName(name: string, where: string): string {
  const reason = unsafeNameReason(name);
  if (reason !== undefined) throw new InputError(`${where}: ${reason}`);
  return name;
}
