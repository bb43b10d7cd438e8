/**
 * Migration 5: what a recorded run was. A `resend` holds the month-end lease and is recorded in
 * `runs` like a pass; `status` shows the last month-end pass, so the two are told apart.
 */
export const sql = `
ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'pass' CHECK (kind IN ('pass', 'resend'));
`;
