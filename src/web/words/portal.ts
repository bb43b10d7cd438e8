/** The words of the tenant portal's pages, in Japanese and English. */
export const PORTAL_WORDS = {} as const;
