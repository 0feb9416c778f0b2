"""The BentoML peer: what a user would write instead of digits (`python -m bench --peers`)."""
