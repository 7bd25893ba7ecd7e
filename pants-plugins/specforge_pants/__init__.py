"""Pants plugin for specforge: spec_sources targets, codegen, spec linting and the repo goals."""
