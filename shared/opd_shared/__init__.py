"""What crosses a service boundary: contracts, topology, settings, logging."""
