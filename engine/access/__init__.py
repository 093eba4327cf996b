"""Who may see what: markings on evidence, the principals of a case file, redaction for a reader."""
