"""Deployment artefacts: the Teams app package and the Azure templates."""
