"""Letters: the text rendered from a template, the PDF, its PAdES signature, and its
offline verification. No web code."""
