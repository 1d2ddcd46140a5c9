"""Free-text classification of survey answers (plain Python, no Flask)."""
