"""Operators' tools that look across services: reconcile, bench, simulate."""
