"""Packaging tests (scripts/package.sh): the .deb, lintian, the .rpm."""
