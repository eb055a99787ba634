"""Text: the canonical form and content hashes, words, sentences, dates, names (slugs,
sources, IDs) and canonical URLs. Pure functions, the bottom layer of the package."""
