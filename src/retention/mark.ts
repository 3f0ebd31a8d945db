/**
 * The tag every group this agent makes carries from its creation (and a prune's test for "ours"):
 * groups made by hand, by the console or by another tool are never pruned.
 */
export const CREATED_BY = { key: 'CreatedBy', value: 'app-snapshot-plugin' } as const;
