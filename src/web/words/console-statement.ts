/** The words of the operator console's statement page and its actions, in Japanese and English. */
export const CONSOLE_STATEMENT_WORDS = {
  // (words are added here as the pages come)
} as const;
