/** The words of the tenant portal's month, estimate and chart, in Japanese and English. */
export const PORTAL_MONTH_WORDS = {
  // (words are added here as the pages come)
} as const;
