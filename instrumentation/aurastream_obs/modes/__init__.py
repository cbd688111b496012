"""Export modes."""
