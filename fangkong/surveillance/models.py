"""Models of the surveillance app."""
