"""Evidence: the package, the verification report, and offline verification."""
