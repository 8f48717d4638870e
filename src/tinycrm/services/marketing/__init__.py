"""Marketing: segments (saved queries), consent per address, campaigns and their mail."""
