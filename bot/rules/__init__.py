"""Pure ticket rules: small typed functions with no I/O, unit-tested in milliseconds."""
