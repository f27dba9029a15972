"""The allocator's pure domain: standard library and `opd_shared.vocabulary` only."""
