"""Shipped vocabularies (package data): business concepts (finance.yaml, generic.yaml),
business processes (processes.yaml), and the word lists behind naming clarity
(english_words.txt, data_terms.txt, abbreviations.yaml)."""
