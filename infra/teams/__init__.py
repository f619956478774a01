"""The Teams app: manifest template, icons, and the package builder."""
