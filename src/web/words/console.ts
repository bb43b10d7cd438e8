/** The words of the operator console's pages, in Japanese and English. */
export const CONSOLE_WORDS = {} as const;
