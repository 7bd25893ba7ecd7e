"""A service's API documents, read off its generated app (see `specforge_docs.extract`)."""
