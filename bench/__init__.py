"""`python -m bench`: in-process floors, preprocessing costs, HTTP load against the service."""
