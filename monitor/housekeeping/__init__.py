"""Housekeeping: retention applied to storage."""
