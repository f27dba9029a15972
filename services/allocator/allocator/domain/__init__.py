"""The allocator's pure domain: standard library and `opd_contracts.vocabulary` only."""
