"""Signed webhooks (Standard Webhooks): endpoints, their events' outbox, and the worker."""
