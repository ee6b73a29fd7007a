"""The JSON API for consultants and researchers, under /api/v1."""
