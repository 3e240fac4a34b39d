"""Schedule, pure: when things are due (the article re-check ladder, adaptive source intervals)."""
