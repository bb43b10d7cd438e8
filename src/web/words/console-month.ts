/** The words of the operator console's month dashboard, tenants, imports and passes, in Japanese and English. */
export const CONSOLE_MONTH_WORDS = {
  // (words are added here as the pages come)
} as const;
