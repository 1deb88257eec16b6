"""Kept results: a run's summary and scores along training kept in figures/<sweep>/runs/
(summaries), when a kept summary still answers for a run (identity), what a newer scoring
protocol moved (protocol_change), and the numbers the original and the references
reported (original; the original's numpy generator in original_generator)."""
