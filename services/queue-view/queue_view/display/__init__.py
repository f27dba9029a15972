"""The waiting-hall display: boards (what a hall may see), their live stream, the page."""
