/**
 * Loading policy files from a folder (the I/O half of src/policy, which must stay pure).
 * Every file is read and validated before anything is returned, and all problems of all files are
 * reported together: a broken policy folder is fixed in one pass.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { ValidationError } from '../errors';
import { agreementRowsSchema, parsePolicy, PolicyError, type Policy } from '../policy';

/** Extensions read as policies; anything else in the folder (README.md, ...) is ignored. */
const POLICY_FILE_EXTENSIONS = ['.yaml', '.yml', '.json'] as const;

export interface LoadedPolicy {
  readonly policy: Policy;
  /** The file it came from (as passed in, joined with the folder). */
  readonly file: string;
}

/** Several policy files are wrong; `errors` holds each file's PolicyError. */
export class PolicyFolderError extends ValidationError {
  readonly errors: readonly PolicyError[];
  constructor(folder: string, errors: readonly PolicyError[], extra: readonly string[] = []) {
    const parts = [...errors.map((e) => e.message), ...extra];
    super(folder, `${parts.length} invalid policy file(s):\n${parts.join('\n')}`, { code: 'InvalidPolicy' });
    this.errors = errors;
  }
}

/** Reads and validates one policy file. Throws PolicyError (bad content) or ValidationError (unreadable). */
export async function loadPolicyFile(file: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ValidationError(file, code === 'ENOENT' ? 'no such policy file' : `cannot read the policy file (${code ?? String(error)})`, {
      code: 'InvalidPolicy',
      cause: error,
    });
  }
  return withDatasetFile(parsePolicy(text, file), file);
}

/**
 * Reads a prediction-agreement dataset file (JSON Lines: one request body a line; blank lines are
 * skipped) relative to the policy file. Throws PolicyError naming the field, the file and the line.
 */
export async function readAgreementDataset(datasetFile: string, policyFile: string): Promise<unknown[]> {
  const at = ['predictionAgreement', 'dataset', 'file'];
  const path = join(dirname(policyFile), datasetFile);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new PolicyError(policyFile, [
      {
        path: at,
        message: code === 'ENOENT' ? `no dataset file at ${path}` : `cannot read the dataset file ${path} (${code ?? String(error)})`,
      },
    ]);
  }
  const rows: unknown[] = [];
  const lines = text.split(/\r?\n/);
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    try {
      rows.push(JSON.parse(line));
    } catch {
      throw new PolicyError(policyFile, [
        { path: at, message: `${datasetFile} line ${index + 1}: not a JSON value (JSON Lines: one request body a line)` },
      ]);
    }
  }
  const checked = agreementRowsSchema.safeParse(rows);
  if (!checked.success)
    throw new PolicyError(policyFile, [{ path: at, message: `${datasetFile}: ${checked.error.issues.map((i) => i.message).join('; ')}` }]);
  return rows;
}

/** The policy with its dataset file's rows in place of the file (the plan carries rows, not paths). */
async function withDatasetFile(policy: Policy, policyFile: string): Promise<Policy> {
  const agreement = policy.predictionAgreement;
  if (agreement?.dataset.file === undefined) return policy;
  const rows = await readAgreementDataset(agreement.dataset.file, policyFile);
  const limit = agreement.minComparedRows;
  if (limit !== undefined && limit > rows.length) {
    throw new PolicyError(policyFile, [
      {
        path: ['predictionAgreement', 'minComparedRows'],
        message: `${limit} is more than the dataset file's ${rows.length} rows, so the check could never decide`,
      },
    ]);
  }
  return { ...policy, predictionAgreement: { ...agreement, dataset: { rows: rows as NonNullable<typeof agreement.dataset.rows> } } };
}

/**
 * Reads every *.yaml, *.yml and *.json file of a folder (not recursive, sorted by name), validates
 * each, and checks that policy names are unique. Throws PolicyFolderError listing every problem.
 */
export async function loadPolicies(folder: string): Promise<LoadedPolicy[]> {
  let entries: string[];
  try {
    if (!(await stat(folder)).isDirectory()) throw new ValidationError(folder, 'is not a folder', { code: 'InvalidPolicy' });
    entries = await readdir(folder);
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw new ValidationError(folder, 'policy folder does not exist or cannot be read', { code: 'InvalidPolicy', cause: error });
  }
  const files = entries
    .filter(
      (name) => (POLICY_FILE_EXTENSIONS as readonly string[]).includes(extname(name).toLowerCase()) && !basename(name).startsWith('.'),
    )
    .sort()
    .map((name) => join(folder, name));

  const loaded: LoadedPolicy[] = [];
  const errors: PolicyError[] = [];
  for (const file of files) {
    try {
      loaded.push({ policy: await loadPolicyFile(file), file });
    } catch (error) {
      if (error instanceof PolicyError) errors.push(error);
      else if (error instanceof ValidationError) errors.push(new PolicyError(file, [{ path: [], message: error.message }]));
      else throw error;
    }
  }

  const duplicates: string[] = [];
  const byName = new Map<string, string>();
  for (const { policy, file } of loaded) {
    const first = byName.get(policy.name);
    if (first !== undefined) duplicates.push(`${file}: name: "${policy.name}" is already used by ${first}; policy names must be unique`);
    else byName.set(policy.name, file);
  }
  if (errors.length > 0 || duplicates.length > 0) throw new PolicyFolderError(folder, errors, duplicates);
  return loaded;
}
