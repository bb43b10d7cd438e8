/** The words of the tenant portal's coupons, addresses and people, in Japanese and English. */
export const PORTAL_CONTRACT_WORDS = {
  // (words are added here as the pages come)
} as const;
