/** Error classes with stable codes; only the CLI maps them to exit codes and messages. */

/** One problem found in an input file: where it is and what is wrong. */
export interface InputIssue {
  file: string;
  /** 1-based line number in the file; 0 when the problem concerns the whole file. */
  line: number;
  field: string;
  message: string;
}

/** Base class: every error the application raises on purpose carries a stable code. */
export class UsageChargesError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad input from a user: a file, an argument or a setting. Exit code 2, no stack trace. */
export class InputError extends UsageChargesError {
  readonly issues: InputIssue[];
  readonly truncated: boolean;
  constructor(message: string, issues: InputIssue[] = [], truncated = false) {
    super('E_INPUT', message);
    this.issues = issues;
    this.truncated = truncated;
  }
}

/** A configuration value that cannot be used. Exit code 2. */
export class ConfigError extends UsageChargesError {
  constructor(message: string) {
    super('E_CONFIG', message);
  }
}

/** Formats an issue the way every message of the project shows it: `file:line: field: message`. */
export function formatIssue(issue: InputIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}` : issue.file;
  return issue.field ? `${where}: ${issue.field}: ${issue.message}` : `${where}: ${issue.message}`;
}
