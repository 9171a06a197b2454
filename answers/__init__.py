"""What commands and digests both build on: the response model, mentions, the command context, access rules,
the platform port every adapter implements, and the answers both give (KPI sections, reviews, CSP balances)."""
