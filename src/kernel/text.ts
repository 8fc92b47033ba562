/** Text Postgres stores as given: no NUL, and no UTF-16 half without its other half. */
export const isStorableText = (value: string): boolean => !value.includes("\u0000") && value.isWellFormed();
